#include <asio.hpp>

#include "daemon/core/log.h"
#include "daemon/monitor/monitor.h"

namespace lifeline {

struct LinkMonitor::Timer {
  explicit Timer(asio::io_context& io) : t(io) {}
  asio::steady_timer t;
};

LinkMonitor::LinkMonitor(asio::io_context& io, const Clock& clock, LinkOptions options,
                         SiteClient& client, LinkObserver* observer)
    : clock_(clock), options_(options), client_(client), observer_(observer),
      machine_(options), timer_(std::make_unique<Timer>(io)) {}

LinkMonitor::~LinkMonitor() { Stop(); }

void LinkMonitor::Start() {
  if (running_) return;
  running_ = true;
  ProbeNow();
}

void LinkMonitor::Stop() {
  running_ = false;
  timer_->t.cancel();
}

void LinkMonitor::OnAttemptEnd(const SiteAttemptResult& r) {
  std::optional<LinkReason> reason = ReasonFor(r.outcome, r.http_status);
  if (reason) Feed(*reason);
}

void LinkMonitor::Feed(LinkReason reason) {
  std::optional<LinkChange> change =
      machine_.Observe(LinkSample{clock_.Monotonic(), clock_.Now(), reason});
  if (!change) return;
  spdlog::warn("site link {} (reason {})", change->to == LinkState::kOutage ? "OUTAGE" : "RECOVERED",
               LinkReasonName(change->reason));
  if (observer_) observer_->OnLinkChange(*change);
}

void LinkMonitor::ProbeNow() {
  std::weak_ptr<int> alive = alive_;
  client_.Probe([this, alive](const SiteAttemptResult& r) {
    if (alive.expired()) return;
    // A probe is a GET of /v1/health: only a 2xx says the service is up.
    std::optional<LinkReason> reason = ReasonFor(r.outcome, r.http_status);
    if (r.outcome == AttemptClass::kHttpStatus && reason == LinkReason::kNone) {
      reason = LinkReason::kHttp5xx;
    }
    if (reason) Feed(*reason);
    ScheduleProbe();
  });
}

void LinkMonitor::ScheduleProbe() {
  if (!running_) return;
  timer_->t.expires_after(machine_.state() == LinkState::kUp ? options_.probe_interval
                                                             : options_.probe_interval_in_outage);
  std::weak_ptr<int> alive = alive_;
  timer_->t.async_wait([this, alive](const asio::error_code& ec) {
    if (alive.expired() || ec || !running_) return;
    ProbeNow();
  });
}

}  // namespace lifeline
