// The host watchdog on a simulated clock: silence for the timeout cuts the
// host's power for off_s, the host gets its grace to boot, and no more than
// max_per_hour power cycles happen in any hour.
#include <gtest/gtest.h>

#include "hostwd.h"

namespace {

struct HostwdTest : ::testing::Test {
  hostwd w;
  uint32_t now = 1000;
  void SetUp() override {
    hostwd_init(&w);
    hostwd_configure(&w, {10, 5, 30, 2}, now);
  }
  // Advances in 100 ms ticks; returns every action seen.
  unsigned Run(uint32_t ms) {
    unsigned acts = 0;
    for (uint32_t t = 0; t < ms; t += 100) {
      now += 100;
      acts |= hostwd_tick(&w, now);
    }
    return acts;
  }
};

TEST_F(HostwdTest, DisarmedDoesNothing) {
  hostwd_init(&w);
  EXPECT_EQ(Run(3600 * 1000), 0u);
  EXPECT_EQ(w.state, HOSTWD_DISARMED);
}

TEST_F(HostwdTest, HeartbeatsKeepItQuiet) {
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(Run(9000), 0u);
    hostwd_heartbeat(&w, now);
  }
  EXPECT_EQ(w.total_resets, 0);
}

TEST_F(HostwdTest, SilenceCutsPowerThenRestoresItThenGrace) {
  EXPECT_EQ(Run(9900), 0u);
  unsigned acts = Run(100);
  EXPECT_TRUE(acts & HOSTWD_ACT_SILENT);
  EXPECT_TRUE(acts & HOSTWD_ACT_RELAY_ON);
  EXPECT_EQ(w.state, HOSTWD_POWER_OFF);
  EXPECT_EQ(Run(4900), 0u);
  EXPECT_TRUE(Run(100) & HOSTWD_ACT_RELAY_OFF);
  EXPECT_EQ(w.state, HOSTWD_BOOTING);
  EXPECT_EQ(Run(39900), 0u);  // grace 30 s plus one timeout of 10 s
  EXPECT_TRUE(Run(100) & HOSTWD_ACT_RELAY_ON);
  EXPECT_EQ(w.total_resets, 2);
}

TEST_F(HostwdTest, HeartbeatAfterBootIsReportedBack) {
  Run(10000);
  Run(5000);
  EXPECT_EQ(w.state, HOSTWD_BOOTING);
  Run(12000);
  EXPECT_TRUE(hostwd_heartbeat(&w, now) & HOSTWD_ACT_BACK);
  EXPECT_EQ(w.state, HOSTWD_WATCHING);
  EXPECT_EQ(Run(9000), 0u);
}

TEST_F(HostwdTest, AtMostMaxPerHourThenWithheldThenAgainAfterTheHour) {
  Run(10000);  // reset 1
  Run(5000);
  Run(40000);  // reset 2 after grace + timeout
  EXPECT_EQ(w.total_resets, 2);
  Run(5000);
  unsigned acts = Run(40000);
  EXPECT_TRUE(acts & HOSTWD_ACT_LIMITED);
  EXPECT_EQ(w.state, HOSTWD_GAVE_UP);
  EXPECT_EQ(w.total_resets, 2);
  EXPECT_FALSE(Run(3400 * 1000) & HOSTWD_ACT_RELAY_ON);  // still inside the first reset's hour
  acts = Run(200 * 1000);
  EXPECT_TRUE(acts & HOSTWD_ACT_RELAY_ON);  // the first reset's hour is over
  // Three more hours of a host that never answers: never more than two in any hour.
  for (int i = 0; i < 3 * 36000; ++i) {
    Run(100);
    ASSERT_LE(hostwd_resets_in_hour(&w, now), 2);
  }
  EXPECT_GE(w.total_resets, 2 + 3 * 2);
}

TEST_F(HostwdTest, ConfigurationIsClamped) {
  hostwd_config got = hostwd_configure(&w, {1, 0, 9999, 99}, now);
  EXPECT_EQ(got.timeout_s, 2);
  EXPECT_EQ(got.off_s, 1);
  EXPECT_EQ(got.grace_s, 3600);
  EXPECT_EQ(got.max_per_hour, HOSTWD_MAX_PER_HOUR_LIMIT);
  got = hostwd_configure(&w, {0, 5, 30, 2}, now);
  EXPECT_EQ(w.state, HOSTWD_DISARMED);
}

TEST_F(HostwdTest, SurvivesMillisecondWrap) {
  now = 0xFFFFFFFFu - 3000;
  hostwd_init(&w);
  hostwd_configure(&w, {10, 5, 30, 2}, now);
  EXPECT_EQ(Run(9000), 0u);  // crosses the wrap
  EXPECT_TRUE(Run(1100) & HOSTWD_ACT_RELAY_ON);
}

}  // namespace
