#include "daemon/monitor/monitor.h"

namespace lifeline {

std::string_view LinkStateName(LinkState s) { return s == LinkState::kUp ? "up" : "outage"; }

std::string_view LinkReasonName(LinkReason r) {
  switch (r) {
    case LinkReason::kNone: return "none";
    case LinkReason::kDns: return "dns";
    case LinkReason::kConnect: return "connect";
    case LinkReason::kTimeout: return "timeout";
    case LinkReason::kTls: return "tls";
    case LinkReason::kTlsIdentity: return "tls_identity";
    case LinkReason::kTransport: return "transport";
    case LinkReason::kHttp5xx: return "http_5xx";
    case LinkReason::kHttp429: return "http_429";
  }
  return "none";
}

std::optional<LinkReason> ReasonFor(AttemptClass outcome, int http_status) {
  switch (outcome) {
    case AttemptClass::kAccepted: return LinkReason::kNone;
    case AttemptClass::kDns: return LinkReason::kDns;
    case AttemptClass::kConnect: return LinkReason::kConnect;
    case AttemptClass::kTimeout: return LinkReason::kTimeout;
    case AttemptClass::kTls: return LinkReason::kTls;
    case AttemptClass::kTlsIdentity: return LinkReason::kTlsIdentity;
    case AttemptClass::kTransport:
    case AttemptClass::kProtocol: return LinkReason::kTransport;
    case AttemptClass::kHttpStatus:
      if (http_status == 429) return LinkReason::kHttp429;
      if (http_status >= 500 || http_status == 408) return LinkReason::kHttp5xx;
      return LinkReason::kNone;  // the site answered; the request was at fault
    case AttemptClass::kLocal:
    case AttemptClass::kCircuitOpen: return std::nullopt;
  }
  return std::nullopt;
}

std::optional<LinkChange> LinkStateMachine::Observe(const LinkSample& s) {
  return s.reason == LinkReason::kNone ? ObserveSuccess(s) : ObserveFailure(s);
}

std::optional<LinkChange> LinkStateMachine::ObserveFailure(const LinkSample& s) {
  successes_ = 0;
  if (failures_ == 0) {
    first_failure_ = s.at;
    first_failure_wall_ = s.wall;
    by_reason_.clear();
  }
  ++failures_;
  ++by_reason_[s.reason];
  last_reason_ = s.reason;
  if (state_ == LinkState::kOutage) return std::nullopt;
  if (failures_ < options_.outage_after_failures ||
      s.at - first_failure_ < options_.outage_min_span) {
    return std::nullopt;
  }
  state_ = LinkState::kOutage;
  LinkChange c{LinkState::kUp, LinkState::kOutage, Dominant(), by_reason_, first_failure_wall_,
               s.wall, failures_};
  outage_ = c;
  return c;
}

std::optional<LinkChange> LinkStateMachine::ObserveSuccess(const LinkSample& s) {
  ++successes_;
  if (state_ == LinkState::kUp) {
    failures_ = 0;  // a success breaks the run of failures
    return std::nullopt;
  }
  if (successes_ < options_.recovered_after_successes) return std::nullopt;
  state_ = LinkState::kUp;
  // RECOVERED carries what the outage was about, with every failure it saw.
  LinkChange c{LinkState::kOutage, LinkState::kUp, Dominant(), by_reason_, first_failure_wall_,
               s.wall, successes_};
  failures_ = 0;
  outage_.reset();
  return c;
}

// The most frequent failure class of the run; ties go to the latest seen.
LinkReason LinkStateMachine::Dominant() const {
  LinkReason best = last_reason_;
  int best_n = by_reason_.count(best) ? by_reason_.at(best) : 0;
  for (const auto& [reason, n] : by_reason_) {
    if (n > best_n) {
      best = reason;
      best_n = n;
    }
  }
  return best;
}

}  // namespace lifeline
