// LegalClock: the wall time lifeline measures the legal hour on. It reads a
// base clock (the system's, or the supervisor's RTC) and does not jump when the
// base's wall time is stepped (NTP correcting a drifted clock, an operator's
// `date -s`, a fall-back to the RTC): wall time that moves more than
// `threshold` differently from monotonic time is a step, absorbed into an
// offset, so every deadline keeps exactly the time it had left and every timer
// fires when it would have. Slewing (gradual NTP correction) passes through.
// Each step is kept, with the time before and after and the base's source,
// until TakeSteps() hands it to the journal. Safe to read from any thread.
//
// The offset lives as long as the process: a restart reckons from the system
// clock again, and the journal holds the step that came before.
#pragma once

#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "daemon/core/clock.h"

namespace lifeline {

struct ClockStep {
  WallTime legal;  // what lifeline reckoned, and keeps reckoning
  WallTime base;   // what the base clock said after the step
  std::chrono::microseconds step{0};  // base - legal: positive when the clock jumped ahead
  std::string source;                  // the base clock's source ("system", "rtc")
  bool ntp_synchronized = false;       // the kernel's view when the step was seen
  nlohmann::json ToJson() const;
};

// Whether the kernel says its clock is disciplined by NTP (adjtimex, read-only).
bool KernelClockSynchronized();

class LegalClock final : public Clock {
 public:
  explicit LegalClock(const Clock& base, std::chrono::milliseconds threshold = std::chrono::milliseconds(2000));

  WallTime Now() const override;
  MonoTime Monotonic() const override { return base_.Monotonic(); }
  std::string_view Source() const override { return base_.Source(); }

  // Steps seen since the last call, oldest first.
  std::vector<ClockStep> TakeSteps();
  // base - legal now: the sum of the steps absorbed.
  std::chrono::microseconds offset() const;

 private:
  const Clock& base_;
  const std::chrono::microseconds threshold_;
  mutable std::mutex mu_;
  mutable bool seen_ = false;
  mutable WallTime last_base_{};
  mutable MonoTime last_mono_{};
  mutable std::chrono::microseconds offset_{0};
  mutable std::vector<ClockStep> steps_;
};

}  // namespace lifeline
