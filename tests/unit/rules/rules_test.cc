#include "daemon/rules/rules.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <set>

namespace lifeline {
namespace {

namespace fs = std::filesystem;

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

// ---- rule sets beyond Taiwan's: EU NIS2 Art. 23 and GDPR Art. 33 ----

const fs::path kRules = fs::path(LIFELINE_SOURCE_DIR) / "config/rules";

RuleSet LoadShipped(const char* name) {
  auto r = LoadRuleSetFile((kRules / name).string());
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : RuleSet{};
}

std::map<std::string, std::string> At(const RuleSet& rules, const char* aware, const MetSteps& met = {}) {
  auto s = ComputeSchedule(rules, {2, T(aware), false}, met);
  EXPECT_TRUE(s.ok());
  std::map<std::string, std::string> out;
  for (const auto& d : s->deadlines) out[d.key] = FormatRfc3339(d.at);
  for (const auto& o : s->obligations) out["obligation:" + o.key] = FormatRfc3339(o.due);
  return out;
}

TEST(RuleSetsTest, EveryShippedSetLoadsWithASourceForEveryFigure) {
  std::set<std::string> ids;
  int files = 0;
  for (const auto& e : fs::directory_iterator(kRules)) {
    if (e.path().extension() != ".toml") continue;
    ++files;
    auto r = LoadRuleSetFile(e.path().string());
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_TRUE(ids.insert(r->id).second) << "duplicate id " << r->id;
    for (const auto& d : r->deadlines) EXPECT_FALSE(d.source.empty()) << r->id << " " << d.key;
    for (const auto& o : r->obligations) EXPECT_FALSE(o.source.empty()) << r->id << " " << o.key;
    for (const auto& f : r->figures) EXPECT_FALSE(f.source.empty()) << r->id << " " << f.key;
    for (int level = 1; level <= 4; ++level) {
      EXPECT_TRUE(ComputeSchedule(*r, {level, T("2026-11-21T09:58:00+08:00"), true}).ok()) << r->id;
    }
  }
  EXPECT_EQ(ids, (std::set<std::string>{"tw-2021", "eu-nis2", "eu-gdpr-art33"}));
  EXPECT_EQ(files, 3);
}

TEST(Nis2Test, EarlyWarningNotificationAndFinalReport) {
  auto d = At(LoadShipped("eu-nis2.toml"), "2026-06-10T09:15:00+02:00");
  EXPECT_EQ(d["escalate_at"], "2026-06-11T01:15:00+02:00");
  EXPECT_EQ(d["notify_by"], "2026-06-11T09:15:00+02:00");  // early warning, 24 h
  EXPECT_EQ(d["fallback_notify_by"], "2026-06-11T09:15:00+02:00");
  EXPECT_EQ(d["incident_notification_by"], "2026-06-13T09:15:00+02:00");  // 72 h
  EXPECT_EQ(d["final_report_by"], "2026-07-13T09:15:00+02:00");  // one month after the notification
  EXPECT_EQ(d["obligation:progress_report_if_ongoing"], "2026-07-13T09:15:00+02:00");
  EXPECT_EQ(d["obligation:early_warning_content"], "2026-06-11T09:15:00+02:00");
}

TEST(Nis2Test, SameAtEveryLevel) {
  auto rules = LoadShipped("eu-nis2.toml");
  for (int level = 1; level <= 4; ++level) {
    auto s = ComputeSchedule(rules, {level, T("2026-06-10T09:15:00+02:00"), false});
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(s->deadlines.size(), 5u) << level;
    EXPECT_EQ(FormatRfc3339(s->Find("final_report_by")->at), "2026-07-13T09:15:00+02:00") << level;
  }
}

TEST(Nis2Test, OneMonthIsACalendarMonthNotThirtyDays) {
  auto rules = LoadShipped("eu-nis2.toml");
  // Notification due Feb 1: the final report a month later is Mar 1 (30 days would be Mar 3).
  EXPECT_EQ(At(rules, "2026-01-29T10:00:00+01:00")["final_report_by"], "2026-03-01T10:00:00+01:00");
  // Notification due Jul 31: Aug 31 (30 days would be Aug 30).
  EXPECT_EQ(At(rules, "2026-07-28T10:00:00+02:00")["final_report_by"], "2026-08-31T10:00:00+02:00");
}

TEST(Nis2Test, MonthEndsClampToTheLastDay) {
  auto rules = LoadShipped("eu-nis2.toml");
  // Notification due Jan 31: February has no 31st.
  EXPECT_EQ(At(rules, "2027-01-28T15:00:00+01:00")["final_report_by"], "2027-02-28T15:00:00+01:00");
  EXPECT_EQ(At(rules, "2028-01-28T15:00:00+01:00")["final_report_by"], "2028-02-29T15:00:00+01:00");
  // Notification due Mar 31: April has 30 days.
  EXPECT_EQ(At(rules, "2026-03-28T08:00:00+01:00")["final_report_by"], "2026-04-30T08:00:00+01:00");
  // Across the year end.
  EXPECT_EQ(At(rules, "2026-12-29T23:59:00+01:00")["final_report_by"], "2027-02-01T23:59:00+01:00");
}

TEST(Nis2Test, HoursAreElapsedTimeInTheReportsOwnOffset) {
  auto rules = LoadShipped("eu-nis2.toml");
  // Summer time starts in the EU on 2026-03-29 at 01:00 UTC. lifeline keeps
  // the report's fixed offset: 72 h are 72 h of elapsed time, shown in +01:00
  // (13:00 in CEST), never 71 or 73.
  auto s = ComputeSchedule(rules, {1, T("2026-03-27T12:00:00+01:00"), false});
  ASSERT_TRUE(s.ok());
  const auto* n = s->Find("incident_notification_by");
  EXPECT_EQ(FormatRfc3339(n->at), "2026-03-30T12:00:00+01:00");
  EXPECT_EQ(n->at.offset_minutes, 60);
  EXPECT_EQ(n->at.instant - T("2026-03-27T12:00:00+01:00").instant, std::chrono::hours(72));
  EXPECT_EQ(FormatRfc3339(WithOffset(n->at.instant, 120)), "2026-03-30T13:00:00+02:00");
  // The same instant written in UTC gives the same instants.
  auto u = ComputeSchedule(rules, {1, T("2026-03-27T11:00:00Z"), false});
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->Find("incident_notification_by")->at.instant, n->at.instant);
}

TEST(Nis2Test, MonthsCountInTheReportsOwnOffsetNotUtc) {
  auto rules = LoadShipped("eu-nis2.toml");
  // Notification due 2026-01-30 22:00 -05:00, which is already Jan 31 in UTC.
  // A month later in the report's own calendar is Feb 28 22:00 -05:00; in UTC
  // it would have been Feb 28 03:00 UTC, a day earlier locally.
  auto d = At(rules, "2026-01-27T22:00:00-05:00");
  EXPECT_EQ(d["incident_notification_by"], "2026-01-30T22:00:00-05:00");
  EXPECT_EQ(d["final_report_by"], "2026-02-28T22:00:00-05:00");
  EXPECT_EQ(FormatRfc3339(AddCalendarMonths(T("2026-01-31T03:00:00Z"), 1)), "2026-02-28T03:00:00Z");
}

TEST(Nis2Test, FinalReportCountsFromTheActualNotificationWhenKnown) {
  auto rules = LoadShipped("eu-nis2.toml");
  // Notified on day 2 rather than at the 72 h limit: the month runs from then.
  MetSteps met{{"incident_notification_by", T("2026-06-11T16:40:00Z")}};
  auto s = ComputeSchedule(rules, {2, T("2026-06-10T09:15:00+02:00"), false}, met);
  ASSERT_TRUE(s.ok());
  const auto* f = s->Find("final_report_by");
  EXPECT_EQ(FormatRfc3339(f->at), "2026-07-11T18:40:00+02:00");
  EXPECT_TRUE(f->anchor_met);
  auto j = ScheduleToJson(*s);
  EXPECT_EQ(j["deadlines"][4]["anchor_met"], true);
  EXPECT_EQ(j["deadlines"][4]["anchor_at"], "2026-06-11T18:40:00+02:00");
  EXPECT_FALSE(j["deadlines"][3].contains("anchor_met"));
  // The step's own deadline is unchanged: met says when it was done, not when it was due.
  EXPECT_EQ(FormatRfc3339(s->Find("incident_notification_by")->at), "2026-06-13T09:15:00+02:00");
}

TEST(Nis2Test, ScaledClockCountsAMonthAsThirtyDays) {
  RuleSet scaled = ScaleRuleSet(LoadShipped("eu-nis2.toml"), 60);
  auto s = ComputeSchedule(scaled, {1, T("2026-06-10T09:15:00+02:00"), false});
  ASSERT_TRUE(s.ok());
  // 72 h / 60 = 72 min; then 30 days / 60 = 12 h.
  EXPECT_EQ(FormatRfc3339(s->Find("incident_notification_by")->at), "2026-06-10T10:27:00+02:00");
  EXPECT_EQ(FormatRfc3339(s->Find("final_report_by")->at), "2026-06-10T22:27:00+02:00");
  EXPECT_EQ(scaled.id, "eu-nis2@1/60");
}

TEST(GdprTest, SupervisoryAuthorityWithin72Hours) {
  auto d = At(LoadShipped("eu-gdpr.toml"), "2026-10-24T17:30:00+02:00");
  EXPECT_EQ(d["escalate_at"], "2026-10-26T17:30:00+02:00");
  EXPECT_EQ(d["notify_by"], "2026-10-27T17:30:00+02:00");
  EXPECT_EQ(d["fallback_notify_by"], "2026-10-27T17:30:00+02:00");
  EXPECT_EQ(d["obligation:reasons_if_late"], "2026-10-27T17:30:00+02:00");
  EXPECT_EQ(d["obligation:communicate_to_data_subjects"], "2026-10-27T17:30:00+02:00");
  EXPECT_EQ(d.count("final_report_by"), 0u);
}

TEST(GdprTest, SeventyTwoHoursAcrossTheEndOfSummerTime) {
  // Summer time ends on 2026-10-25 at 01:00 UTC: the local clock repeats an
  // hour, the deadline does not move. 72 h after 17:30 CEST is 16:30 CET.
  auto s = ComputeSchedule(LoadShipped("eu-gdpr.toml"), {3, T("2026-10-24T17:30:00+02:00"), false});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(FormatRfc3339(WithOffset(s->Find("notify_by")->at.instant, 60)), "2026-10-27T16:30:00+01:00");
}

}  // namespace
}  // namespace lifeline
