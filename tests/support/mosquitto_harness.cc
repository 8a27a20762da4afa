#include "tests/support/mosquitto_harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/support/command.h"

namespace lifeline::testing_support {

int FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  close(fd);
  return port;
}

namespace {

bool Accepts(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  close(fd);
  return ok;
}

}  // namespace

MosquittoBroker::MosquittoBroker(std::string dir, std::string acl) : dir_(std::move(dir)) {
  std::filesystem::create_directories(dir_ + "/persist");
  ca_ = dir_ + "/ca.crt";
  conf_ = dir_ + "/mosquitto.conf";
  log_ = dir_ + "/mosquitto.log";
  acl_ = dir_ + "/acl";
  std::ofstream(acl_) << acl;
  port_ = FreeLoopbackPort();
  std::ofstream(conf_) << "persistence true\npersistence_location " << dir_ << "/persist/\n"
                       << "log_dest file " << log_ << "\nlog_type all\nallow_anonymous false\n"
                       << "listener " << port_ << " 127.0.0.1\n"
                       << "cafile " << ca_ << "\ncertfile " << dir_ << "/broker.crt\nkeyfile " << dir_ << "/broker.key\n"
                       << "require_certificate true\nuse_identity_as_username true\nacl_file " << acl_ << "\n"
                       // The view's session holds every box's messages while the view is away or slow; the
                       // default of 1000 per client drops the rest (proto/fleet.md, The session).
                       << "max_queued_messages 1000000\n";
  // As root mosquitto would become the mosquitto user, who cannot read the test's files.
  if (geteuid() == 0) std::ofstream(conf_, std::ios::app) << "user root\n";
}

MosquittoBroker::~MosquittoBroker() { Stop(); }

bool MosquittoBroker::MakeCertificates(const std::vector<std::string>& names) {
  const std::string d = dir_;
  auto run = [&](const std::string& cmd) {
    CommandResult r = RunCommand("cd " + d + " && " + cmd + " 2>&1");
    if (r.exit_code != 0) error_ = cmd + ": " + r.output;
    return r.exit_code == 0;
  };
  // EC keys: quick to make, and what a box's TPM-less store would hold.
  const std::string key = "openssl ecparam -name prime256v1 -genkey -noout -out ";
  if (!run(key + "ca.key") ||
      !run("openssl req -x509 -new -key ca.key -sha256 -days 2 -subj /CN=lifeline-test-ca -out ca.crt")) {
    return false;
  }
  std::ofstream(d + "/broker.ext") << "subjectAltName=DNS:localhost,IP:127.0.0.1\n";
  auto sign = [&](const std::string& name, const std::string& cn, const std::string& ext) {
    return run(key + name + ".key") &&
           run("openssl req -new -key " + name + ".key -subj /CN=" + cn + " -out " + name + ".csr") &&
           run("openssl x509 -req -in " + name + ".csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -sha256 " +
               ext + " -out " + name + ".crt");
  };
  if (!sign("broker", "localhost", "-extfile broker.ext")) return false;
  for (const std::string& n : names) {
    if (!sign("client-" + n, n, "")) return false;
  }
  return true;
}

ClientCert MosquittoBroker::Client(const std::string& name) const {
  return {dir_ + "/client-" + name + ".crt", dir_ + "/client-" + name + ".key"};
}

bool MosquittoBroker::Start() {
  if (pid_ > 0) return true;
  pid_ = fork();
  if (pid_ == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);  // a test that dies leaves no broker behind
    int out = open((dir_ + "/mosquitto.stdout").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(out, 1);
    dup2(out, 2);
    execlp("mosquitto", "mosquitto", "-c", conf_.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int i = 0; i < 500; ++i) {
    if (Accepts(port_)) return true;
    int status;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      error_ = "mosquitto exited: " + log();
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  error_ = "mosquitto did not listen on port " + std::to_string(port_) + " within 10 s";
  return false;
}

void MosquittoBroker::Stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::string MosquittoBroker::log() const {
  std::ifstream in(log_);
  std::stringstream ss;
  ss << in.rdbuf();
  std::ifstream out(dir_ + "/mosquitto.stdout");
  ss << out.rdbuf();
  return ss.str();
}

}  // namespace lifeline::testing_support
