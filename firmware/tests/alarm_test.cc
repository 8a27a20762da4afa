// Alarm patterns: each is distinct, the most urgent of requested and local is
// shown, and the acknowledge button silences the buzzer until the pattern changes.
#include <gtest/gtest.h>

#include <set>
#include <tuple>

#include "alarm.h"

namespace {

TEST(AlarmTest, PatternsAreDistinct) {
  std::set<std::tuple<uint32_t, uint32_t, uint32_t, uint32_t>> seen;
  for (int p = 0; p < ALARM_COUNT; ++p) {
    const alarm_shape* s = alarm_shape_of(alarm_pattern(p));
    EXPECT_TRUE(seen.insert({s->buzzer, s->red, s->amber, s->green}).second) << p;
  }
}

int BuzzerSlots(const alarm_state& a, uint32_t from, uint32_t ms) {
  int n = 0;
  for (uint32_t t = from; t < from + ms; t += 100) n += alarm_outputs_at(&a, t).buzzer;
  return n;
}

TEST(AlarmTest, MostUrgentWinsAndAckSilencesUntilChange) {
  alarm_state a;
  alarm_init(&a);
  alarm_set_local(&a, ALARM_OUTAGE, 0);
  alarm_request(&a, ALARM_FALLBACK, 0);
  EXPECT_EQ(a.shown, ALARM_FALLBACK);
  EXPECT_GT(BuzzerSlots(a, 0, 3200), 0);
  EXPECT_EQ(alarm_acknowledge(&a), ALARM_FALLBACK);
  EXPECT_EQ(BuzzerSlots(a, 0, 32000), 0);
  EXPECT_TRUE(alarm_outputs_at(&a, 0).amber);  // the LEDs go on
  alarm_request(&a, ALARM_DEADLINE_NEAR, 40000);
  EXPECT_FALSE(a.silenced);
  EXPECT_GT(BuzzerSlots(a, 40000, 3200), 8);
  alarm_request(&a, ALARM_NORMAL, 50000);
  EXPECT_EQ(a.shown, ALARM_OUTAGE);  // the local state remains
}

TEST(AlarmTest, AllConfirmedBeepsOnceThenStaysQuiet) {
  alarm_state a;
  alarm_init(&a);
  alarm_request(&a, ALARM_ALL_CONFIRMED, 1000);
  EXPECT_EQ(BuzzerSlots(a, 1000, 3200), 3);
  EXPECT_EQ(BuzzerSlots(a, 4200, 32000), 0);
  EXPECT_EQ(alarm_acknowledge(&a), ALARM_ALL_CONFIRMED);
  alarm_init(&a);
  EXPECT_EQ(alarm_acknowledge(&a), ALARM_NORMAL);  // nothing to silence
}

}  // namespace
