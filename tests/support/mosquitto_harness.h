// Test harness for a real mosquitto on loopback with TLS: a CA, the
// broker's certificate and one client certificate per name made with openssl
// in a temporary directory; a broker that requires a client certificate,
// takes its CN as the user name, and applies an ACL file; started and stopped
// (SIGTERM, so it saves its persistence) on the same port as often as a test
// wants. Every wait is bounded.
#pragma once

#include <string>
#include <vector>

namespace lifeline::testing_support {

struct ClientCert {
  std::string cert, key;
};

class MosquittoBroker {
 public:
  // `acl` is the ACL file's text. Certificates are made in `dir`.
  MosquittoBroker(std::string dir, std::string acl);
  ~MosquittoBroker();

  bool MakeCertificates(const std::vector<std::string>& client_names);  // false (see error()) when openssl fails
  ClientCert Client(const std::string& name) const;
  const std::string& ca_file() const { return ca_; }
  int port() const { return port_; }

  bool Start();  // true once the port accepts connections (10 s at most)
  void Stop();   // SIGTERM and reap
  bool running() const { return pid_ > 0; }
  std::string log() const;
  const std::string& error() const { return error_; }

 private:
  std::string dir_, acl_, ca_, conf_, log_, error_;
  int port_ = 0;
  int pid_ = -1;
};

// A port the kernel just gave out and released, for a server a test starts.
int FreeLoopbackPort();

}  // namespace lifeline::testing_support
