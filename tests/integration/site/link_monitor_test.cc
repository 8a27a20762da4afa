// The link monitor probing a real site-sim: outage declared with the right
// reason for refused connections, 5xx, stalls and a wrong certificate, and
// recovery once the fault is cleared; submission outcomes count as evidence.
#include <gtest/gtest.h>

#include <asio.hpp>

#include "daemon/core/clock.h"
#include "daemon/monitor/monitor.h"
#include "daemon/site/site.h"
#include "tests/integration/site/site_sim_process.h"

namespace lifeline {
namespace {

using std::chrono::milliseconds;

class RecordingLinkObserver : public LinkObserver {
 public:
  void OnLinkChange(const LinkChange& c) override { changes.push_back(c); }
  std::vector<LinkChange> changes;
};

class LinkMonitorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sim_.ready());
    SiteOptions o;
    o.base_url = sim_.base_url();
    o.ca_file = sim_.ca();
    o.connect_timeout = milliseconds(500);
    o.total_timeout = milliseconds(500);
    auto c = SiteClient::Create(io_, clock_, o, nullptr);
    ASSERT_TRUE(c.ok());
    client_ = std::move(c).value();
    LinkOptions l;
    l.outage_after_failures = 3;
    l.outage_min_span = std::chrono::seconds(0);
    l.recovered_after_successes = 2;
    l.probe_interval = milliseconds(50);
    l.probe_interval_in_outage = milliseconds(50);
    monitor_ = std::make_unique<LinkMonitor>(io_, clock_, l, *client_, &observer_);
  }

  // Runs the loop until `n` link changes were reported (bounded at 30 s).
  bool RunUntilChanges(size_t n) {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (observer_.changes.size() < n && std::chrono::steady_clock::now() < until) {
      io_.restart();
      io_.run_for(milliseconds(20));
    }
    return observer_.changes.size() >= n;
  }

  void ExpectOutageThenRecovery(const std::string& fault, LinkReason reason) {
    monitor_->Start();
    ASSERT_EQ(sim_.SetFaults(fault), 200);
    ASSERT_TRUE(RunUntilChanges(1)) << "no OUTAGE for " << fault;
    EXPECT_EQ(observer_.changes[0].to, LinkState::kOutage);
    EXPECT_EQ(observer_.changes[0].reason, reason) << LinkReasonName(observer_.changes[0].reason);
    EXPECT_EQ(monitor_->state(), LinkState::kOutage);
    ASSERT_EQ(sim_.ClearFaults(), 200);
    ASSERT_TRUE(RunUntilChanges(2)) << "no RECOVERED after clearing " << fault;
    EXPECT_EQ(observer_.changes[1].to, LinkState::kUp);
    EXPECT_EQ(observer_.changes[1].reason, reason);
    monitor_->Stop();
  }

  testing::SiteSimProcess sim_;
  asio::io_context io_;
  SystemClock clock_;
  RecordingLinkObserver observer_;
  std::unique_ptr<SiteClient> client_;
  std::unique_ptr<LinkMonitor> monitor_;
};

TEST_F(LinkMonitorTest, RefusedConnections) {
  ExpectOutageThenRecovery(R"({"refuse":true})", LinkReason::kConnect);
}

TEST_F(LinkMonitorTest, ServerErrors) {
  ExpectOutageThenRecovery(R"({"error_count":-1})", LinkReason::kHttp5xx);
}

TEST_F(LinkMonitorTest, Stalls) {
  ExpectOutageThenRecovery(R"({"stall":-1})", LinkReason::kTimeout);
}

TEST_F(LinkMonitorTest, WrongHostCertificate) {
  ExpectOutageThenRecovery(R"({"cert":"wrong-host"})", LinkReason::kTlsIdentity);
}

TEST_F(LinkMonitorTest, HealthyLinkDeclaresNothing) {
  monitor_->Start();
  for (int i = 0; i < 20; ++i) {  // about 20 probes
    io_.restart();
    io_.run_for(milliseconds(50));
  }
  EXPECT_TRUE(observer_.changes.empty());
  EXPECT_GT(sim_.Stats()["by_status"].value("200", 0), 3);
}

TEST_F(LinkMonitorTest, SubmissionOutcomesAreEvidence) {
  // No probes: only failed submissions, observed through the client's observer.
  SiteOptions o;
  o.base_url = sim_.base_url();
  o.ca_file = sim_.ca();
  o.max_attempts = 3;
  o.backoff_base = milliseconds(10);
  o.backoff_cap = milliseconds(20);
  auto c = SiteClient::Create(io_, clock_, o, monitor_.get());
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(sim_.SetFaults(R"({"throttle_count":-1,"retry_after_seconds":0})"), 200);
  Submission s;
  s.report_id = "00000000-0000-4000-8000-000000000099";
  s.aware_at = *ParseRfc3339("2026-11-21T09:58:00+08:00");
  s.report_json = "{}";
  bool done = false;
  (*c)->Submit(s, [&](Result<SiteReceipt> r) {
    EXPECT_FALSE(r.ok());
    done = true;
  });
  for (int i = 0; i < 600 && !done; ++i) {
    io_.restart();
    io_.run_for(milliseconds(50));
  }
  ASSERT_TRUE(done);
  ASSERT_EQ(observer_.changes.size(), 1u);
  EXPECT_EQ(observer_.changes[0].reason, LinkReason::kHttp429);
}

}  // namespace
}  // namespace lifeline
