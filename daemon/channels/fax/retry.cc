// The retry decision is a pure function so that the escalation engine can show
// it ahead of time and tests can walk every branch without a modem.
#include "daemon/channels/fax/fax.h"

namespace lifeline::fax {
namespace {

int LowerSpeed(int bit_rate) {
  if (bit_rate > 9600) return 9600;
  if (bit_rate > 4800) return 4800;
  return 4800;
}

bool IsInputError(const AttemptEvidence& ev) {
  return ev.error.rfind("invalid fax number", 0) == 0 || ev.error.rfind("cannot read TIFF", 0) == 0;
}

}  // namespace

RetryDecision DecideRetry(const AttemptEvidence& ev, int attempt_no, std::chrono::seconds elapsed,
                          int bit_rate_used, const RetryPolicy& p) {
  RetryDecision d;
  d.next_max_bit_rate = bit_rate_used;
  if (ev.success()) {
    d.action = RetryAction::kDone;
    d.reason = "all pages confirmed (MCF)";
    return d;
  }
  if (IsInputError(ev)) {
    d.reason = "not retried: " + ev.error;
    return d;
  }
  switch (ev.dial) {
    case DialResult::kBusy: d.delay = p.busy_delay; d.reason = "busy"; break;
    case DialResult::kNoAnswer: d.delay = p.no_answer_delay; d.reason = "no answer"; break;
    case DialResult::kNoCarrier: d.delay = p.no_carrier_delay; d.reason = "no carrier"; break;
    case DialResult::kNoDialtone: d.delay = p.no_dialtone_delay; d.reason = "no dial tone"; break;
    case DialResult::kModemError: d.delay = p.modem_error_delay; d.reason = "modem error: " + ev.error; break;
    case DialResult::kAnswered:
      // Answered but not every page confirmed: line trouble, so try again slower.
      d.delay = p.call_failed_delay;
      d.next_max_bit_rate = LowerSpeed(bit_rate_used);
      d.reason = "call failed after answer: " + ev.t30_text;
      break;
  }
  if (attempt_no >= p.max_attempts) {
    d.action = RetryAction::kGiveUp;
    d.reason += "; attempts exhausted (" + std::to_string(attempt_no) + ")";
  } else if (elapsed + d.delay + p.expected_call > p.budget) {
    d.action = RetryAction::kGiveUp;
    d.reason += "; no time left in the budget";
  } else {
    d.action = RetryAction::kRetry;
  }
  return d;
}

}  // namespace lifeline::fax
