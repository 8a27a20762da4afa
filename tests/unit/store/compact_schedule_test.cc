// The compact stored form of a schedule: split and joined back unchanged, and
// the shape key used to memoize shapes tells shapes apart exactly.
#include "daemon/store/compact_schedule.h"

#include <gtest/gtest.h>

#include "daemon/core/time_format.h"
#include "daemon/rules/rules.h"

namespace lifeline {
namespace {

nlohmann::json ScheduleFor(int level, bool affects_others, const std::string& aware_at) {
  auto rules = DefaultRuleSet();
  EXPECT_TRUE(rules.ok());
  auto aware = ParseRfc3339(aware_at);
  EXPECT_TRUE(aware.ok());
  auto schedule = ComputeSchedule(*rules, {level, *aware, affects_others});
  EXPECT_TRUE(schedule.ok());
  return ScheduleToJson(*schedule);
}

TEST(CompactScheduleTest, SplitThenJoinGivesTheScheduleBack) {
  nlohmann::json schedule = ScheduleFor(3, true, "2026-11-21T03:12:00+08:00");
  auto split = SplitSchedule(schedule);
  ASSERT_TRUE(split.has_value());
  EXPECT_EQ(JoinSchedule(split->shape, split->times), schedule);
  EXPECT_EQ(split->shape.find("2026-11-21"), std::string::npos) << "the shape holds no instant";
}

TEST(CompactScheduleTest, DescribeGivesTheSameInstantsAsSplit) {
  nlohmann::json schedule = ScheduleFor(2, false, "2026-11-21T03:12:00+08:00");
  auto split = SplitSchedule(schedule);
  auto parts = DescribeSchedule(schedule);
  ASSERT_TRUE(split.has_value());
  ASSERT_TRUE(parts.has_value());
  EXPECT_EQ(parts->times, split->times);
}

TEST(CompactScheduleTest, ShapeKeyIgnoresInstantsOnly) {
  auto a = DescribeSchedule(ScheduleFor(3, false, "2026-11-21T03:12:00+08:00"));
  auto b = DescribeSchedule(ScheduleFor(3, false, "2027-02-01T23:59:59+08:00"));
  auto other_level = DescribeSchedule(ScheduleFor(4, false, "2026-11-21T03:12:00+08:00"));
  ASSERT_TRUE(a && b && other_level);
  EXPECT_EQ(a->shape_key, b->shape_key);
  EXPECT_NE(a->times, b->times);
  EXPECT_NE(a->shape_key, other_level->shape_key);

  nlohmann::json retitled = ScheduleFor(3, false, "2026-11-21T03:12:00+08:00");
  retitled["deadlines"][0]["title"] = retitled["deadlines"][0]["title"].get<std::string>() + "!";
  auto c = DescribeSchedule(retitled);
  ASSERT_TRUE(c.has_value());
  EXPECT_NE(a->shape_key, c->shape_key) << "any text outside the instants is part of the shape";
}

TEST(CompactScheduleTest, AScheduleOfAnotherFormIsNotDescribed) {
  EXPECT_FALSE(DescribeSchedule(nlohmann::json::array()).has_value());
  EXPECT_FALSE(DescribeSchedule({{"level", 1}}).has_value());
  EXPECT_FALSE(DescribeSchedule({{"level", 1}, {"deadlines", {{{"key", "x"}}}}, {"obligations", nlohmann::json::array()}})
                   .has_value());
}

}  // namespace
}  // namespace lifeline
