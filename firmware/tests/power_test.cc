// Mains and battery sense: hysteresis between the two mains thresholds,
// debouncing over consecutive samples, percent and runtime from the curve.
#include <gtest/gtest.h>

#include "power.h"

namespace {

struct PowerTest : ::testing::Test {
  power_sense p;
  power_config cfg;
  uint16_t battery = 12800;
  void SetUp() override {
    power_defaults(&cfg);
    power_init(&p, &cfg);
  }
  unsigned Feed(uint16_t mains, int times) {
    unsigned ev = 0;
    for (int i = 0; i < times; ++i) ev |= power_sample(&p, &mains, &battery);
    return ev;
  }
};

TEST_F(PowerTest, UnknownUntilDebouncedThenLostAndBack) {
  EXPECT_EQ(Feed(2400, cfg.debounce - 1), 0u);
  EXPECT_EQ(p.mains, TRI_UNKNOWN);
  EXPECT_EQ(Feed(2400, 1), 0u);  // first knowledge is not a change worth an event
  EXPECT_EQ(p.mains, TRI_YES);
  EXPECT_EQ(Feed(1000, cfg.debounce), unsigned(POWER_EV_MAINS_LOST));
  EXPECT_EQ(p.mains, TRI_NO);
  EXPECT_EQ(Feed(2400, cfg.debounce), unsigned(POWER_EV_MAINS_BACK));
}

TEST_F(PowerTest, ReadingsBetweenThresholdsChangeNothing) {
  Feed(2400, cfg.debounce);
  EXPECT_EQ(Feed(1700, 50), 0u);  // sagging but above mains_off_mv: still present
  EXPECT_EQ(p.mains, TRI_YES);
  Feed(1000, cfg.debounce);
  EXPECT_EQ(Feed(1900, 50), 0u);  // recovering but below mains_on_mv: still lost
  EXPECT_EQ(p.mains, TRI_NO);
}

TEST_F(PowerTest, ABriefDipIsFilteredOut) {
  Feed(2400, cfg.debounce);
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(Feed(1000, cfg.debounce - 1), 0u);
    EXPECT_EQ(Feed(2400, 1), 0u);
  }
  EXPECT_EQ(p.mains, TRI_YES);
}

TEST_F(PowerTest, NoReadingMakesMainsUnknown) {
  Feed(2400, cfg.debounce);
  EXPECT_EQ(power_sample(&p, nullptr, nullptr), 0u);
  EXPECT_EQ(p.mains, TRI_UNKNOWN);
  EXPECT_FALSE(p.battery_known);
  EXPECT_EQ(power_runtime_s(&p), 0u);
}

TEST_F(PowerTest, PercentFollowsTheCurve) {
  EXPECT_EQ(power_percent_for(10000), 0);
  EXPECT_EQ(power_percent_for(10500), 0);
  EXPECT_EQ(power_percent_for(12050), 50);
  EXPECT_EQ(power_percent_for(12000), 45);
  EXPECT_EQ(power_percent_for(12800), 100);
  EXPECT_EQ(power_percent_for(13800), 100);  // charging
}

TEST_F(PowerTest, BatteryLowWithHysteresisAndRuntime) {
  Feed(1000, cfg.debounce);
  battery = 12050;  // 50 %
  Feed(1000, 60);   // let the average settle
  EXPECT_EQ(p.percent, 50);
  EXPECT_EQ(p.battery_low, TRI_NO);
  EXPECT_EQ(power_runtime_s(&p), cfg.full_runtime_s / 2);
  battery = 11600;  // ~16 %
  unsigned ev = Feed(1000, 60);
  EXPECT_TRUE(ev & POWER_EV_BATTERY_LOW);
  EXPECT_EQ(p.battery_low, TRI_YES);
  battery = 11750;  // ~26 %: above low, below ok: stays low
  EXPECT_FALSE(Feed(1000, 60) & POWER_EV_BATTERY_OK);
  EXPECT_EQ(p.battery_low, TRI_YES);
  battery = 12600;
  EXPECT_TRUE(Feed(2400, 60) & POWER_EV_BATTERY_OK);
}

}  // namespace
