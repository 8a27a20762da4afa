// Test helper: a real NUT pair, /lib/nut/dummy-ups and /lib/nut/upsd, in a private temp dir,
// with upsd listening on 127.0.0.1 only. SetDevice() rewrites the driver's .dev file. Start()
// says in its Status why NUT did not come up; the destructor kills both children by PID.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "daemon/core/status.h"

namespace lifeline::testing {

struct NutDevice {
  std::string status;  // ups.status, e.g. "OB LB"
  int runtime = 0;     // battery.runtime, seconds
  int charge = 0;      // battery.charge, percent
};

class NutProcesses {
 public:
  static constexpr const char* kUps = "test";

  NutProcesses();
  ~NutProcesses();
  NutProcesses(const NutProcesses&) = delete;
  NutProcesses& operator=(const NutProcesses&) = delete;

  // Writes the configuration, starts the driver, then upsd; waits (bounded) for both.
  Status Start(const NutDevice& initial);
  Status StartUpsd();
  void StopUpsd();
  void StopDriver();
  // Rewrites the .dev file; the driver (dummy-once mode) rereads it when its mtime moves.
  Status SetDevice(const NutDevice& device);

  uint16_t port() const { return port_; }
  std::string Logs() const;  // both children's output, for failure messages

 private:
  Status WriteConfig();
  Result<pid_t> Spawn(const std::string& program, const std::vector<std::string>& args,
                      const std::string& log_name);
  Status WaitFor(const std::string& what, pid_t pid, bool (*ready)(const NutProcesses&));
  static void Kill(pid_t& pid);

  std::filesystem::path dir_;
  uint16_t port_ = 0;
  pid_t driver_ = -1;
  pid_t upsd_ = -1;
  int device_writes_ = 0;
};

}  // namespace lifeline::testing
