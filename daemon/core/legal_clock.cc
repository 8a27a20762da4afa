#include "daemon/core/legal_clock.h"

#include <sys/timex.h>

#include <nlohmann/json.hpp>

namespace lifeline {

using std::chrono::duration_cast;
using std::chrono::microseconds;

nlohmann::json ClockStep::ToJson() const {
  return {{"legal", FormatUtcMicros(legal)},
          {"base", FormatUtcMicros(base)},
          {"step_seconds", double(step.count()) / 1e6},
          {"source", source},
          {"ntp_synchronized", ntp_synchronized}};
}

bool KernelClockSynchronized() {
  struct timex t {};
  const int state = adjtimex(&t);  // modes = 0: reads only
  return state != -1 && state != TIME_ERROR && (t.status & STA_UNSYNC) == 0;
}

LegalClock::LegalClock(const Clock& base, std::chrono::milliseconds threshold)
    : base_(base), threshold_(duration_cast<microseconds>(threshold)) {}

WallTime LegalClock::Now() const {
  std::lock_guard lock(mu_);
  const MonoTime mono = base_.Monotonic();
  const WallTime base = base_.Now();
  if (seen_) {
    const WallTime expected = last_base_ + duration_cast<microseconds>(mono - last_mono_);
    const microseconds jump = duration_cast<microseconds>(base - expected);
    if (jump > threshold_ || -jump > threshold_) {
      offset_ += jump;
      steps_.push_back({base - offset_, base, jump, std::string(base_.Source()), KernelClockSynchronized()});
    }
  }
  seen_ = true;
  last_base_ = base;
  last_mono_ = mono;
  return base - offset_;
}

std::vector<ClockStep> LegalClock::TakeSteps() {
  std::lock_guard lock(mu_);
  std::vector<ClockStep> out;
  out.swap(steps_);
  return out;
}

microseconds LegalClock::offset() const {
  std::lock_guard lock(mu_);
  return offset_;
}

}  // namespace lifeline
