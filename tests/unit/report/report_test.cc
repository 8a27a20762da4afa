// The schema is the contract: every fixture must get the same verdict from the
// C++ validator and from Debian's python3-jsonschema, and invalid fixtures must
// be reported at the path their expectation names.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "daemon/report/report.h"
#include "tests/support/command.h"
#include "tests/unit/report/fixture_files.h"

namespace lifeline {
namespace {

namespace fs = std::filesystem;
const fs::path kFixtures = fs::path(LIFELINE_SOURCE_DIR) / "tests/fixtures/reports";

std::string ReadFile(const fs::path& p) { return testing_support::ReadFixture(p); }
std::vector<std::string> FixtureNames() { return testing_support::FixtureNames(kFixtures); }

TEST(ReportFixturesTest, AtLeastThirtyFixtures) { EXPECT_GE(FixtureNames().size(), 30u); }

TEST(ReportFixturesTest, CppVerdictMatchesFolderAndExpectedPath) {
  auto expectations = nlohmann::json::parse(ReadFile(kFixtures / "expectations.json"));
  for (const auto& name : FixtureNames()) {
    ValidationOutcome outcome = ValidateReport(ReadFile(kFixtures / name));
    bool should_be_valid = name.rfind("valid/", 0) == 0;
    EXPECT_EQ(outcome.ok(), should_be_valid) << name << "\n" << outcome.Describe();
    if (should_be_valid) continue;
    ASSERT_TRUE(expectations.contains(name)) << "no expectation for " << name;
    for (const auto& path : expectations[name]) {
      bool found = false;
      for (const auto& p : outcome.problems) found |= p.path == path.get<std::string>();
      EXPECT_TRUE(found) << name << " should report " << path << "\n" << outcome.Describe();
    }
    for (const auto& p : outcome.problems) {
      EXPECT_FALSE(p.zh.empty()) << name;
      EXPECT_FALSE(p.en.empty()) << name;
    }
  }
}

TEST(ReportFixturesTest, PythonJsonschemaAgreesOnEveryFixture) {
  std::string cmd = "/usr/bin/python3 " LIFELINE_SOURCE_DIR
                    "/tests/unit/report/jsonschema_verdicts.py " LIFELINE_SOURCE_DIR
                    "/proto/report.schema.json " +
                    kFixtures.string();
  std::string out = testing_support::RunCommand(cmd).output;
  auto verdicts = nlohmann::json::parse(out, nullptr, false);
  ASSERT_TRUE(verdicts.is_object()) << "python3-jsonschema did not run: " << out;
  auto names = FixtureNames();
  ASSERT_EQ(verdicts.size(), names.size());
  for (const auto& name : names) {
    ValidationOutcome outcome = ValidateReport(ReadFile(kFixtures / name));
    EXPECT_EQ(verdicts.value(name, !outcome.ok()), outcome.ok())
        << name << ": C++ says " << (outcome.ok() ? "valid" : "invalid") << "\n"
        << outcome.Describe();
  }
}

TEST(ReportTest, SampleReportHasLevelThreeAndItsFields) {
  auto outcome = ValidateReport(ReadFile(fs::path(LIFELINE_SOURCE_DIR) / "config/sample-report.json"));
  ASSERT_TRUE(outcome.ok()) << outcome.Describe();
  const Report& r = *outcome.report;
  EXPECT_EQ(r.Level(), 3);
  EXPECT_EQ(r.category, "intrusion");
  EXPECT_EQ(r.anomalies.size(), 2u);
  EXPECT_EQ(r.aware_at.offset_minutes, 480);
  EXPECT_EQ(FormatRfc3339(r.aware_at), "2026-11-21T09:58:00+08:00");
  EXPECT_EQ(r.IdempotencyKey(), "7c1e2f40-5b7a-4d3e-9a51-2f0c8e6d4b10/r1");
  EXPECT_EQ(r.soc_vendor.value_or(""), "範例資安股份有限公司");
}

// Times that cannot be true: a typo in the year (2099) no longer takes a
// report out of the one-hour rule; discovery after awareness and filing
// before discovery are refused at their field; a few minutes ahead is clock
// skew and passes.
TEST(ReportTest, TimesThatCannotBeTrueAreRefusedAtTheirField) {
  const std::string sample = ReadFile(fs::path(LIFELINE_SOURCE_DIR) / "config/sample-report.json");
  const TimeCheck at{ParseRfc3339("2026-11-21T10:06:00+08:00")->instant, std::chrono::seconds(300)};
  EXPECT_TRUE(ValidateReportAt(sample, at).ok()) << ValidateReportAt(sample, at).Describe();
  auto with = [&](std::map<std::string, std::string> times) {
    nlohmann::json doc = nlohmann::json::parse(sample);
    for (const auto& [k, v] : times) doc[k] = v;
    return ValidateReportAt(doc.dump(), at);
  };
  auto paths = [](const ValidationOutcome& o) {
    std::vector<std::string> p;
    for (const auto& problem : o.problems) p.push_back(problem.path);
    return p;
  };
  auto year = with({{"aware_at", "2099-11-21T09:58:00+08:00"}, {"filed_at", "2099-11-21T10:05:00+08:00"}});
  EXPECT_EQ(paths(year), (std::vector<std::string>{"/aware_at", "/filed_at"})) << year.Describe();
  EXPECT_FALSE(year.report.has_value()) << "nothing to store";
  EXPECT_NE(year.Describe().find("比本機時鐘晚"), std::string::npos);
  auto discovered_late = with({{"discovered_at", "2026-11-21T10:00:00+08:00"}});
  EXPECT_EQ(paths(discovered_late), (std::vector<std::string>{"/discovered_at"})) << discovered_late.Describe();
  auto filed_early = with({{"filed_at", "2026-11-21T09:30:00+08:00"}});
  EXPECT_EQ(paths(filed_early), (std::vector<std::string>{"/filed_at"}));
  EXPECT_NE(filed_early.problems[0].en.find("before the discovery"), std::string::npos);
  auto skew = with({{"filed_at", "2026-11-21T10:10:00+08:00"}});
  EXPECT_TRUE(skew.ok()) << "four minutes ahead is the clocks differing: " << skew.Describe();
  auto beyond = with({{"filed_at", "2026-11-21T10:12:00+08:00"}});
  EXPECT_EQ(paths(beyond), (std::vector<std::string>{"/filed_at"})) << beyond.Describe();
}

struct LevelCase {
  nlohmann::json c, i, a;
  int level;
};

TEST(ReportTest, LevelIsTheWorstOfTheThreeImpacts) {
  auto base = nlohmann::json::parse(ReadFile(fs::path(LIFELINE_SOURCE_DIR) / "config/sample-report.json"));
  const LevelCase cases[] = {{1, "none", "none", 1}, {"none", 2, 1, 2}, {1, 1, 3, 3},
                             {4, "none", 2, 4},      {2, 4, 4, 4},      {"none", "none", 1, 1}};
  for (const auto& lc : cases) {
    base["impact"] = {{"confidentiality", lc.c}, {"integrity", lc.i}, {"availability", lc.a}};
    auto outcome = ValidateReportJson(base);
    ASSERT_TRUE(outcome.ok()) << outcome.Describe();
    EXPECT_EQ(outcome.report->Level(), lc.level) << base["impact"].dump();
  }
}

TEST(ReportTest, AllNoneExplainsThatNoNotificationIsRequired) {
  auto outcome = ValidateReport(ReadFile(kFixtures / "invalid/all_impacts_none.json"));
  ASSERT_EQ(outcome.problems.size(), 1u) << outcome.Describe();
  EXPECT_NE(outcome.problems[0].zh.find("無需通報"), std::string::npos);
  EXPECT_NE(outcome.problems[0].en.find("no notification is required"), std::string::npos);
}

TEST(ReportTest, ReportsEveryProblemNotJustTheFirst) {
  auto doc = nlohmann::json::parse(ReadFile(fs::path(LIFELINE_SOURCE_DIR) / "config/sample-report.json"));
  doc["aware_at"] = "yesterday";
  doc["soc"] = {{"type", "outsourced"}};
  doc["anomalies"] = {"defacement"};
  doc.erase("description");
  auto outcome = ValidateReportJson(doc);
  std::set<std::string> paths;
  for (const auto& p : outcome.problems) paths.insert(p.path);
  EXPECT_EQ(paths, (std::set<std::string>{"/aware_at", "/soc/vendor", "/anomalies/0", "/description"}))
      << outcome.Describe();
}

TEST(ReportTest, GarbageNeverThrows) {
  const char* inputs[] = {"", "null", "[]", "{\"impact\":[]}", "\xff\xfe", "{\"revision\":1e400}",
                          "{\"anomalies\":{}}", "{\"reporter\":{\"email\":1}}"};
  for (const char* in : inputs) {
    EXPECT_FALSE(ValidateReport(in).ok()) << in;
  }
}

TEST(ReportTest, LabelsComeFromTheSchema) {
  EXPECT_EQ(LabelZh("categories", "intrusion"), "非法入侵");
  EXPECT_EQ(LabelZh("anomalies", "defacement"), "網頁置換");
  EXPECT_EQ(LabelZh("sectors", "emergency_medical"), "緊急救援與醫院");
  EXPECT_EQ(LabelEn("categories", "dos"), "Denial of service (DoS/DDoS)");
  EXPECT_EQ(LabelZh("categories", "nonexistent"), "nonexistent");
}

}  // namespace
}  // namespace lifeline
