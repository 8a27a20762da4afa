// Clock: the one way lifeline reads time. Wall time is what people and the law
// speak in (aware_at, deadlines); monotonic time drives timers and never jumps.
// SystemClock reads the host; SimulatedClock is moved by hand so tests run hours
// of schedule in milliseconds. Implementations are safe to read from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <string_view>

#include "daemon/core/time_format.h"

namespace lifeline {

using MonoTime = std::chrono::steady_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual WallTime Now() const = 0;
  virtual MonoTime Monotonic() const = 0;
  // Where wall time comes from, recorded in the journal ("system", "simulated").
  virtual std::string_view Source() const = 0;
};

class SystemClock final : public Clock {
 public:
  WallTime Now() const override;
  MonoTime Monotonic() const override;
  std::string_view Source() const override { return "system"; }
};

class SimulatedClock final : public Clock {
 public:
  explicit SimulatedClock(WallTime start);
  WallTime Now() const override;
  MonoTime Monotonic() const override;
  std::string_view Source() const override { return "simulated"; }

  // Moves both wall and monotonic time forward by `d` (d >= 0).
  void Advance(std::chrono::microseconds d);
  // Jumps the wall clock only (as NTP stepping the clock would); monotonic stays.
  void StepWall(WallTime to);

 private:
  std::atomic<int64_t> wall_us_;
  std::atomic<int64_t> mono_us_{0};
};

}  // namespace lifeline
