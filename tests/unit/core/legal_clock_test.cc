// LegalClock over the simulated clock: steps of the wall clock either way are
// absorbed and kept for the journal, the time left to a deadline is the same
// after a step as before it, and slewing below the threshold passes through.
#include "daemon/core/legal_clock.h"

#include <gtest/gtest.h>

namespace lifeline {
namespace {

using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::seconds;

WallTime At(const char* rfc3339) { return ParseRfc3339(rfc3339)->instant; }

TEST(LegalClockTest, StepsEitherWayKeepTheTimeLeftToADeadline) {
  SimulatedClock base(At("2026-11-21T10:00:00+08:00"));
  LegalClock legal(base);
  const WallTime deadline = At("2026-11-21T10:58:00+08:00");  // aware at 09:58, one hour
  EXPECT_EQ(legal.Now(), base.Now());
  base.Advance(seconds(600));
  const auto left = deadline - legal.Now();
  EXPECT_EQ(left, std::chrono::minutes(48));

  base.StepWall(base.Now() + hours(1));  // NTP, an operator, a wrong RTC
  EXPECT_EQ(deadline - legal.Now(), left) << "a step ahead takes no time off the hour";
  auto steps = legal.TakeSteps();
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0].step, hours(1));
  EXPECT_EQ(steps[0].base - steps[0].legal, hours(1));
  EXPECT_EQ(steps[0].source, "simulated");
  EXPECT_EQ(steps[0].ToJson()["step_seconds"], 3600.0);
  EXPECT_TRUE(legal.TakeSteps().empty()) << "each step is handed over once";

  base.Advance(seconds(60));
  EXPECT_EQ(deadline - legal.Now(), left - seconds(60)) << "time still passes";

  base.StepWall(base.Now() - hours(2));
  EXPECT_EQ(deadline - legal.Now(), left - seconds(60)) << "nor does a step back add any";
  steps = legal.TakeSteps();
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0].step, -hours(2));
  EXPECT_EQ(legal.offset(), -hours(1));
}

TEST(LegalClockTest, SlewingBelowTheThresholdIsNotAStep) {
  SimulatedClock base(At("2026-11-21T10:00:00+08:00"));
  LegalClock legal(base, std::chrono::milliseconds(2000));
  legal.Now();
  base.Advance(seconds(10));
  base.StepWall(base.Now() + std::chrono::milliseconds(500));
  EXPECT_EQ(legal.Now(), base.Now()) << "half a second: the clock being disciplined";
  EXPECT_TRUE(legal.TakeSteps().empty());
  EXPECT_EQ(legal.offset(), microseconds(0));
}

}  // namespace
}  // namespace lifeline
