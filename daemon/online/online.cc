#include "daemon/online/online.h"
#include "daemon/core/text.h"

#include <asio/post.hpp>

#include <algorithm>
#include <utility>

#include "daemon/core/log.h"

namespace lifeline {

Result<Submission> SubmissionFor(const StoredRevision& r, const std::optional<FallbackEvidence>& fallback) {
  auto aware = ParseRfc3339(r.aware_at);
  if (!aware.ok()) return aware.status();
  Submission s;
  s.report_id = r.id;
  s.revision = r.revision;
  s.kind = r.revision == 1 ? SubmissionKind::kInitial : SubmissionKind::kRevision;
  if (fallback) {
    s.kind = SubmissionKind::kLate;
    s.fallback = fallback;
  }
  s.aware_at = *aware;
  s.report_json = DumpJson(r.document);
  auto key = SubmissionKey(s);
  if (!key.ok()) return key.status();
  s.idempotency_key = *key;
  return s;
}

Result<Submission> SubmissionForStage(const StoredStage& st) {
  auto aware = ParseRfc3339(st.aware_at);
  if (!aware.ok()) return aware.status();
  auto recorded = ParseRfc3339(st.received_at);
  if (!recorded.ok()) return recorded.status();
  Submission s;
  s.report_id = st.report_id;
  s.revision = st.version;
  s.kind = st.stage == "closing" ? SubmissionKind::kClosing : SubmissionKind::kDamageControl;
  s.aware_at = *aware;
  s.report_json = st.document.dump();
  s.report_revision = st.report_revision;
  s.recorded_at = WithOffset(recorded->instant, aware->offset_minutes);
  s.idempotency_key = MakeIdempotencyKey(s.report_id, s.revision, s.kind);
  return s;
}

Result<std::optional<FallbackEvidence>> FallbackEvidenceFor(Store& store, const StoredRevision& r) {
  if (r.state != "fallback") return std::optional<FallbackEvidence>();
  auto why = store.FallbackOf(r.id, r.revision);
  if (!why.ok()) return why.status();
  auto notifications = store.Notifications(r.id);
  if (!notifications.ok()) return notifications.status();
  auto attempts = store.Attempts(r.id);
  if (!attempts.ok()) return attempts.status();
  FallbackEvidence e;
  const nlohmann::json& f = why->is_object() ? *why : nlohmann::json::object();
  e.reason_class = f.value("reason_class", "transport");
  e.reason = f.value("reason_zh", "") + " / " + f.value("reason", "");
  auto offset = ParseRfc3339(r.aware_at);
  int minutes = offset.ok() ? offset->offset_minutes : 480;
  if (f.contains("outage_began_at")) {
    auto began = ParseRfc3339(f.value("outage_began_at", ""));
    if (began.ok()) e.outage_began_at = *began;
  }
  std::map<int64_t, std::string> recipient_of;
  for (const auto& n : *notifications) {
    if (n.revision == r.revision) recipient_of[n.id] = n.recipient;
  }
  for (const auto& a : *attempts) {
    auto who = recipient_of.find(a.notification_id);
    if (who == recipient_of.end() || a.outcome == "cancelled") continue;
    bool open = a.ended_at.empty();
    auto at = ParseRfc3339(open ? a.started_at : a.ended_at);
    if (!at.ok()) continue;
    std::string summary = a.evidence.is_object() ? a.evidence.value("summary", "") : "";
    std::string outcome = open ? "in progress (started " + a.started_at + ")" : a.outcome + ": " + summary;
    e.notifications.push_back({who->second + " (" + a.address + ")", a.channel,
                               WithOffset(at->instant, minutes), outcome.substr(0, 2000)});
  }
  if (e.notifications.empty()) return std::optional<FallbackEvidence>();
  return std::optional<FallbackEvidence>(std::move(e));
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

void OnlinePath::HoldUntil(const std::string& report_id, std::chrono::steady_clock::time_point until) {
  held_[report_id] = until;
}

bool OnlinePath::Held(const std::string& report_id) {
  auto it = held_.find(report_id);
  if (it == held_.end()) return false;
  if (std::chrono::steady_clock::now() < it->second) return true;
  held_.erase(it);
  return false;
}

void OnlinePath::Submit(const StoredRevision& revision) {
  if (!client_) return;            // no site configured: stored and journaled only
  if (Held(revision.id)) return;  // a drill: the site counts as lost; the replay sends it later
  auto s = SubmissionFor(revision);
  if (!s.ok()) {
    spdlog::error("report {} r{} cannot be submitted: {}", revision.id, revision.revision, s.status().ToString());
    return;
  }
  Send(std::move(*s));
}

void OnlinePath::SubmitStage(const StoredStage& stage) {
  if (!client_ || Held(stage.report_id)) return;  // the replay sends it later
  if (!stage.report_on_site) {
    stages_waiting_.insert(stage.report_id);
    return;
  }
  auto s = SubmissionForStage(stage);
  if (!s.ok()) {
    spdlog::error("report {} {} v{} cannot be submitted: {}", stage.report_id, stage.stage, stage.version,
                  s.status().ToString());
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

namespace {

// Revisions a drain lists and sends at once: the replay holds a batch, not
// the whole backlog, so memory stays flat however long the outage was.
constexpr size_t kDrainBatch = 256;

}  // namespace

void OnlinePath::Drain() {
  if (!client_) return;
  if (replayer_ && replayer_->draining()) {
    drain_again_ = true;  // one drain at a time; go again when this one ends
    return;
  }
  DrainFrom({});
}

void OnlinePath::DrainFrom(UnacknowledgedAfter after) {
  auto pending = std::make_shared<std::vector<StoredRevision>>();
  auto evidence = std::make_shared<std::vector<std::optional<FallbackEvidence>>>();
  auto stages = std::make_shared<std::vector<StoredStage>>();
  store_.Run(
      [pending, evidence, stages, after](Store& st) {
        auto r = st.ListUnacknowledged(after, kDrainBatch);
        if (!r.ok()) return r.status();
        *pending = std::move(*r);
        for (const auto& rev : *pending) {
          auto e = FallbackEvidenceFor(st, rev);
          if (!e.ok()) return e.status();
          evidence->push_back(std::move(*e));
        }
        if (!after.report_id.empty()) return Status::Ok();  // stages go with the first batch only
        auto s = st.ListUnacknowledgedStages();
        if (s.ok()) *stages = std::move(*s);
        return s.status();
      },
      [this, pending, evidence, stages, alive = std::weak_ptr<int>(alive_)](Status s) {
        if (alive.expired()) return;
        if (!s.ok()) return spdlog::warn("cannot list unacknowledged reports: {}", s.ToString());
        next_batch_.reset();
        if (pending->size() == kDrainBatch) {
          const StoredRevision& last = pending->back();
          auto aware = ParseRfc3339(last.aware_at);
          if (aware.ok()) {
            next_batch_ = UnacknowledgedAfter{
                std::chrono::duration_cast<std::chrono::microseconds>(aware->instant.time_since_epoch()).count(),
                last.id, last.revision};
          }
        }
        std::vector<Submission> subs = StagesToSend(*stages);
        for (size_t i = 0; i < pending->size(); ++i) {
          const auto& r = (*pending)[i];
          if (Held(r.id)) continue;
          // One submission per report at a time: a late one must not race an initial still being retried.
          bool sending = std::any_of(in_flight_.begin(), in_flight_.end(),
                                     [&](const auto& kv) { return kv.second == r.id; });
          if (sending) continue;
          auto sub = SubmissionFor(r, (*evidence)[i]);
          if (sub.ok() && !in_flight_.count(sub->idempotency_key)) subs.push_back(std::move(*sub));
        }
        pending->clear();
        if (!subs.empty()) return StartReplay(std::move(subs));
        if (next_batch_) DrainFrom(*std::exchange(next_batch_, std::nullopt));
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
                 // The next batch of this drain while the link holds; else the next drain starts over.
                 auto next = std::exchange(next_batch_, std::nullopt);
                 if (next && link_ == LinkState::kUp) {
                   return asio::post(io_, [this, alive, after = *next] {
                     if (!alive.expired() && client_) DrainFrom(after);
                   });
                 }
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

// Stages whose report the site holds, as submissions not already in flight;
// the others wait for the report's receipt.
std::vector<Submission> OnlinePath::StagesToSend(const std::vector<StoredStage>& stages) {
  std::vector<Submission> out;
  for (const StoredStage& st : stages) {
    if (Held(st.report_id)) continue;
    if (!st.report_on_site) {
      stages_waiting_.insert(st.report_id);
      continue;
    }
    auto sub = SubmissionForStage(st);
    if (sub.ok() && !in_flight_.count(sub->idempotency_key)) out.push_back(std::move(*sub));
  }
  return out;
}

void OnlinePath::AcknowledgeStage(const Submission& s, const SiteReceipt& receipt) {
  std::string id = s.report_id, no = receipt.receipt_no, stage(SubmissionKindName(s.kind));
  int version = s.revision;
  store_.Run([=](Store& st) { return st.SetStageReceipt(id, stage, version, no); },
             [id, stage, version, no](Status st) {
               if (st.ok()) spdlog::info("report {} {} v{} accepted by the site: receipt {}", id, stage, version, no);
               else spdlog::error("receipt {} for report {} {} v{} not stored: {}", no, id, stage, version, st.ToString());
             });
}

void OnlinePath::Acknowledge(const Submission& s, const SiteReceipt& receipt) {
  if (IsStageKind(s.kind)) return AcknowledgeStage(s, receipt);
  std::string id = s.report_id, no = receipt.receipt_no;
  int revision = s.revision, attempts = receipt.attempts;
  bool replayed = receipt.replayed;
  std::string kind(SubmissionKindName(s.kind));
  store_.Run(
      [=](Store& st) {
        LIFELINE_RETURN_IF_ERROR(st.SetSiteReceipt(id, revision, no));
        auto state = st.StateOf(id, revision);
        if (!state.ok()) return state.status();
        // A report that fell back is accepted late (補行通報), whatever kind reached the site.
        ReportState to = *state == ReportState::kFallback ? ReportState::kAcceptedLate : ReportState::kAccepted;
        return st.TransitionReport(id, revision, to,
                                   {{"receipt", no}, {"attempts", attempts}, {"site_replayed", replayed},
                                    {"kind", kind}});
      },
      [this, id, revision, no, alive = std::weak_ptr<int>(alive_)](Status st) {
        if (st.ok()) spdlog::info("report {} r{} accepted by the site: receipt {}", id, revision, no);
        else spdlog::error("receipt {} for report {} r{} not stored: {}", no, id, revision, st.ToString());
        if (st.ok() && !alive.expired() && on_accepted) on_accepted(id, revision);
        // The site holds the report now: a stage that waited for it goes.
        if (st.ok() && !alive.expired() && stages_waiting_.erase(id)) Drain();
      });
}

// The attempt's request leaves once its journal entry committed. Should the
// entry fail (a full disk), the report still goes: an undelivered report is
// the worse failure, and the failure is logged.
void OnlinePath::OnAttemptStart(const SiteAttempt& a, std::function<void()> proceed) {
  if (a.idempotency_key.empty()) return proceed();  // health probes are not journaled one by one
  nlohmann::json p = {{"idempotency_key", a.idempotency_key}, {"attempt", a.attempt}, {"url", a.url}};
  std::string report = ReportOf(a.idempotency_key);
  store_.Run([p, report](Store& st) { return st.RecordEvent("site.attempt.start", report, p); },
             [this, alive = std::weak_ptr<int>(alive_), proceed = std::move(proceed), a](Status s) {
               if (alive.expired()) return;
               if (!s.ok()) {
                 spdlog::error("site attempt {} of {}: not journaled ({}); sending anyway", a.attempt,
                               a.idempotency_key, s.ToString());
               }
               if (monitor_) monitor_->OnAttemptStart(a, [] {});
               proceed();
             });
}

void OnlinePath::OnAttemptEnd(const SiteAttemptResult& r) {
  if (monitor_) monitor_->OnAttemptEnd(r);
  if (r.idempotency_key.empty()) return;
  nlohmann::json p = {{"idempotency_key", r.idempotency_key}, {"attempt", r.attempt},
                      {"outcome", AttemptClassName(r.outcome)}, {"http_status", r.http_status},
                      {"detail", r.detail}, {"elapsed_ms", r.elapsed.count()}};
  if (r.retry_in) p["retry_in_ms"] = r.retry_in->count();
  std::string report = ReportOf(r.idempotency_key);
  store_.RunInBackground("the end of site attempt " + std::to_string(r.attempt) + " of " + r.idempotency_key,
                         [p, report](Store& st) { return st.RecordEvent("site.attempt.end", report, p); });
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
  store_.RunInBackground("the link change", [p](Store& st) {
    return st.RecordEvent(p["to"] == "outage" ? "link.outage" : "link.recovered", "", p);
  });
  spdlog::warn("link {} -> {} ({})", LinkStateName(c.from), LinkStateName(c.to), LinkReasonName(c.reason));
  if (c.to == LinkState::kUp) Drain();
  if (on_link_change) on_link_change(c);
}

}  // namespace lifeline
