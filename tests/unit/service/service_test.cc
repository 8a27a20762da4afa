// systemd's notify protocol spoken to a real datagram socket standing in for
// the manager: READY=1 with a status, WATCHDOG=1 at half of WATCHDOG_USEC
// from the loop's own timer, STOPPING=1 and no ping after it; and the
// environment read as sd_watchdog_enabled(3) reads it.
#include "daemon/service/service.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <filesystem>

namespace lifeline {
namespace {

// The manager's side: a bound datagram socket, read with a bounded wait.
class FakeManager {
 public:
  FakeManager() {
    path_ = ::testing::TempDir() + "notify-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name();
    unlink(path_.c_str());
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path_.c_str(), sizeof a.sun_path - 1);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  }
  ~FakeManager() {
    close(fd_);
    unlink(path_.c_str());
  }
  const std::string& path() const { return path_; }
  // The next datagram, or "" when none came within `ms`.
  std::string Next(int ms) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, ms) != 1) return "";
    char buf[512];
    ssize_t n = recv(fd_, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
  }

 private:
  std::string path_;
  int fd_ = -1;
};

TEST(NotifyEnvironment, WatchdogOnlyForThisProcess) {
  auto e = NotifyEnvironmentFrom("/run/systemd/notify", "30000000", nullptr, nullptr, 42);
  EXPECT_EQ(e.socket, "/run/systemd/notify");
  ASSERT_TRUE(e.watchdog);
  EXPECT_EQ(*e.watchdog, std::chrono::seconds(30));
  EXPECT_TRUE(NotifyEnvironmentFrom("/s", "30000000", "42", nullptr, 42).watchdog);
  EXPECT_FALSE(NotifyEnvironmentFrom("/s", "30000000", "41", nullptr, 42).watchdog) << "a parent's watchdog";
  EXPECT_FALSE(NotifyEnvironmentFrom("/s", "30s", nullptr, nullptr, 42).watchdog);
  EXPECT_FALSE(NotifyEnvironmentFrom("/s", "-5", nullptr, nullptr, 42).watchdog);
  EXPECT_FALSE(NotifyEnvironmentFrom(nullptr, nullptr, nullptr, nullptr, 42).watchdog);
  EXPECT_EQ(NotifyEnvironmentFrom(nullptr, nullptr, nullptr, nullptr, 42).socket, "");
  EXPECT_EQ(NotifyEnvironmentFrom("/s", nullptr, nullptr, "250", 1).test_stall_after, std::chrono::milliseconds(250));
}

TEST(SendNotify, RefusesAddressesThatAreNoSocketPath) {
  EXPECT_FALSE(SendNotify("", "READY=1").ok());
  EXPECT_FALSE(SendNotify("relative/path", "READY=1").ok());
  EXPECT_FALSE(SendNotify("/" + std::string(200, 'x'), "READY=1").ok());
  EXPECT_FALSE(SendNotify("/nonexistent/notify.sock", "READY=1").ok());
}

TEST(ServiceNotifier, ReadyThenPingsAtHalfTheTimeoutThenStopping) {
  FakeManager manager;
  asio::io_context io;
  NotifyEnvironment env;
  env.socket = manager.path();
  env.watchdog = std::chrono::milliseconds(200);
  ServiceNotifier n(io, env);
  ASSERT_EQ(n.ping_interval(), std::chrono::milliseconds(100));
  n.Ready("store open, listening");
  EXPECT_EQ(manager.Next(1000), "READY=1\nSTATUS=store open, listening");
  EXPECT_EQ(manager.Next(1000), "WATCHDOG=1");
  // The next pings come only from the running loop.
  EXPECT_EQ(manager.Next(300), "") << "a ping while the loop did not run";
  int pings = 0;
  io.run_for(std::chrono::milliseconds(450));
  while (manager.Next(0) == "WATCHDOG=1") ++pings;
  EXPECT_GE(pings, 1) << "no ping from the running loop";
  n.Stopping();
  EXPECT_EQ(manager.Next(1000), "STOPPING=1\nSTATUS=stopping");
  io.restart();
  io.run_for(std::chrono::milliseconds(300));
  EXPECT_EQ(manager.Next(0), "") << "a ping after STOPPING=1";
}

TEST(ServiceNotifier, WithoutAWatchdogOnlyReadyAndStopping) {
  FakeManager manager;
  asio::io_context io;
  NotifyEnvironment env;
  env.socket = manager.path();
  ServiceNotifier n(io, env);
  EXPECT_FALSE(n.ping_interval());
  n.Ready("up");
  n.Ready("again");  // once only
  EXPECT_EQ(manager.Next(1000), "READY=1\nSTATUS=up");
  io.run_for(std::chrono::milliseconds(200));
  EXPECT_EQ(manager.Next(0), "");
}

TEST(ServiceNotifier, WithoutNotifySocketNothingIsSent) {
  asio::io_context io;
  ServiceNotifier n(io, NotifyEnvironment{});
  n.Ready("up");
  n.Stopping();
  EXPECT_FALSE(n.ping_interval());
  EXPECT_EQ(io.run_for(std::chrono::milliseconds(50)), 0u);
}

}  // namespace
}  // namespace lifeline
