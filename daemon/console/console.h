// The operator console: lifelined's HTTPS server for people (pages and their
// assets, all served by the box) and for scripts or a SOC (the JSON API of
// proto/console-api.yaml with per-client bearer tokens). TLS 1.2 and 1.3 over
// OpenSSL (asio::ssl; libssl is already in the process through libcurl), with
// a device certificate made on first start when none is configured. People
// log in with a password (argon2id), get an HttpOnly, Secure, SameSite=Strict
// session cookie with an idle timeout, and send the session's CSRF token with
// every request that changes state; failed logins are slowed per account and
// per address. Every login, failure and logout is journaled. io_context
// thread only.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "daemon/accounts/accounts.h"
#include "daemon/core/clock.h"
#include "daemon/http/http.h"
#include "daemon/intake/intake.h"
#include "daemon/store/store.h"

namespace lifeline {

struct ConsoleOptions {
  std::string listen_address = "0.0.0.0";
  uint16_t port = 8443;              // 0: the kernel picks (tests)
  std::string cert_file, key_file;   // "" = the device certificate in state_dir
  std::string state_dir;
  std::vector<std::string> names;    // for the device certificate: host names and addresses
  std::chrono::seconds idle_timeout{15 * 60};
  std::chrono::seconds session_lifetime{12 * 3600};
  int failures_before_slowdown = 5;  // wrong passwords a minute, per account and per address
  size_t max_connections = 64;
};

// The certificate the console presents and its SHA-256 fingerprint (the hex
// an operator compares on first use, "AB:CD:..."), made on first start when
// none is configured: an ECDSA P-256 key (file mode 0600) and a self-signed
// certificate for `names`, valid ten years.
struct DeviceCertificate {
  std::string cert_file, key_file, fingerprint;
  bool created = false;
};
Result<DeviceCertificate> LoadOrCreateDeviceCertificate(const ConsoleOptions& options);
Result<std::string> CertificateFingerprint(const std::string& cert_file);

// Logged-in people, in memory: a restart logs everyone out. Tokens and CSRF
// secrets are random; a session ends after idle_timeout without a request,
// after session_lifetime in any case, or at logout.
class SessionTable {
 public:
  struct Session {
    std::string user, role, csrf, address;
    MonoTime created, last_seen;
  };
  SessionTable(const Clock& clock, std::chrono::seconds idle, std::chrono::seconds lifetime)
      : clock_(clock), idle_(idle), lifetime_(lifetime) {}
  // A new session's cookie value.
  Result<std::string> Create(const std::string& user, const std::string& role, const std::string& address);
  // The live session for a cookie value (its idle clock restarted), or nullptr.
  const Session* Touch(const std::string& token);
  void Remove(const std::string& token);
  void RemoveUser(const std::string& user);
  size_t size() const { return sessions_.size(); }

 private:
  const Clock& clock_;
  std::chrono::seconds idle_, lifetime_;
  std::map<std::string, Session> sessions_;  // by SHA-256 of the token
};

// Wrong passwords within a sliding minute, per key ("user:name", "addr:ip"):
// after `allowed` of them the key must wait until the oldest leaves the window.
class LoginThrottle {
 public:
  LoginThrottle(const Clock& clock, int allowed) : clock_(clock), allowed_(allowed) {}
  // Seconds to wait, or nullopt when an attempt may be made now.
  std::optional<std::chrono::seconds> Wait(const std::string& key);
  void Failed(const std::string& key);
  void Succeeded(const std::string& key);

 private:
  const Clock& clock_;
  int allowed_;
  std::map<std::string, std::vector<MonoTime>> failures_;
};

class ConsoleServer {
 public:
  // Loads or makes the certificate, listens, and serves. `api` answers
  // /v1/*; pages and assets are the console's own.
  static Result<std::unique_ptr<ConsoleServer>> Start(asio::io_context& io, const Clock& clock, ConsoleOptions options,
                                                      IntakeApi& api, AsyncStore& store, HashWorker& hasher);
  ~ConsoleServer();
  uint16_t port() const { return port_; }
  const DeviceCertificate& certificate() const { return cert_; }

  class Router;  // the request handler (router.cc)

 private:
  ConsoleServer(asio::io_context& io, const Clock& clock, ConsoleOptions options, IntakeApi& api, AsyncStore& store,
                HashWorker& hasher);
  Status Listen();
  void Accept();
  void Handshake(asio::ip::tcp::socket socket);

  asio::io_context& io_;
  ConsoleOptions options_;
  DeviceCertificate cert_;
  asio::ssl::context tls_;
  asio::ip::tcp::acceptor acceptor_;
  std::unique_ptr<Router> router_;
  uint16_t port_ = 0;
  std::shared_ptr<size_t> connections_ = std::make_shared<size_t>(0);
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace lifeline
