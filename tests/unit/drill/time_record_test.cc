// The drill record: its strict parser, deadlines met or missed with their
// margins, the results' own due date, and the printed time record and results
// report (PDF read back with pdftotext, HTML escaping, CSV rows).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "daemon/drill/drill_documents.h"
#include "tests/support/command.h"

namespace lifeline::drill {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using nlohmann::json;

constexpr const char* kFixture = LIFELINE_SOURCE_DIR "/tests/fixtures/drills/drill-record.json";

std::string Fixture() {
  std::ifstream in(kFixture);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

DrillRecord Parsed(const std::string& text = Fixture()) {
  auto r = ParseDrillRecord(text, "record.json");
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : DrillRecord{};
}

OffsetTime T(const char* s) { return *ParseRfc3339(s); }

TEST(DrillRecord, ParsesTheFixture) {
  DrillRecord r = Parsed();
  ASSERT_EQ(r.units.size(), 3u);
  EXPECT_EQ(r.organiser, "高雄市政府民政局");
  const auto& u = r.units[0];
  EXPECT_EQ(u.unit, "高雄市鼓山戶政事務所");
  EXPECT_EQ(u.level, 3);
  ASSERT_EQ(u.steps.size(), 14u);
  EXPECT_EQ(u.steps[0].kind, StepKind::kAware);
  EXPECT_EQ(u.steps.back().kind, StepKind::kLateAccepted);
  ASSERT_EQ(u.deadlines.size(), 3u);
  EXPECT_FALSE(u.deadlines[0].done.has_value());
}

TEST(DrillRecord, DeadlinesMetOrMissedWithMargins) {
  Deadline d{"fallback_notify_by", "x", T("2026-09-15T11:00:00+08:00"), T("2026-09-15T10:26:00+08:00")};
  auto met = Evaluate(d);
  EXPECT_TRUE(met.met);
  EXPECT_EQ(met.margin->count(), 34 * 60);
  EXPECT_EQ(MarginZh(met), "提前 34 分 00 秒");
  d.done = T("2026-09-15T11:02:40+08:00");
  auto late = Evaluate(d);
  EXPECT_FALSE(late.met);
  EXPECT_EQ(late.margin->count(), -160);
  EXPECT_EQ(MarginZh(late), "逾時 2 分 40 秒");
  d.done = d.due;
  EXPECT_TRUE(Evaluate(d).met) << "on the minute counts as met";
  d.done.reset();
  EXPECT_FALSE(Evaluate(d).met);
  EXPECT_EQ(MarginZh(Evaluate(d)), "未完成");
}

TEST(DrillRecord, StepsAreSortedAndTimedFromAwareness) {
  std::string text = Fixture();
  json j = json::parse(text);
  auto& steps = j["units"][2]["steps"];
  std::swap(steps[0], steps[3]);
  DrillRecord r = Parsed(j.dump());
  const auto& u = r.units[2];
  EXPECT_EQ(u.steps[0].kind, StepKind::kAware);
  EXPECT_EQ(Elapsed(*u.Origin(), u.steps[3].at), "+00:07:02");
  EXPECT_EQ(Elapsed(u.steps[3].at, *u.Origin()), "-00:07:02");
  EXPECT_EQ(LocalTime(u.steps[3].at), "2026-09-15 15:07:02");
}

TEST(DrillRecord, ResultsAreDueAMonthAfterTheDrillByTheRules) {
  auto rules = DefaultRuleSet();
  ASSERT_TRUE(rules.ok());
  DrillRecord r = Parsed();
  auto due = ResultsDue(r, *rules);
  ASSERT_TRUE(due.ok()) << due.status().ToString();
  EXPECT_EQ(FormatRfc3339(*due), "2026-10-15T16:00:00+08:00");
  r.ended_at = T("2027-01-31T17:00:00+08:00");
  EXPECT_EQ(FormatRfc3339(*ResultsDue(r, *rules)), "2027-02-28T17:00:00+08:00");
}

TEST(DrillRecord, ErrorsNameFileAndPath) {
  struct Case {
    std::string pointer;
    json value;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {"/units/0/steps/2/at", "2026-09-15 10:03:21", "record.json: /units/0/steps/2/at: '2026-09-15 10:03:21' is not an RFC 3339"},
      {"/units/0/steps/2/kind", "coffee", "record.json: /units/0/steps/2/kind: 'coffee' is not a step kind"},
      {"/units/0/steps/6/channel", "pigeon", "record.json: /units/0/steps/6/channel: must be site, sms"},
      {"/units/0/steps/6/colour", "red", "record.json: /units/0/steps/6/colour: unknown key"},
      {"/units/1/scenario/level", 5, "record.json: /units/1/scenario/level: must be an integer 1-4"},
      {"/units/1/deadlines/0/due_at", 7, "record.json: /units/1/deadlines/0/due_at: must be a string"},
      {"/drill/ended_at", "2026-09-14T16:00:00+08:00", "record.json: /drill/ended_at: is before started_at"},
      {"/format", "lifeline.drill-record/9", "record.json: /format: must be lifeline.drill-record/1"},
      {"/units", json::array(), "record.json: /units: a drill record has at least one unit"},
      {"/extra", 1, "record.json: /extra: unknown key"},
  };
  for (const auto& c : cases) {
    json j = json::parse(Fixture());
    j[json::json_pointer(c.pointer)] = c.value;
    auto r = ParseDrillRecord(j.dump(), "record.json");
    ASSERT_FALSE(r.ok()) << c.pointer;
    EXPECT_THAT(r.status().message(), HasSubstr(c.expect)) << c.pointer;
  }
  json j = json::parse(Fixture());
  j["units"][0]["steps"][6].erase("channel");
  EXPECT_THAT(ParseDrillRecord(j.dump(), "record.json").status().message(),
              HasSubstr("/units/0/steps/6/channel: a notified step names its recipient and channel"));
  EXPECT_THAT(ParseDrillRecord("{", "record.json").status().message(), HasSubstr("record.json: not JSON"));
  EXPECT_THAT(ParseDrillRecord("[]", "record.json").status().message(), HasSubstr("must be an object"));
}

std::string PdfText(const print::Document& doc, const std::string& name) {
  auto pdf = print::RenderPdf(doc);
  EXPECT_TRUE(pdf.ok()) << pdf.status().ToString();
  auto dir = std::filesystem::temp_directory_path() / ("drill_test." + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / name).string();
  EXPECT_TRUE(print::WriteFile(path, pdf.ok() ? *pdf : "").ok());
  auto text = testing_support::RunCommand("pdftotext -enc UTF-8 " + path + " - 2>&1");
  EXPECT_EQ(text.exit_code, 0) << text.output;
  std::filesystem::remove_all(dir);
  return text.output;
}

TEST(TimeRecordDocument, PrintsEveryStepAndDeadline) {
  DrillRecord r = Parsed();
  const std::string text = PdfText(TimeRecordDocument(r), "time-record.pdf");
  for (const char* s : {"演練時間紀錄表", "115 年度資通安全事件通報及應變演練", "1. 高雄市鼓山戶政事務所", "知悉", "網站通報嘗試",
                        "判定無法連線", "啟動其他方式通報", "確認收悉", "補行通報受理", "2026-09-15 10:26:00", "+00:26:00",
                        "提前 34 分 00 秒", "逾時 2 分 40 秒", "未完成", "高雄市旗山戶政事務所", "登錄人員（督察組）",
                        "資通安全長", "第 1 頁／共"}) {
    EXPECT_THAT(text, HasSubstr(s)) << s;
  }
}

TEST(ResultsDocument, SummarisesUnitsAndRemindsOfItsDueDate) {
  DrillRecord r = Parsed();
  const std::string text = PdfText(ResultsDocument(r, T("2026-10-15T16:00:00+08:00"), "一個月內；seed 003 5.2.1"), "results.pdf");
  for (const char* s : {"演練成果報告", "參演單位：3 個", "高雄市兵役處", "其他方式 達成（提前 34 分 00 秒）",
                        "未達成（逾時 2 分 40 秒）", "網站 達成（提前 52 分 58 秒）", "1 個單位所有期限皆達成",
                        "2 個單位有未達成之期限", "2026-10-15 前主動送交備查（一個月內；seed 003 5.2.1）", "規劃組"}) {
    EXPECT_THAT(text, HasSubstr(s)) << s;
  }
}

TEST(TimeRecordDocument, HtmlShowsAScriptInAStepAsText) {
  json j = json::parse(Fixture());
  j["units"][0]["steps"][0]["text"] = "<script>alert('x')</script>";
  j["units"][0]["unit"] = "<b>單位</b>";
  DrillRecord r = Parsed(j.dump());
  const std::string html = print::RenderHtml(TimeRecordDocument(r));
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, Not(HasSubstr("<b>")));
  EXPECT_THAT(html, HasSubstr("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
  EXPECT_THAT(html, HasSubstr("2026-09-15 10:26:00"));
}

TEST(TimeRecordRows, OneRowPerStepAndDeadline) {
  DrillRecord r = Parsed();
  auto rows = TimeRecordRows(r);
  ASSERT_EQ(rows.size(), 1u + 14 + 3 + 12 + 2 + 4 + 1);
  EXPECT_EQ(rows[0][0], "單位");
  EXPECT_EQ(rows[1][4], "知悉");
  EXPECT_EQ(rows[1][5], "2026-09-15T10:00:00+08:00");
  const auto& late = rows[1 + 14 + 3 + 12 + 1];
  EXPECT_EQ(late[9], "未達成");
  EXPECT_EQ(late[10], "-160");
  const std::string csv = print::Csv(rows);
  EXPECT_EQ(csv.rfind("\xEF\xBB\xBF單位,情境", 0), 0u);
  EXPECT_THAT(csv, HasSubstr(",-160,逾時 2 分 40 秒\r\n"));
}

}  // namespace
}  // namespace lifeline::drill
