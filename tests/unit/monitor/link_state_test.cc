// The link monitor's decision logic under a simulated clock: hysteresis in
// count and time span, recovery, reason classes, and what counts as evidence.
#include <gtest/gtest.h>

#include "daemon/core/clock.h"
#include "daemon/monitor/monitor.h"

namespace lifeline {
namespace {

using std::chrono::seconds;

class LinkStateTest : public ::testing::Test {
 protected:
  LinkStateTest() : clock_(ParseRfc3339("2026-11-21T09:58:00+08:00")->instant) {}

  static LinkOptions Options() {
    LinkOptions o;
    o.outage_after_failures = 3;
    o.outage_min_span = seconds(60);
    o.recovered_after_successes = 2;
    return o;
  }

  std::optional<LinkChange> Feed(LinkStateMachine& m, LinkReason r, seconds advance) {
    clock_.Advance(advance);
    return m.Observe(LinkSample{clock_.Monotonic(), clock_.Now(), r});
  }

  SimulatedClock clock_;
};

TEST_F(LinkStateTest, OutageNeedsBothTheCountAndTheSpan) {
  LinkStateMachine m(Options());
  EXPECT_FALSE(Feed(m, LinkReason::kConnect, seconds(0)));
  EXPECT_FALSE(Feed(m, LinkReason::kConnect, seconds(1)));
  EXPECT_FALSE(Feed(m, LinkReason::kConnect, seconds(1)));   // 3 failures in 2 s: too quick
  EXPECT_FALSE(Feed(m, LinkReason::kConnect, seconds(57)));  // 59 s
  WallTime began = clock_.Now() - seconds(59);
  auto c = Feed(m, LinkReason::kConnect, seconds(1));        // 60 s, 5 failures
  ASSERT_TRUE(c);
  EXPECT_EQ(c->to, LinkState::kOutage);
  EXPECT_EQ(c->reason, LinkReason::kConnect);
  EXPECT_EQ(c->consecutive, 5);
  EXPECT_EQ(c->failing_since, began);
  EXPECT_EQ(m.state(), LinkState::kOutage);
}

TEST_F(LinkStateTest, ASpanAloneIsNotEnough) {
  LinkStateMachine m(Options());
  EXPECT_FALSE(Feed(m, LinkReason::kTimeout, seconds(0)));
  EXPECT_FALSE(Feed(m, LinkReason::kTimeout, seconds(3600)));  // 2 failures an hour apart
  EXPECT_EQ(m.state(), LinkState::kUp);
}

TEST_F(LinkStateTest, ASuccessBreaksTheRun) {
  LinkStateMachine m(Options());
  Feed(m, LinkReason::kConnect, seconds(0));
  Feed(m, LinkReason::kConnect, seconds(40));
  Feed(m, LinkReason::kNone, seconds(10));
  EXPECT_FALSE(Feed(m, LinkReason::kConnect, seconds(40)));  // run restarted: 1 failure
  EXPECT_FALSE(Feed(m, LinkReason::kConnect, seconds(40)));
  EXPECT_TRUE(Feed(m, LinkReason::kConnect, seconds(40)));   // 3 failures over 80 s
}

TEST_F(LinkStateTest, RecoveryNeedsConsecutiveSuccesses) {
  LinkStateMachine m(Options());
  for (int i = 0; i < 3; ++i) Feed(m, LinkReason::kHttp5xx, seconds(30));
  ASSERT_EQ(m.state(), LinkState::kOutage);
  EXPECT_FALSE(Feed(m, LinkReason::kNone, seconds(10)));
  EXPECT_FALSE(Feed(m, LinkReason::kTimeout, seconds(10)));  // flaps: count restarts
  EXPECT_FALSE(Feed(m, LinkReason::kNone, seconds(10)));
  auto c = Feed(m, LinkReason::kNone, seconds(10));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->from, LinkState::kOutage);
  EXPECT_EQ(c->to, LinkState::kUp);
  EXPECT_EQ(c->reason, LinkReason::kHttp5xx);  // what the outage was about
  EXPECT_EQ(c->failures_by_reason.at(LinkReason::kTimeout), 1);
  EXPECT_EQ(c->consecutive, 2);
  // A new outage starts from scratch.
  EXPECT_FALSE(Feed(m, LinkReason::kDns, seconds(10)));
  EXPECT_EQ(m.state(), LinkState::kUp);
}

TEST_F(LinkStateTest, ReasonIsTheDominantClassTiesToTheLatest) {
  LinkStateMachine m(Options());
  Feed(m, LinkReason::kTimeout, seconds(0));
  Feed(m, LinkReason::kConnect, seconds(30));
  auto c = Feed(m, LinkReason::kTimeout, seconds(30));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->reason, LinkReason::kTimeout);
  LinkStateMachine tie(Options());
  Feed(tie, LinkReason::kDns, seconds(0));
  Feed(tie, LinkReason::kDns, seconds(20));
  Feed(tie, LinkReason::kTls, seconds(20));
  c = Feed(tie, LinkReason::kTls, seconds(20));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->reason, LinkReason::kTls);
}

TEST_F(LinkStateTest, HoursOfFlappingUnderTheThresholdNeverDeclare) {
  LinkStateMachine m(Options());
  for (int i = 0; i < 1000; ++i) {
    EXPECT_FALSE(Feed(m, LinkReason::kTransport, seconds(30)));
    EXPECT_FALSE(Feed(m, LinkReason::kTransport, seconds(30)));
    EXPECT_FALSE(Feed(m, LinkReason::kNone, seconds(30)));
  }
  EXPECT_EQ(m.state(), LinkState::kUp);
}

TEST(LinkReasonTest, WhatCountsAsEvidence) {
  EXPECT_EQ(ReasonFor(AttemptClass::kAccepted, 201), LinkReason::kNone);
  EXPECT_EQ(ReasonFor(AttemptClass::kHttpStatus, 422), LinkReason::kNone);
  EXPECT_EQ(ReasonFor(AttemptClass::kHttpStatus, 503), LinkReason::kHttp5xx);
  EXPECT_EQ(ReasonFor(AttemptClass::kHttpStatus, 429), LinkReason::kHttp429);
  EXPECT_EQ(ReasonFor(AttemptClass::kTlsIdentity, 0), LinkReason::kTlsIdentity);
  EXPECT_EQ(ReasonFor(AttemptClass::kProtocol, 201), LinkReason::kTransport);
  EXPECT_FALSE(ReasonFor(AttemptClass::kLocal, 0));
  EXPECT_FALSE(ReasonFor(AttemptClass::kCircuitOpen, 0));
  EXPECT_EQ(LinkReasonName(LinkReason::kHttp5xx), "http_5xx");
  EXPECT_EQ(LinkStateName(LinkState::kOutage), "outage");
}

}  // namespace
}  // namespace lifeline
