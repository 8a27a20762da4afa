#include "daemon/rules/rules.h"

#include <gtest/gtest.h>

#include <map>

namespace lifeline {
namespace {

OffsetTime T(const char* s) {
  auto t = ParseRfc3339(s);
  EXPECT_TRUE(t.ok()) << s;
  return t.ok() ? *t : OffsetTime{};
}

const RuleSet& Rules() {
  static const RuleSet rules = [] {
    auto r = DefaultRuleSet();
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : RuleSet{};
  }();
  return rules;
}

std::map<std::string, std::string> DeadlinesAt(int level, bool affects_others = false) {
  auto s = ComputeSchedule(Rules(), {level, T("2026-11-21T09:58:00+08:00"), affects_others});
  EXPECT_TRUE(s.ok());
  std::map<std::string, std::string> out;
  for (const auto& d : s->deadlines) out[d.key] = FormatRfc3339(d.at);
  return out;
}

struct LevelCase {
  int level;
  const char* damage_control_by;
  const char* review_by;
  const char* report_by;
};

class ScheduleByLevelTest : public ::testing::TestWithParam<LevelCase> {};

TEST_P(ScheduleByLevelTest, EveryDeadlineOfTheLevel) {
  const LevelCase& c = GetParam();
  auto d = DeadlinesAt(c.level);
  EXPECT_EQ(d["escalate_at"], "2026-11-21T10:18:00+08:00");
  EXPECT_EQ(d["notify_by"], "2026-11-21T10:58:00+08:00");
  EXPECT_EQ(d["fallback_notify_by"], "2026-11-21T10:58:00+08:00");
  EXPECT_EQ(d["damage_control_by"], c.damage_control_by);
  EXPECT_EQ(d["review_by"], c.review_by);
  EXPECT_EQ(d["report_by"], c.report_by);
  EXPECT_EQ(d.count("affected_agency_notify_by"), 0u);
}

INSTANTIATE_TEST_SUITE_P(
    Levels, ScheduleByLevelTest,
    ::testing::Values(
        LevelCase{1, "2026-11-24T09:58:00+08:00", "2026-11-21T18:58:00+08:00", "2026-12-24T09:58:00+08:00"},
        LevelCase{2, "2026-11-24T09:58:00+08:00", "2026-11-21T18:58:00+08:00", "2026-12-24T09:58:00+08:00"},
        LevelCase{3, "2026-11-22T21:58:00+08:00", "2026-11-21T12:58:00+08:00", "2026-12-22T21:58:00+08:00"},
        LevelCase{4, "2026-11-22T21:58:00+08:00", "2026-11-21T12:58:00+08:00", "2026-12-22T21:58:00+08:00"}));

TEST(ScheduleTest, EveryDeadlineNamesItsLegalSource) {
  for (int level = 1; level <= 4; ++level) {
    auto s = ComputeSchedule(Rules(), {level, T("2026-11-21T09:58:00+08:00"), true});
    ASSERT_TRUE(s.ok());
    for (const auto& d : s->deadlines) EXPECT_FALSE(d.source.empty()) << d.key;
    for (const auto& o : s->obligations) EXPECT_FALSE(o.source.empty()) << o.key;
  }
}

TEST(ScheduleTest, AffectedAgencyOnlyWhenOthersAreAffected) {
  EXPECT_EQ(DeadlinesAt(2, true)["affected_agency_notify_by"], "2026-11-21T10:58:00+08:00");
}

TEST(ScheduleTest, PhoneTheSuperiorOnlyAtLevelsThreeAndFour) {
  for (int level = 1; level <= 4; ++level) {
    auto s = ComputeSchedule(Rules(), {level, T("2026-11-21T09:58:00+08:00"), false});
    ASSERT_TRUE(s.ok());
    bool phone = false;
    for (const auto& o : s->obligations) phone |= o.key == "phone_superior";
    EXPECT_EQ(phone, level >= 3) << level;
  }
}

TEST(ScheduleTest, RefusesLevelOutsideOneToFour) {
  EXPECT_FALSE(ComputeSchedule(Rules(), {0, T("2026-11-21T09:58:00+08:00"), false}).ok());
  EXPECT_FALSE(ComputeSchedule(Rules(), {5, T("2026-11-21T09:58:00+08:00"), false}).ok());
}

TEST(ScheduleTest, MonthDeadlineClampsAtMonthEnd) {
  // Aware Dec 28 at level 1: damage control Dec 31, report one month later = Jan 31.
  auto s = ComputeSchedule(Rules(), {1, T("2026-12-28T23:00:00+08:00"), false});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(FormatRfc3339(s->Find("report_by")->at), "2027-01-31T23:00:00+08:00");
  auto t = ComputeSchedule(Rules(), {1, T("2027-01-28T23:00:00+08:00"), false});
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(FormatRfc3339(t->Find("report_by")->at), "2027-02-28T23:00:00+08:00");
}

TEST(RuleDurationTest, Units) {
  EXPECT_EQ(ParseRuleDuration("20m")->seconds, 1200);
  EXPECT_EQ(ParseRuleDuration("36h")->seconds, 36 * 3600);
  EXPECT_EQ(ParseRuleDuration("2d")->seconds, 2 * 86400);
  EXPECT_EQ(ParseRuleDuration("1mo")->months, 1);
  EXPECT_FALSE(ParseRuleDuration("1").ok());
  EXPECT_FALSE(ParseRuleDuration("h").ok());
  EXPECT_FALSE(ParseRuleDuration("0h").ok());
  EXPECT_FALSE(ParseRuleDuration("1 hour").ok());
}

const char* kMinimal = R"([ruleset]
id = "t"
title = "t"
title_en = "t"
[[deadline]]
key = "escalate_at"
title = "a"
title_en = "a"
anchor = "aware_at"
after = "20m"
levels = [1, 2, 3, 4]
source = "s"
[[deadline]]
key = "notify_by"
title = "a"
title_en = "a"
anchor = "aware_at"
after = "1h"
levels = [1, 2, 3, 4]
source = "s"
[[deadline]]
key = "fallback_notify_by"
title = "a"
title_en = "a"
anchor = "aware_at"
after = "1h"
levels = [1, 2, 3, 4]
source = "s"
)";

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  auto at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return s.replace(at, from.size(), to);
}

struct BadRules {
  std::string text;
  const char* expect;  // substring naming file, line and key
};

class MalformedRulesTest : public ::testing::TestWithParam<BadRules> {};

TEST_P(MalformedRulesTest, NamesFileLineAndKey) {
  auto r = LoadRuleSet(GetParam().text, "test.toml");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(GetParam().expect), std::string::npos) << r.status().message();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, MalformedRulesTest,
    ::testing::Values(
        BadRules{"[ruleset\n", "test.toml:1:"},
        BadRules{Replace(kMinimal, "after = \"20m\"", "after = \"20 minutes\""), "test.toml:10: deadline[0].after"},
        BadRules{Replace(kMinimal, "source = \"s\"\n", ""), "test.toml:5: deadline[0].source: missing"},
        BadRules{Replace(kMinimal, "levels = [1, 2, 3, 4]", "levels = [1, 5]"), "test.toml:11: deadline[0].levels"},
        BadRules{Replace(kMinimal, "anchor = \"aware_at\"", "anchor = \"later\""), "test.toml:9: deadline[0].anchor"},
        BadRules{Replace(kMinimal, "title_en = \"t\"", "title_en = \"t\"\ncolour = \"red\""), "test.toml:5: ruleset.colour: unknown key"},
        BadRules{Replace(kMinimal, "key = \"escalate_at\"", "key = \"escalate_later\""), "deadline.escalate_at: missing for level 1"},
        BadRules{std::string(kMinimal) + "[[obligation]]\nkey = \"x\"\ntitle = \"x\"\ntitle_en = \"x\"\nby = \"never\"\nlevels = [3]\nsource = \"s\"\n",
                 "obligation[0].by: 'never' is not a deadline"}));

TEST(RulesFileTest, ShippedFileLoadsAndMatchesTheEmbeddedCopy) {
  auto file = LoadRuleSetFile(LIFELINE_SOURCE_DIR "/config/rules/tw-2021.toml");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ(file->id, "tw-2021");
  EXPECT_EQ(file->deadlines.size(), Rules().deadlines.size());
  EXPECT_GE(file->figures.size(), 6u);
  EXPECT_FALSE(LoadRuleSetFile("/nonexistent/rules.toml").ok());
}

}  // namespace
}  // namespace lifeline
