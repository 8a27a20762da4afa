// The online path: every stored report revision goes to the national site
// (designated method) through the SiteClient; the receipt is stored and the
// revision becomes accepted. Each submission is journaled durably before it is
// sent, and every attempt and its outcome after. What the site has not
// acknowledged is replayed at start-up, when the link monitor declares
// RECOVERED, and on a timer. Runs on the io_context thread; store work goes
// through AsyncStore.
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <map>
#include <optional>
#include <set>

#include "daemon/monitor/monitor.h"
#include "daemon/site/site.h"
#include "daemon/store/store.h"

namespace lifeline {

struct OnlineOptions {
  std::chrono::milliseconds replay_interval{60000};  // drain again while anything is pending
  int max_concurrency = 8;
};

class OnlinePath final : public SiteAttemptObserver, public LinkObserver {
 public:
  OnlinePath(asio::io_context& io, AsyncStore& store, OnlineOptions options);
  ~OnlinePath() override;

  // Both are borrowed and must outlive this; the monitor may be null.
  void Attach(SiteClient* client, LinkMonitor* monitor);
  // Replays what is pending now and then every replay_interval.
  void Start();
  // Drops the replay in progress and the borrowed client and monitor; call
  // before destroying them.
  void Detach();

  // A revision intake has just stored for the first time.
  void Submit(const StoredRevision& revision);
  // A stage (damage control, closing) intake has just stored: sent once the
  // site holds the report (a receipt for any revision), else when it does.
  void SubmitStage(const StoredStage& stage);
  // Lists everything unacknowledged from the store and sends it, oldest first.
  void Drain();

  LinkState link_state() const { return link_; }
  // Told of every link change after this path has acted on it.
  std::function<void(const LinkChange&)> on_link_change;
  // Told after a receipt is stored (state accepted, or accepted_late after a fallback).
  std::function<void(const std::string& report_id, int revision)> on_accepted;

  // A drill's simulated loss of the site: the report is not sent before `until`.
  void HoldUntil(const std::string& report_id, std::chrono::steady_clock::time_point until);

  void OnAttemptStart(const SiteAttempt& attempt, std::function<void()> proceed) override;
  void OnAttemptEnd(const SiteAttemptResult& result) override;
  void OnLinkChange(const LinkChange& change) override;

 private:
  void DrainFrom(UnacknowledgedAfter after);
  void Send(Submission s);
  void Acknowledge(const Submission& s, const SiteReceipt& receipt);
  void AcknowledgeStage(const Submission& s, const SiteReceipt& receipt);
  std::vector<Submission> StagesToSend(const std::vector<StoredStage>& stages);
  void ScheduleReplay();
  void StartReplay(std::vector<Submission> pending);
  std::string ReportOf(const std::string& key) const;

  asio::io_context& io_;
  AsyncStore& store_;
  OnlineOptions options_;
  SiteClient* client_ = nullptr;
  LinkMonitor* monitor_ = nullptr;
  LinkState link_ = LinkState::kUp;
  class Snapshot;  // one drain's view of the unacknowledged revisions
  std::unique_ptr<Snapshot> snapshot_;
  std::unique_ptr<Replayer> replayer_;
  bool drain_again_ = false;
  std::optional<UnacknowledgedAfter> next_batch_;  // where the drain in progress goes on

  // Idempotency key -> report id of what is being sent, so a drain does not
  // send it twice and attempts are journaled under their report.
  std::map<std::string, std::string> in_flight_;
  std::map<std::string, std::chrono::steady_clock::time_point> held_;  // drill reports, by id
  // Reports with a stage waiting for the site to hold the report itself: the
  // report's receipt drains again.
  std::set<std::string> stages_waiting_;
  bool Held(const std::string& report_id);
  asio::steady_timer replay_timer_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

// The submission for a stored revision: initial or revision, or a late
// submission (補行通報) when `fallback` is given. The key is stable per kind.
Result<Submission> SubmissionFor(const StoredRevision& r, const std::optional<FallbackEvidence>& fallback = {});

// The submission of a stored stage: its own version under the stage's kind.
Result<Submission> SubmissionForStage(const StoredStage& s);

// What a revision that fell back carries to the site: the stored reason and
// every notification attempt with its time and outcome. nullopt when the
// revision did not fall back or nothing was attempted yet.
Result<std::optional<FallbackEvidence>> FallbackEvidenceFor(Store& store, const StoredRevision& r);

}  // namespace lifeline
