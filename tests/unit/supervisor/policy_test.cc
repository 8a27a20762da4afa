// The supervisor module's pure policies: power readings and their changes, the
// modem watch over SMS health reports, the alarm choice, the clock decision,
// the supervised clock and the log cursor file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "daemon/supervisor/supervisor.h"

namespace lifeline::supervisor {
namespace {

using std::chrono::seconds;

TEST(SupervisorPolicyTest, PowerFromStatus) {
  StatusReply s;
  EXPECT_FALSE(PowerFromStatus(s).known);
  s.mains_known = true;
  s.mains_ok = false;
  s.battery_known = true;
  s.battery_low = true;
  s.battery_percent = 15;
  s.runtime_s = 900;
  PowerReading p = PowerFromStatus(s);
  EXPECT_TRUE(p.known);
  EXPECT_TRUE(p.on_battery);
  EXPECT_TRUE(p.low_battery);
  EXPECT_EQ(p.runtime, seconds(900));
  EXPECT_EQ(p.charge_percent, 15);
}

TEST(SupervisorPolicyTest, PowerChangeIgnoresSmallRuntimeMoves) {
  PowerReading a{true, false, true, false, 50, seconds(1000), ""};
  PowerReading b = a;
  b.runtime = seconds(970);
  EXPECT_FALSE(IsPowerChange(a, b, seconds(60)));
  b.runtime = seconds(900);
  EXPECT_TRUE(IsPowerChange(a, b, seconds(60)));
  b = a;
  b.low_battery = true;
  EXPECT_TRUE(IsPowerChange(a, b, seconds(60)));
}

TEST(SupervisorPolicyTest, ModemWatchAfterTheEnginesResetFails) {
  ModemWatch w({seconds(60), seconds(600)});
  MonoTime t{};
  EXPECT_FALSE(w.Observe(true, true, 0, t));
  EXPECT_FALSE(w.Observe(true, false, 0, t + seconds(10)));  // trouble, not yet given up
  EXPECT_TRUE(w.Observe(true, false, 1, t + seconds(20)));   // its AT reset did not bring it back
  EXPECT_FALSE(w.Observe(true, false, 2, t + seconds(30)));  // again, but not twice in ten minutes
  EXPECT_TRUE(w.Observe(true, false, 3, t + seconds(700)));
  EXPECT_FALSE(w.Observe(true, true, 4, t + seconds(1400)));  // reset and ready: fine
}

TEST(SupervisorPolicyTest, ModemWatchWhenThePortStaysGone) {
  ModemWatch w({seconds(60), seconds(600)});
  MonoTime t{};
  EXPECT_FALSE(w.Observe(false, false, 0, t));
  EXPECT_FALSE(w.Observe(false, false, 0, t + seconds(59)));
  EXPECT_TRUE(w.Observe(false, false, 0, t + seconds(61)));
  EXPECT_FALSE(w.Observe(true, true, 0, t + seconds(62)));
}

TEST(SupervisorPolicyTest, AlarmChoice) {
  EXPECT_EQ(AlarmFor({}), AlarmPattern::kNormal);
  EXPECT_EQ(AlarmFor({true, false, false, false}), AlarmPattern::kOutage);
  EXPECT_EQ(AlarmFor({true, true, false, false}), AlarmPattern::kFallback);
  EXPECT_EQ(AlarmFor({true, true, true, false}), AlarmPattern::kDeadlineNear);
  EXPECT_EQ(AlarmFor({false, false, false, true}), AlarmPattern::kAllConfirmed);
  EXPECT_EQ(AlarmFor({true, false, false, true}), AlarmPattern::kOutage);
}

TEST(SupervisorPolicyTest, ClockDecision) {
  WallTime now{std::chrono::seconds(1767225600)};
  auto d = DecideClock(true, now, {false, 0}, seconds(2));
  EXPECT_EQ(d.source, "ntp");
  EXPECT_TRUE(d.set_rtc);
  d = DecideClock(true, now, {true, 1767225601}, seconds(2));
  EXPECT_FALSE(d.set_rtc);
  EXPECT_EQ(d.rtc_offset_s, 1);
  d = DecideClock(true, now, {true, 1767225500}, seconds(2));
  EXPECT_TRUE(d.set_rtc);
  d = DecideClock(false, now, {true, 1767225700}, seconds(2));
  EXPECT_EQ(d.source, "rtc");
  EXPECT_FALSE(d.set_rtc);
  EXPECT_EQ(d.rtc_offset_s, 100);
  EXPECT_EQ(DecideClock(false, now, {false, 0}, seconds(2)).source, "system");
}

TEST(SupervisorPolicyTest, SupervisedClockFollowsTheRtcOnceAnchored) {
  SupervisedClock c;
  EXPECT_EQ(c.Source(), "system");
  c.UseRtc(1767225600, c.Monotonic());
  EXPECT_EQ(c.Source(), "rtc");
  auto s = std::chrono::duration_cast<std::chrono::seconds>(c.Now().time_since_epoch()).count();
  EXPECT_GE(s, 1767225600);
  EXPECT_LT(s, 1767225600 + 60);
  c.UseSystem();
  EXPECT_EQ(c.Source(), "system");
}

TEST(SupervisorPolicyTest, CursorFile) {
  std::string path = ::testing::TempDir() + "/cursor-" + std::to_string(getpid());
  std::filesystem::remove(path);
  EXPECT_EQ(ReadCursor(path).status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(WriteCursor(path, 42).ok());
  ASSERT_TRUE(ReadCursor(path).ok());
  EXPECT_EQ(*ReadCursor(path), 42u);
  std::ofstream(path) << "forty-two\n";
  EXPECT_EQ(ReadCursor(path).status().code(), StatusCode::kCorruption);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace lifeline::supervisor
