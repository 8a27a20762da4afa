#include "daemon/site/policy.h"

#include <algorithm>

namespace lifeline::site_internal {

AttemptClass ClassifyTransfer(CURLcode code, long http_status) {
  switch (code) {
    case CURLE_OK:
      return http_status >= 200 && http_status < 300 ? AttemptClass::kAccepted
                                                     : AttemptClass::kHttpStatus;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return AttemptClass::kDns;
    case CURLE_COULDNT_CONNECT:
      return AttemptClass::kConnect;
    case CURLE_OPERATION_TIMEDOUT:
      return AttemptClass::kTimeout;
    case CURLE_PEER_FAILED_VERIFICATION:  // untrusted chain or host name mismatch
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_ISSUER_ERROR:
      return AttemptClass::kTlsIdentity;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CIPHER:
    case CURLE_USE_SSL_FAILED:
      // curl maps chain and name failures to CURLE_PEER_FAILED_VERIFICATION;
      // its verify result is not meaningful for a handshake that failed earlier.
      return AttemptClass::kTls;
    case CURLE_OUT_OF_MEMORY:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_FAILED_INIT:
      return AttemptClass::kLocal;
    default:
      return AttemptClass::kTransport;  // reset, empty reply, partial body, send/recv errors
  }
}

Verdict Judge(AttemptClass outcome, int http_status) {
  switch (outcome) {
    case AttemptClass::kAccepted: return Verdict::kDone;
    case AttemptClass::kTlsIdentity: return Verdict::kIdentity;
    case AttemptClass::kLocal: return Verdict::kPermanent;
    case AttemptClass::kHttpStatus:
      // 409: our earlier attempt with this key is still being processed.
      if (http_status == 408 || http_status == 409 || http_status == 425 || http_status == 429 ||
          http_status >= 500) {
        return Verdict::kRetry;
      }
      return Verdict::kPermanent;
    default: return Verdict::kRetry;
  }
}

bool IsLinkFailure(AttemptClass outcome, int http_status) {
  switch (outcome) {
    case AttemptClass::kAccepted:
    case AttemptClass::kLocal:
    case AttemptClass::kCircuitOpen:
      return false;
    case AttemptClass::kHttpStatus:
      return http_status >= 500 || http_status == 408;
    default:
      return true;
  }
}

std::chrono::milliseconds FullJitter(int attempt, std::chrono::milliseconds base,
                                     std::chrono::milliseconds cap, std::mt19937_64* rng) {
  int shift = std::clamp(attempt - 1, 0, 30);
  int64_t ceiling = base.count() * (int64_t{1} << shift);
  if (ceiling <= 0 || ceiling > cap.count()) ceiling = cap.count();
  std::uniform_int_distribution<int64_t> pick(0, std::max<int64_t>(ceiling, 0));
  return std::chrono::milliseconds(pick(*rng));
}

bool CircuitBreaker::Allow(MonoTime now) {
  switch (state_) {
    case State::kClosed: return true;
    case State::kOpen:
      if (now < reopens_at()) return false;
      state_ = State::kHalfOpen;
      trial_out_ = true;
      return true;
    case State::kHalfOpen:
      if (trial_out_) return false;
      trial_out_ = true;
      return true;
  }
  return false;
}

void CircuitBreaker::Record(MonoTime now, bool link_failure) {
  if (!link_failure) {
    state_ = State::kClosed;
    failures_ = 0;
    trial_out_ = false;
    return;
  }
  ++failures_;
  if (state_ == State::kHalfOpen || failures_ >= threshold_) {
    state_ = State::kOpen;
    opened_at_ = now;
    trial_out_ = false;
  }
}

}  // namespace lifeline::site_internal
