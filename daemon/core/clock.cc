#include "daemon/core/clock.h"

#include <cassert>

namespace lifeline {

WallTime SystemClock::Now() const {
  return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
}

MonoTime SystemClock::Monotonic() const { return std::chrono::steady_clock::now(); }

SimulatedClock::SimulatedClock(WallTime start) : wall_us_(start.time_since_epoch().count()) {}

WallTime SimulatedClock::Now() const { return WallTime(std::chrono::microseconds(wall_us_.load())); }

MonoTime SimulatedClock::Monotonic() const {
  return MonoTime(std::chrono::microseconds(mono_us_.load()));
}

void SimulatedClock::Advance(std::chrono::microseconds d) {
  assert(d.count() >= 0);
  wall_us_ += d.count();
  mono_us_ += d.count();
}

void SimulatedClock::StepWall(WallTime to) { wall_us_ = to.time_since_epoch().count(); }

}  // namespace lifeline
