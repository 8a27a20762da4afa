// SmtpServerProcess: fork/exec of /usr/bin/python3 smtp_server.py.
#include "tests/integration/email/smtp_server_process.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace lifeline::email::testing {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

Result<std::unique_ptr<SmtpServerProcess>> SmtpServerProcess::Start(
    const std::string& name, const ServerOptions& options) {
  std::unique_ptr<SmtpServerProcess> p(new SmtpServerProcess());
  std::string tmpl = "/tmp/lifeline-email-" + name + "-XXXXXX";
  if (!mkdtemp(tmpl.data())) return IoError("mkdtemp failed");
  p->dir_ = tmpl;
  std::filesystem::create_directory(p->dir_ + "/spool");
  if (options.tls) LIFELINE_RETURN_IF_ERROR(p->MakeCert());
  LIFELINE_RETURN_IF_ERROR(p->Spawn(options));
  LIFELINE_RETURN_IF_ERROR(p->WaitForPort());
  return p;
}

SmtpServerProcess::~SmtpServerProcess() {
  Stop();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

// A certificate for 127.0.0.1 that only this test trusts (via ca_file).
Status SmtpServerProcess::MakeCert() {
  cert_ = dir_ + "/cert.pem";
  key_ = dir_ + "/key.pem";
  std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
                    " -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1"
                    " -keyout " + key_ + " -out " + cert_ + " >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) return Internal("openssl could not make a certificate");
  return Status::Ok();
}

Status SmtpServerProcess::Spawn(const ServerOptions& o) {
  std::vector<std::string> args = {"/usr/bin/python3",
                                   LIFELINE_SOURCE_DIR "/tests/integration/email/smtp_server.py",
                                   "--port-file", dir_ + "/port", "--spool", dir_ + "/spool"};
  if (!o.rcpt_reply.empty()) args.insert(args.end(), {"--rcpt-reply", o.rcpt_reply});
  if (!o.data_reply.empty()) args.insert(args.end(), {"--data-reply", o.data_reply});
  if (!o.accept_reply.empty()) args.insert(args.end(), {"--accept-reply", o.accept_reply});
  if (o.tls) args.insert(args.end(), {"--cert", cert_, "--key", key_});
  if (o.smtps) args.push_back("--smtps");
  if (!o.auth.empty()) args.insert(args.end(), {"--auth", o.auth});
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_ = fork();
  if (pid_ < 0) return IoError("fork failed");
  if (pid_ == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlives a crashed test
    execv(argv[0], argv.data());
    _exit(127);
  }
  return Status::Ok();
}

Status SmtpServerProcess::WaitForPort() {
  for (int i = 0; i < 500; ++i) {  // at most ~10 s
    std::string text = ReadFile(dir_ + "/port");
    if (!text.empty()) {
      port_ = std::atoi(text.c_str());
      return Status::Ok();
    }
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      return Unavailable("smtp_server.py exited early (is python3-aiosmtpd installed?)");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return Unavailable("smtp_server.py did not report its port");
}

std::vector<Received> SmtpServerProcess::Messages() const {
  std::vector<Received> out;
  for (int n = 1;; ++n) {
    std::string base = dir_ + "/spool/msg-" + std::to_string(n);
    if (!std::filesystem::exists(base + ".json")) return out;
    out.push_back({ReadFile(base + ".eml"), ReadFile(base + ".json")});
  }
}

void SmtpServerProcess::Stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

}  // namespace lifeline::email::testing
