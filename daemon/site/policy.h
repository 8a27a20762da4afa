// Retry policy for site submissions as pure functions and one small state
// machine: which outcome class a finished transfer belongs to, whether to
// retry it, how long to back off (exponential, full jitter, capped), and a
// circuit breaker fed with (time, outcome). No I/O; single-threaded values.
#pragma once

#include <curl/curl.h>

#include <chrono>
#include <random>

#include "daemon/core/clock.h"
#include "daemon/site/site.h"

namespace lifeline::site_internal {

AttemptClass ClassifyTransfer(CURLcode code, long http_status);

enum class Verdict { kDone, kRetry, kPermanent, kIdentity };
Verdict Judge(AttemptClass outcome, int http_status);

// Does this outcome say the link to the site is failing? (Breaker and monitor input.)
bool IsLinkFailure(AttemptClass outcome, int http_status);

// Uniform in [0, min(cap, base * 2^(attempt-1))] ("full jitter").
std::chrono::milliseconds FullJitter(int attempt, std::chrono::milliseconds base,
                                     std::chrono::milliseconds cap, std::mt19937_64* rng);

class CircuitBreaker {
 public:
  enum class State { kClosed, kOpen, kHalfOpen };
  CircuitBreaker(int threshold, std::chrono::milliseconds open_for)
      : threshold_(threshold), open_for_(open_for) {}

  // May an attempt go now? While half-open exactly one trial is let through.
  bool Allow(MonoTime now);
  void Record(MonoTime now, bool link_failure);
  State state() const { return state_; }
  MonoTime reopens_at() const { return opened_at_ + open_for_; }

 private:
  int threshold_;
  std::chrono::milliseconds open_for_;
  State state_ = State::kClosed;
  int failures_ = 0;
  bool trial_out_ = false;
  MonoTime opened_at_{};
};

}  // namespace lifeline::site_internal
