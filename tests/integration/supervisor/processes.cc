#include "tests/integration/supervisor/processes.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

extern char** environ;

namespace lifeline::supervisor::testing {
namespace {

Result<pid_t> Spawn(std::vector<std::string> args, int out_fd, int err_fd) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (out_fd >= 0) posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
  if (err_fd >= 0) posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return IoError("cannot start " + args[0] + ": " + std::strerror(rc));
  return pid;
}

void Reap(pid_t& pid) {
  if (pid <= 0) return;
  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
  pid = -1;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Result<std::string> ReadLine(int fd, int timeout_ms) {
  std::string line;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    char c;
    if (read(fd, &c, 1) != 1) return IoError("closed");
    if (c == '\n') return line;
    line += c;
  }
  return Unavailable("no line in time");
}

}  // namespace

std::string ScratchDir(const std::string& name) {
  std::string dir = (std::filesystem::temp_directory_path() /
                     ("lifeline-sup-" + name + "-" + std::to_string(getpid()))).string();
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::string QemuSupervisor::Unavailable() {
  if (std::string(LIFELINE_SUPERVISOR_IMAGE).empty() || !std::filesystem::exists(LIFELINE_SUPERVISOR_IMAGE)) {
    return "no supervisor image was cross-built (install gcc-arm-none-eabi and libnewlib-arm-none-eabi)";
  }
  if (system("qemu-system-arm --version >/dev/null 2>&1") != 0) return "qemu-system-arm is not installed";
  return "";
}

QemuSupervisor::~QemuSupervisor() { Reap(pid_); }

Status QemuSupervisor::Start() {
  log_ = dir_ + "/qemu.log";
  int err = open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  auto pid = Spawn({"qemu-system-arm", "-M", "microbit", "-kernel", LIFELINE_SUPERVISOR_IMAGE, "-display", "none",
                    "-monitor", "none", "-serial", "pty", "-trace", "nrf51_gpio_update_output_irq"},
                   err, err);
  close(err);
  if (!pid.ok()) return pid.status();
  pid_ = *pid;
  std::regex pty_re("char device redirected to (/dev/pts/[0-9]+)");
  for (int i = 0; i < 100; ++i) {  // 10 s at most
    std::smatch m;
    std::string log = Log();
    if (std::regex_search(log, m, pty_re)) {
      pty_ = m[1];
      return Status::Ok();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return Internal("QEMU gave no pty:\n" + Log());
}

std::vector<int> QemuSupervisor::PinLevels(int line) const {
  std::vector<int> out;
  std::istringstream in(Log());
  std::string want = "nrf51_gpio_update_output_irq line " + std::to_string(line) + " value ";
  for (std::string l; std::getline(in, l);) {
    auto at = l.find(want);
    if (at != std::string::npos) out.push_back(std::atoi(l.c_str() + at + want.size()));
  }
  return out;
}

std::string QemuSupervisor::Log() const { return ReadFile(log_); }

SimSupervisor::~SimSupervisor() { Stop(); }

void SimSupervisor::Stop() {
  Reap(pid_);
  if (stdout_fd_ >= 0) close(stdout_fd_);
  stdout_fd_ = -1;
}

Status SimSupervisor::Start() {
  link_ = dir_ + "/supervisor";
  control_ = dir_ + "/supervisor.ctl";
  int out[2];
  if (pipe(out) != 0) return IoError("pipe");
  int err = open((dir_ + "/sim.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  auto pid = Spawn({LIFELINE_BINARY_DIR "/firmware/supervisor-sim", "--link", link_, "--control", control_,
                    "--flash", dir_ + "/flash.bin", "--die-with-parent"},
                   out[1], err);
  close(out[1]);
  close(err);
  stdout_fd_ = out[0];
  if (!pid.ok()) return pid.status();
  pid_ = *pid;
  auto ready = ReadLine(stdout_fd_, 10000);
  if (!ready.ok()) return Internal("supervisor-sim did not start: " + ready.status().message());
  return Status::Ok();
}

Result<std::string> SimSupervisor::Control(const std::string& command) const {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, control_.c_str(), sizeof(addr.sun_path) - 1);
  if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (fd >= 0) close(fd);
    return IoError("cannot reach supervisor-sim's control socket");
  }
  std::string line = command + "\n";
  Result<std::string> reply = write(fd, line.data(), line.size()) == ssize_t(line.size())
                                  ? ReadLine(fd, 5000)
                                  : Result<std::string>(IoError("control write failed"));
  close(fd);
  if (!reply.ok()) return reply;
  if (reply->rfind("OK", 0) != 0) return Internal("supervisor-sim: " + *reply);
  return reply->size() > 3 ? reply->substr(3) : std::string();
}

long SimSupervisor::StatusField(const std::string& name) const {
  auto s = Control("status");
  if (!s.ok()) return -1;
  auto j = nlohmann::json::parse(*s, nullptr, false);
  return j.is_object() && j.contains(name) ? j[name].get<long>() : -1;
}

}  // namespace lifeline::supervisor::testing
