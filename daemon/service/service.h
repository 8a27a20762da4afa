// ServiceNotifier: lifelined's side of systemd's notify protocol
// (sd_notify(3)): READY=1 once the store is open and the socket listens,
// STOPPING=1 when a stop begins, and WATCHDOG=1 from a timer on the event loop
// every half of WATCHDOG_USEC, so a loop that hangs stops feeding the watchdog
// and systemd restarts the daemon. Without NOTIFY_SOCKET every call does
// nothing. io_context thread only.
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/core/status.h"

namespace lifeline {

// Where and how often to notify, from the environment systemd sets
// (NOTIFY_SOCKET, WATCHDOG_USEC, WATCHDOG_PID); pure, so tests give their own.
struct NotifyEnvironment {
  std::string socket;                                // "" = not under a notify-aware manager
  std::optional<std::chrono::microseconds> watchdog;  // the manager's timeout, when it watches us
  // Test only (LIFELINE_TEST_STALL_AFTER_MS): the loop blocks this long after
  // READY, so a test sees the watchdog pings stop as they would in a hung loop.
  std::optional<std::chrono::milliseconds> test_stall_after;
};
NotifyEnvironment NotifyEnvironmentFrom(const char* notify_socket, const char* watchdog_usec,
                                        const char* watchdog_pid, const char* stall_after_ms, long my_pid);
NotifyEnvironment NotifyEnvironmentFromProcess();

// One datagram to `socket` (a path, or "@name" in the abstract namespace).
Status SendNotify(const std::string& socket, std::string_view message);

class ServiceNotifier {
 public:
  ServiceNotifier(asio::io_context& io, NotifyEnvironment env);
  ~ServiceNotifier();

  // READY=1 with a STATUS= line; starts the watchdog pings.
  void Ready(std::string_view status);
  // STOPPING=1; the pings stop.
  void Stopping();
  // Half the manager's watchdog timeout; nullopt when nobody watches.
  std::optional<std::chrono::microseconds> ping_interval() const;

 private:
  void Send(std::string_view message);
  void Ping();
  void ArmStall();

  NotifyEnvironment env_;
  asio::steady_timer timer_, stall_;
  bool ready_ = false, stopping_ = false;
};

}  // namespace lifeline
