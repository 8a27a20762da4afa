#include "daemon/online/online.h"

#include <asio/post.hpp>
#include <utility>

#include "daemon/core/log.h"

namespace lifeline {

Result<Submission> SubmissionFor(const StoredRevision& r) {
  auto aware = ParseRfc3339(r.aware_at);
  if (!aware.ok()) return aware.status();
  Submission s;
  s.report_id = r.id;
  s.revision = r.revision;
  s.kind = r.revision == 1 ? SubmissionKind::kInitial : SubmissionKind::kRevision;
  s.aware_at = *aware;
  s.report_json = r.document.dump();
  s.idempotency_key = MakeIdempotencyKey(s.report_id, s.revision, s.kind);
  return s;
}

OnlinePath::OnlinePath(asio::io_context& io, AsyncStore& store, OnlineOptions options)
    : io_(io), store_(store), options_(options), replay_timer_(io) {}

OnlinePath::~OnlinePath() { replay_timer_.cancel(); }

void OnlinePath::Attach(SiteClient* client, LinkMonitor* monitor) {
  client_ = client;
  monitor_ = monitor;
}

void OnlinePath::Detach() {
  replay_timer_.cancel();
  replayer_.reset();
  snapshot_.reset();
  client_ = nullptr;
  monitor_ = nullptr;
}

void OnlinePath::Start() {
  Drain();
  ScheduleReplay();
}

void OnlinePath::ScheduleReplay() {
  replay_timer_.expires_after(options_.replay_interval);
  replay_timer_.async_wait([this, alive = std::weak_ptr<int>(alive_)](const std::error_code& ec) {
    if (ec || alive.expired()) return;
    if (link_ == LinkState::kUp) Drain();
    ScheduleReplay();
  });
}

void OnlinePath::Submit(const StoredRevision& revision) {
  auto s = SubmissionFor(revision);
  if (!s.ok()) {
    spdlog::error("report {} r{} cannot be submitted: {}", revision.id, revision.revision, s.status().ToString());
    return;
  }
  Send(std::move(*s));
}

// The Replayer reads this instead of the store, so no SQLite call runs on the
// io thread; acknowledgements go back through the store worker.
class OnlinePath::Snapshot final : public PendingSubmissions {
 public:
  Snapshot(std::vector<Submission> pending, OnlinePath& path) : pending_(std::move(pending)), path_(path) {}
  Result<std::vector<Submission>> ListUnacknowledged() override { return pending_; }
  Status MarkAcknowledged(const Submission& s, const SiteReceipt& receipt) override {
    path_.Acknowledge(s, receipt);
    return Status::Ok();
  }

 private:
  std::vector<Submission> pending_;
  OnlinePath& path_;
};

void OnlinePath::Drain() {
  if (!client_) return;
  if (replayer_ && replayer_->draining()) {
    drain_again_ = true;  // one drain at a time; go again when this one ends
    return;
  }
  auto pending = std::make_shared<std::vector<StoredRevision>>();
  store_.Run(
      [pending](Store& st) {
        auto r = st.ListUnacknowledged();
        if (r.ok()) *pending = std::move(*r);
        return r.status();
      },
      [this, pending, alive = std::weak_ptr<int>(alive_)](Status s) {
        if (alive.expired()) return;
        if (!s.ok()) return spdlog::warn("cannot list unacknowledged reports: {}", s.ToString());
        std::vector<Submission> subs;
        for (const auto& r : *pending) {
          auto sub = SubmissionFor(r);
          if (sub.ok() && !in_flight_.count(sub->idempotency_key)) subs.push_back(std::move(*sub));
        }
        if (!subs.empty()) StartReplay(std::move(subs));
      });
}

// Journals the replay durably (the keys it will send), then drains them
// oldest awareness first with bounded concurrency over reused connections.
void OnlinePath::StartReplay(std::vector<Submission> pending) {
  if (replayer_ && replayer_->draining()) return;
  nlohmann::json keys = nlohmann::json::array();
  for (const auto& s : pending) keys.push_back(s.idempotency_key);
  auto subs = std::make_shared<std::vector<Submission>>(std::move(pending));
  store_.Run([keys](Store& st) { return st.RecordEvent("site.replay", "", {{"keys", keys}}); },
             [this, subs, alive = std::weak_ptr<int>(alive_)](Status journaled) {
               if (alive.expired() || !journaled.ok() || (replayer_ && replayer_->draining())) return;
               spdlog::info("replaying {} unacknowledged report revision(s)", subs->size());
               for (const auto& s : *subs) in_flight_[s.idempotency_key] = s.report_id;
               snapshot_ = std::make_unique<Snapshot>(std::move(*subs), *this);
               replayer_ = std::make_unique<Replayer>(*client_, *snapshot_, ReplayOptions{options_.max_concurrency, true});
               replayer_->Drain([this, alive](const ReplaySummary& summary) {
                 if (alive.expired()) return;
                 // A named copy: in C++20 a range-for over *temporary would dangle.
                 auto sent = snapshot_->ListUnacknowledged();
                 if (sent.ok()) {
                   for (const auto& s : *sent) in_flight_.erase(s.idempotency_key);
                 }
                 spdlog::info("replay: {} listed, {} acknowledged, {} failed, {} not started", summary.listed,
                              summary.acknowledged, summary.failed, summary.not_started);
                 if (std::exchange(drain_again_, false)) asio::post(io_, [this, alive] { if (!alive.expired()) Drain(); });
               });
             });
}

// Journals the intent durably, then sends: a crash in between leaves the
// revision unacknowledged, and the replay sends it again with the same key.
void OnlinePath::Send(Submission s) {
  if (!client_ || in_flight_.count(s.idempotency_key)) return;
  in_flight_[s.idempotency_key] = s.report_id;
  auto sub = std::make_shared<Submission>(std::move(s));
  store_.Run(
      [sub](Store& st) {
        return st.RecordEvent("site.submit", sub->report_id,
                              {{"revision", sub->revision}, {"kind", SubmissionKindName(sub->kind)},
                               {"idempotency_key", sub->idempotency_key}});
      },
      [this, sub, alive = std::weak_ptr<int>(alive_)](Status journaled) {
        if (alive.expired()) return;
        if (!journaled.ok()) {
          in_flight_.erase(sub->idempotency_key);
          return spdlog::warn("not sending {}: journal failed: {}", sub->idempotency_key, journaled.ToString());
        }
        client_->Submit(*sub, [this, sub, alive](Result<SiteReceipt> r) {
          if (alive.expired()) return;
          in_flight_.erase(sub->idempotency_key);
          if (r.ok()) return Acknowledge(*sub, *r);
          spdlog::warn("{} not acknowledged by the site: {} (kept for replay)", sub->idempotency_key,
                       r.status().ToString());
        });
      });
}

void OnlinePath::Acknowledge(const Submission& s, const SiteReceipt& receipt) {
  std::string id = s.report_id, no = receipt.receipt_no;
  int revision = s.revision, attempts = receipt.attempts;
  bool replayed = receipt.replayed;
  store_.Run(
      [=](Store& st) {
        LIFELINE_RETURN_IF_ERROR(st.SetSiteReceipt(id, revision, no));
        return st.TransitionReport(id, revision, ReportState::kAccepted,
                                   {{"receipt", no}, {"attempts", attempts}, {"site_replayed", replayed}});
      },
      [id, revision, no](Status st) {
        if (st.ok()) spdlog::info("report {} r{} accepted by the site: receipt {}", id, revision, no);
        else spdlog::error("receipt {} for report {} r{} not stored: {}", no, id, revision, st.ToString());
      });
}

void OnlinePath::OnAttemptStart(const SiteAttempt& a) {
  if (monitor_) monitor_->OnAttemptStart(a);
  if (a.idempotency_key.empty()) return;  // health probes are not journaled one by one
  nlohmann::json p = {{"idempotency_key", a.idempotency_key}, {"attempt", a.attempt}, {"url", a.url}};
  std::string report = ReportOf(a.idempotency_key);
  store_.Run([p, report](Store& st) { return st.RecordEvent("site.attempt.start", report, p); }, [](Status) {});
}

void OnlinePath::OnAttemptEnd(const SiteAttemptResult& r) {
  if (monitor_) monitor_->OnAttemptEnd(r);
  if (r.idempotency_key.empty()) return;
  nlohmann::json p = {{"idempotency_key", r.idempotency_key}, {"attempt", r.attempt},
                      {"outcome", AttemptClassName(r.outcome)}, {"http_status", r.http_status},
                      {"detail", r.detail}, {"elapsed_ms", r.elapsed.count()}};
  if (r.retry_in) p["retry_in_ms"] = r.retry_in->count();
  std::string report = ReportOf(r.idempotency_key);
  store_.Run([p, report](Store& st) { return st.RecordEvent("site.attempt.end", report, p); }, [](Status) {});
}

std::string OnlinePath::ReportOf(const std::string& key) const {
  auto it = in_flight_.find(key);
  return it == in_flight_.end() ? "" : it->second;
}

void OnlinePath::OnLinkChange(const LinkChange& c) {
  link_ = c.to;
  nlohmann::json p = {{"from", LinkStateName(c.from)}, {"to", LinkStateName(c.to)},
                      {"reason", LinkReasonName(c.reason)}, {"consecutive", c.consecutive},
                      {"failing_since", FormatUtcMicros(c.failing_since)}};
  store_.Run([p](Store& st) { return st.RecordEvent(p["to"] == "outage" ? "link.outage" : "link.recovered", "", p); },
             [](Status) {});
  spdlog::warn("link {} -> {} ({})", LinkStateName(c.from), LinkStateName(c.to), LinkReasonName(c.reason));
  if (c.to == LinkState::kUp) Drain();
  if (on_link_change) on_link_change(c);
}

}  // namespace lifeline
