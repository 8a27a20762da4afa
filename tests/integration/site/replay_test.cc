// Replay against site-sim: everything unacknowledged is drained oldest
// awareness first, through faults, with exactly one ledger record per key.
#include <gtest/gtest.h>

#include <algorithm>
#include <asio.hpp>
#include <random>

#include "daemon/core/clock.h"
#include "daemon/site/site.h"
#include "tests/integration/site/site_sim_process.h"

namespace lifeline {
namespace {

using std::chrono::milliseconds;

class MemoryPending : public PendingSubmissions {
 public:
  Result<std::vector<Submission>> ListUnacknowledged() override { return pending; }
  Status MarkAcknowledged(const Submission& s, const SiteReceipt& r) override {
    receipts[s.report_id] = r.receipt_no;
    pending.erase(std::remove_if(pending.begin(), pending.end(),
                                 [&](const Submission& p) { return p.report_id == s.report_id; }),
                  pending.end());
    return Status::Ok();
  }
  std::vector<Submission> pending;
  std::map<std::string, std::string> receipts;
};

class StartOrder : public SiteAttemptObserver {
 public:
  void OnAttemptStart(const SiteAttempt& a, std::function<void()> proceed) override {
    if (a.attempt == 1) first_attempts.push_back(a.idempotency_key);
    proceed();
  }
  void OnAttemptEnd(const SiteAttemptResult&) override {}
  std::vector<std::string> first_attempts;
};

// n submissions with shuffled aware_at; returns them in the shuffled order.
std::vector<Submission> Shuffled(int n) {
  std::vector<Submission> out;
  for (int i = 0; i < n; ++i) {
    char id[40];
    std::snprintf(id, sizeof id, "00000000-0000-4000-9000-%012d", i);
    Submission s;
    s.report_id = id;
    s.aware_at = *ParseRfc3339("2026-11-21T08:00:00+08:00");
    s.aware_at.instant += std::chrono::minutes(i);
    s.report_json = R"({"n":)" + std::to_string(i) + "}";
    out.push_back(s);
  }
  std::shuffle(out.begin(), out.end(), std::mt19937(3));
  return out;
}

class ReplayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sim_.ready());
    SiteOptions o;
    o.base_url = sim_.base_url();
    o.ca_file = sim_.ca();
    o.backoff_base = milliseconds(10);
    o.backoff_cap = milliseconds(100);
    o.max_attempts = 10;
    o.breaker_threshold = 1000;
    o.total_timeout = milliseconds(3000);
    auto c = SiteClient::Create(io_, clock_, o, &order_);
    ASSERT_TRUE(c.ok());
    client_ = std::move(c).value();
  }

  ReplaySummary DrainAndWait(Replayer& r) {
    std::optional<ReplaySummary> out;
    r.Drain([&](const ReplaySummary& s) { out = s; });
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (!out && std::chrono::steady_clock::now() < until) {
      io_.restart();  // run_for leaves the context stopped when it ran out of work
      io_.run_for(milliseconds(50));
    }
    EXPECT_TRUE(out) << "drain did not finish within 120 s";
    return out.value_or(ReplaySummary{});
  }

  testing::SiteSimProcess sim_;
  asio::io_context io_;
  SystemClock clock_;
  StartOrder order_;
  std::unique_ptr<SiteClient> client_;
};

TEST_F(ReplayTest, DrainsOldestAwarenessFirst) {
  MemoryPending pending;
  pending.pending = Shuffled(20);
  Replayer replayer(*client_, pending, ReplayOptions{1, true});
  ReplaySummary s = DrainAndWait(replayer);
  EXPECT_EQ(s.listed, 20u);
  EXPECT_EQ(s.acknowledged, 20u);
  EXPECT_TRUE(pending.pending.empty());
  ASSERT_EQ(order_.first_attempts.size(), 20u);
  for (int i = 0; i < 20; ++i) {
    char id[40];
    std::snprintf(id, sizeof id, "00000000-0000-4000-9000-%012d", i);
    EXPECT_EQ(order_.first_attempts[i], MakeIdempotencyKey(id, 1, SubmissionKind::kInitial));
  }
}

TEST_F(ReplayTest, ConcurrentDrainThroughFaultsLeavesOneRecordPerKey) {
  MemoryPending pending;
  pending.pending = Shuffled(60);
  ASSERT_EQ(sim_.SetFaults(R"({"error_rate":0.2,"reset":3,"throttle_count":2,"retry_after_seconds":0})"),
            200);
  Replayer replayer(*client_, pending, ReplayOptions{8, false});
  ReplaySummary s = DrainAndWait(replayer);
  EXPECT_EQ(s.acknowledged, 60u) << s.first_error.ToString();
  EXPECT_EQ(pending.receipts.size(), 60u);
  for (const Submission& sub : Shuffled(60)) {
    EXPECT_EQ(sim_.CountReport(sub.report_id), 1) << sub.report_id;
  }
  EXPECT_EQ(sim_.Stats().value("records", 0), 60);
}

TEST_F(ReplayTest, StopsStartingWorkWhenTheLinkFailsAgain) {
  MemoryPending pending;
  pending.pending = Shuffled(30);
  ASSERT_EQ(sim_.SetFaults(R"({"refuse":true})"), 200);
  SiteOptions o;
  Replayer replayer(*client_, pending, ReplayOptions{2, true});
  ReplaySummary s = DrainAndWait(replayer);
  EXPECT_EQ(s.acknowledged, 0u);
  EXPECT_GT(s.not_started, 0u);
  EXPECT_EQ(s.first_error.code(), StatusCode::kUnavailable);
  EXPECT_EQ(pending.pending.size(), 30u);
}

}  // namespace
}  // namespace lifeline
