// Child processes for the supervisor tests: the cross-built image in
// qemu-system-arm (-M microbit, its UART on a pty, GPIO changes traced to a log)
// and supervisor-sim (the host build on a pty, with its control socket). Each
// wait is bounded; both are stopped on destruction.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "daemon/core/status.h"

namespace lifeline::supervisor::testing {

class QemuSupervisor {
 public:
  explicit QemuSupervisor(std::string dir) : dir_(std::move(dir)) {}
  ~QemuSupervisor();
  // Why the image cannot run here ("" when it can): no image was cross-built, or no QEMU.
  static std::string Unavailable();
  Status Start();
  const std::string& pty() const { return pty_; }
  // Levels QEMU traced for GPIO pin `line`, in order (0/1).
  std::vector<int> PinLevels(int line) const;
  std::string Log() const;

 private:
  std::string dir_, pty_, log_;
  pid_t pid_ = -1;
};

class SimSupervisor {
 public:
  explicit SimSupervisor(std::string dir) : dir_(std::move(dir)) {}
  ~SimSupervisor();
  Status Start();
  void Stop();
  const std::string& link() const { return link_; }
  // One control command ("mains 0", "status"...); the reply after "OK ".
  Result<std::string> Control(const std::string& command) const;
  // A number field of the status JSON, -1 when unreadable.
  long StatusField(const std::string& name) const;

 private:
  std::string dir_, link_, control_;
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
};

// A scratch folder under /tmp (socket paths must stay short).
std::string ScratchDir(const std::string& name);

}  // namespace lifeline::supervisor::testing
