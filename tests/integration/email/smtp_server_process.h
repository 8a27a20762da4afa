// Runs tests/integration/email/smtp_server.py (aiosmtpd) as a child process in
// its own scratch folder, waits (bounded) for its port, and reads back what it
// received. Stopped with SIGTERM on destruction; dies with the test if it dies.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "daemon/core/status.h"

namespace lifeline::email::testing {

struct ServerOptions {
  std::string rcpt_reply;  // e.g. "550 5.1.1 No such user"; empty: accept
  std::string data_reply;  // e.g. "451 4.3.0 Try later"; empty: accept and store
  std::string accept_reply;  // the 2xx to an accepted message instead of "250 2.0.0 Ok: queued as ..."
  // (replies may spell bytes as \xNN: smtp_server.py sends those bytes)
  bool tls = false;        // STARTTLS required (a self-signed cert for 127.0.0.1)
  bool smtps = false;      // implicit TLS instead of STARTTLS (needs tls)
  std::string auth;        // "user:password": AUTH required with exactly these
};

struct Received {
  std::string message;  // the DATA bytes as stored, dot-unstuffed
  std::string envelope_json;
};

class SmtpServerProcess {
 public:
  static Result<std::unique_ptr<SmtpServerProcess>> Start(const std::string& name,
                                                          const ServerOptions& options);
  ~SmtpServerProcess();

  int port() const { return port_; }
  const std::string& ca_file() const { return cert_; }  // the self-signed cert
  // Messages stored so far, in order.
  std::vector<Received> Messages() const;
  // Kills the server and waits for it, so its port refuses connections.
  void Stop();

 private:
  SmtpServerProcess() = default;
  Status MakeCert();
  Status Spawn(const ServerOptions& options);
  Status WaitForPort();

  pid_t pid_ = -1;
  int port_ = 0;
  std::string dir_, cert_, key_;
};

}  // namespace lifeline::email::testing
