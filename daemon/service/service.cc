#include "daemon/service/service.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "daemon/core/log.h"

namespace lifeline {
namespace {

std::optional<long long> Number(const char* text) {
  if (!text || !*text) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(text, &end, 10);
  if (errno != 0 || *end != '\0' || v <= 0) return std::nullopt;
  return v;
}

}  // namespace

// WATCHDOG_PID, when set, names the process meant (sd_watchdog_enabled(3)):
// a child that inherited the environment must not feed the parent's watchdog.
NotifyEnvironment NotifyEnvironmentFrom(const char* notify_socket, const char* watchdog_usec,
                                        const char* watchdog_pid, const char* stall_after_ms, long my_pid) {
  NotifyEnvironment e;
  if (notify_socket) e.socket = notify_socket;
  auto usec = Number(watchdog_usec);
  auto pid = Number(watchdog_pid);
  if (usec && (!watchdog_pid || (pid && *pid == my_pid))) e.watchdog = std::chrono::microseconds(*usec);
  if (auto ms = Number(stall_after_ms)) e.test_stall_after = std::chrono::milliseconds(*ms);
  return e;
}

NotifyEnvironment NotifyEnvironmentFromProcess() {
  return NotifyEnvironmentFrom(std::getenv("NOTIFY_SOCKET"), std::getenv("WATCHDOG_USEC"),
                               std::getenv("WATCHDOG_PID"), std::getenv("LIFELINE_TEST_STALL_AFTER_MS"),
                               static_cast<long>(getpid()));
}

Status SendNotify(const std::string& socket_path, std::string_view message) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.empty() || socket_path.size() >= sizeof(addr.sun_path) ||
      (socket_path[0] != '/' && socket_path[0] != '@')) {
    return InvalidArgument("NOTIFY_SOCKET is not a usable socket address: '" + socket_path + "'");
  }
  std::memcpy(addr.sun_path, socket_path.data(), socket_path.size());
  if (addr.sun_path[0] == '@') addr.sun_path[0] = '\0';  // the abstract namespace
  socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_path.size());
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return IoError(std::string("notify socket: ") + std::strerror(errno));
  ssize_t n = sendto(fd, message.data(), message.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&addr), len);
  int err = errno;
  close(fd);
  if (n != static_cast<ssize_t>(message.size())) return IoError("notify " + socket_path + ": " + std::strerror(err));
  return Status::Ok();
}

ServiceNotifier::ServiceNotifier(asio::io_context& io, NotifyEnvironment env)
    : env_(std::move(env)), timer_(io), stall_(io) {}

ServiceNotifier::~ServiceNotifier() {
  timer_.cancel();
  stall_.cancel();
}

std::optional<std::chrono::microseconds> ServiceNotifier::ping_interval() const {
  if (env_.socket.empty() || !env_.watchdog) return std::nullopt;
  return *env_.watchdog / 2;
}

// A failed notification is logged, never fatal: the daemon's duty does not
// depend on the service manager hearing from it.
void ServiceNotifier::Send(std::string_view message) {
  if (env_.socket.empty()) return;
  Status s = SendNotify(env_.socket, message);
  if (!s.ok()) spdlog::warn("service manager: {}", s.message());
}

void ServiceNotifier::Ready(std::string_view status) {
  if (ready_) return;
  ready_ = true;
  Send("READY=1\nSTATUS=" + std::string(status));
  Ping();
  ArmStall();
}

void ServiceNotifier::Stopping() {
  stopping_ = true;
  timer_.cancel();
  stall_.cancel();
  Send("STOPPING=1\nSTATUS=stopping");
}

// The ping is a timer on the loop itself: only a loop that runs handlers feeds the watchdog.
void ServiceNotifier::Ping() {
  auto interval = ping_interval();
  if (!interval || stopping_) return;
  Send("WATCHDOG=1");
  timer_.expires_after(*interval);
  timer_.async_wait([this](const std::error_code& ec) {
    if (!ec) Ping();
  });
}

void ServiceNotifier::ArmStall() {
  if (!env_.test_stall_after) return;
  stall_.expires_after(*env_.test_stall_after);
  stall_.async_wait([](const std::error_code& ec) {
    if (ec) return;
    spdlog::warn("LIFELINE_TEST_STALL_AFTER_MS: the event loop stalls now (test only)");
    std::this_thread::sleep_for(std::chrono::hours(1));
  });
}

}  // namespace lifeline
