#include "tests/support/daemon_harness.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "daemon/http/http.h"

namespace lifeline::testing_support {
namespace {

int ConnectUnix(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

bool WaitFd(int fd, short events, int timeout_ms) {
  pollfd p{fd, events, 0};
  return poll(&p, 1, timeout_ms) == 1;
}

}  // namespace

HttpReply HttpOverUnix(const std::string& socket_path, const std::string& method, const std::string& path,
                       const std::string& body, int timeout_ms) {
  HttpReply reply;
  int fd = ConnectUnix(socket_path);
  if (fd < 0) return reply;
  http::Request request;
  request.method = method;
  request.target = path;
  request.headers.Add("connection", "close");
  request.headers.Add("content-type", "application/json");
  request.body = body;
  std::string req = http::SerializeRequest(request, "lifelined");
  size_t sent = 0;
  while (sent < req.size()) {
    ssize_t n = send(fd, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      close(fd);
      return reply;
    }
    sent += static_cast<size_t>(n);
  }
  http::ResponseParser parser;
  char buf[8192];
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (parser.state() == http::ResponseParser::State::kNeedMore && std::chrono::steady_clock::now() < deadline) {
    if (!WaitFd(fd, POLLIN, 100)) continue;
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) {
      parser.Finish();
      break;
    }
    parser.Feed(std::string_view(buf, static_cast<size_t>(n)));
  }
  close(fd);
  // Only a whole response counts as an answer: a cut one is no answer.
  if (parser.state() != http::ResponseParser::State::kComplete) return reply;
  reply.status = parser.response().status;
  reply.body = nlohmann::json::parse(parser.response().body, nullptr, false);
  return reply;
}

DaemonProcess::DaemonProcess(std::string state_dir, std::vector<std::string> wrapper, std::string extra,
                             std::string log_level)
    : state_dir_(std::move(state_dir)), wrapper_(std::move(wrapper)) {
  std::filesystem::create_directories(state_dir_);
  socket_ = state_dir_ + "/lifelined.sock";
  config_ = state_dir_ + "/test-config.toml";
  log_ = state_dir_ + "/daemon.log";
  // The console on a port of the kernel's choosing, so daemons in parallel tests do not collide.
  std::string console = extra.find("[console]") == std::string::npos ? "[console]\nlisten = \"127.0.0.1\"\nport = 0\n" : "";
  std::ofstream(config_) << "[daemon]\nstate_dir = \"" << state_dir_ << "\"\nlog_level = \"" << log_level << "\"\n"
                          << console << extra;
}

DaemonProcess::~DaemonProcess() {
  if (pid_ > 0) Kill(SIGKILL);
}

bool DaemonProcess::Start() {
  std::vector<std::string> argv = wrapper_;
  argv.push_back(LIFELINE_BINARY_DIR "/daemon/lifelined");
  argv.push_back("--config");
  argv.push_back(config_);
  pid_ = fork();
  if (pid_ == 0) {
    int out = open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(out, 1);
    dup2(out, 2);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  for (int i = 0; i < 200; ++i) {
    if (HttpOverUnix(socket_, "GET", "/v1/health", "", 1000).status == 200) return true;
    int status;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

int DaemonProcess::Kill(int sig) {
  if (pid_ <= 0) return -1;
  kill(pid_, sig);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

std::string DaemonProcess::log() const {
  std::ifstream in(log_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace lifeline::testing_support
