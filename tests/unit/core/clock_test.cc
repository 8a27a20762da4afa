#include "daemon/core/clock.h"

#include <gtest/gtest.h>

namespace lifeline {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

TEST(SimulatedClockTest, AdvanceMovesBothClocks) {
  auto start = ParseRfc3339("2026-11-21T09:58:00+08:00");
  ASSERT_TRUE(start.ok());
  SimulatedClock clock(start->instant);
  MonoTime m0 = clock.Monotonic();
  clock.Advance(hours(36));
  EXPECT_EQ(clock.Now() - start->instant, hours(36));
  EXPECT_EQ(clock.Monotonic() - m0, hours(36));
  EXPECT_EQ(clock.Source(), "simulated");
}

TEST(SimulatedClockTest, WallStepLeavesMonotonicAlone) {
  SimulatedClock clock(WallTime{});
  MonoTime m0 = clock.Monotonic();
  clock.StepWall(WallTime{} + minutes(90));
  EXPECT_EQ(clock.Now(), WallTime{} + minutes(90));
  EXPECT_EQ(clock.Monotonic(), m0);
}

TEST(SystemClockTest, MonotonicNeverGoesBack) {
  SystemClock clock;
  MonoTime a = clock.Monotonic();
  MonoTime b = clock.Monotonic();
  EXPECT_LE(a, b);
  EXPECT_EQ(clock.Source(), "system");
}

}  // namespace
}  // namespace lifeline
