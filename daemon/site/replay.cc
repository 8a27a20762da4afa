// Replayer: drains what the site has not acknowledged, oldest awareness first,
// a bounded number at a time through the one SiteClient (whose multi handle
// keeps and reuses the connections).
#include <algorithm>

#include "daemon/core/log.h"
#include "daemon/site/policy.h"
#include "daemon/site/site.h"

namespace lifeline {

struct Replayer::Run {
  std::vector<Submission> queue;
  size_t next = 0;
  int running = 0;
  bool stopping = false;
  bool orphaned = false;  // the Replayer is gone; completions only drain
  ReplaySummary summary;
  std::function<void(const ReplaySummary&)> done;
};

Replayer::Replayer(SiteClient& client, PendingSubmissions& pending, ReplayOptions options)
    : client_(client), pending_(pending), options_(options) {
  if (options_.max_concurrency < 1) options_.max_concurrency = 1;
}

Replayer::~Replayer() {
  // Submissions still in flight complete later; they must not touch this object.
  if (run_) run_->orphaned = true;
}

bool Replayer::draining() const { return run_ != nullptr; }

void Replayer::Drain(std::function<void(const ReplaySummary&)> done) {
  if (run_) {
    ReplaySummary busy;
    busy.first_error = FailedPrecondition("a replay is already draining");
    done(busy);
    return;
  }
  Result<std::vector<Submission>> list = pending_.ListUnacknowledged();
  auto run = std::make_shared<Run>();
  run->done = std::move(done);
  if (!list.ok()) {
    run->summary.first_error = list.status();
    run->done(run->summary);
    return;
  }
  run->queue = std::move(list).value();
  // Oldest awareness first: its one-hour clock started earliest. Ties keep the
  // store's order (stable), e.g. revisions of one report in sequence.
  std::stable_sort(run->queue.begin(), run->queue.end(),
                   [](const Submission& a, const Submission& b) {
                     return a.aware_at.instant < b.aware_at.instant;
                   });
  run->summary.listed = run->queue.size();
  run_ = run;
  StartNext(run);
}

void Replayer::StartNext(const std::shared_ptr<Run>& run) {
  while (!run->stopping && run->next < run->queue.size() &&
         run->running < options_.max_concurrency) {
    size_t index = run->next++;
    ++run->running;
    client_.Submit(run->queue[index], [this, run, index](Result<SiteReceipt> r) {
      if (!run->orphaned) Finish(run, index, std::move(r));
    });
  }
  if (run->running > 0) return;
  run->summary.not_started = run->queue.size() - run->next;
  if (run_ == run) run_.reset();
  if (run->done) run->done(run->summary);
}

void Replayer::Finish(const std::shared_ptr<Run>& run, size_t index, Result<SiteReceipt> r) {
  --run->running;
  const Submission& s = run->queue[index];
  Status st = r.ok() ? pending_.MarkAcknowledged(s, *r) : r.status();
  if (st.ok()) {
    ++run->summary.acknowledged;
  } else {
    ++run->summary.failed;
    if (run->summary.first_error.ok()) run->summary.first_error = st;
    spdlog::warn("replay of {} failed: {}", s.idempotency_key.empty() ? s.report_id : s.idempotency_key, st.ToString());
    // Unavailable / unknown outcome / identity failure: the link is not usable;
    // a refusal of one submission (kInvalidArgument) says nothing about the others.
    bool link_down = !r.ok() && st.code() != StatusCode::kInvalidArgument;
    if (options_.stop_on_link_failure && link_down) run->stopping = true;
  }
  StartNext(run);
}

}  // namespace lifeline
