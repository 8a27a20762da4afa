// Runs the real `lifeline` and `lifelined` binaries the way an operator would
// and checks what they print and their exit status.
#include <gtest/gtest.h>

#include "tests/support/command.h"
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace {

using lifeline::testing_support::CommandResult;

CommandResult Exec(const std::string& cmd) { return lifeline::testing_support::RunCommand(cmd + " 2>&1"); }

const std::string kCli = LIFELINE_BINARY_DIR "/tools/lifeline/lifeline";
const std::string kDaemon = LIFELINE_BINARY_DIR "/daemon/lifelined";
const std::string kSrc = LIFELINE_SOURCE_DIR;

TEST(CliTest, ValidReportPrintsLevelAndEveryDeadlineWithSource) {
  CommandResult r = Exec(kCli + " report validate " + kSrc + "/config/sample-report.json");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("Level 事件等級: 3"), std::string::npos) << r.output;
  for (const char* key : {"escalate_at", "notify_by", "fallback_notify_by", "review_by",
                          "damage_control_by", "report_by", "phone_superior"}) {
    EXPECT_NE(r.output.find(key), std::string::npos) << key;
  }
  EXPECT_NE(r.output.find("2026-11-21 10:58 (+08:00)  notify_by"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("資通安全事件通報及應變辦法第 4 條第 1 項"), std::string::npos);
}

TEST(CliTest, InvalidReportPrintsEveryProblemAndFails) {
  std::string path = testing::TempDir() + "/bad-report.json";
  std::ofstream(path) << R"({"schema_version":"lifeline.report/1","aware_at":"2026-11-21T09:58:00",)"
                      << R"("impact":{"confidentiality":"none","integrity":"none","availability":"none"}})";
  CommandResult r = Exec(kCli + " report validate " + path);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  for (const char* path_text : {"/aware_at", "/id", "/reporter", "/impact", "/soc"}) {
    EXPECT_NE(r.output.find(path_text), std::string::npos) << path_text << "\n" << r.output;
  }
  EXPECT_NE(r.output.find("無需通報"), std::string::npos) << r.output;
}

TEST(CliTest, MissingFileIsAnEnvironmentError) {
  CommandResult r = Exec(kCli + " report validate /nonexistent.json");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("cannot read /nonexistent.json"), std::string::npos);
}

TEST(CliTest, RulesShowListsFiguresWithSources) {
  CommandResult r = Exec(kCli + " rules show");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("drill_scenarios_min = 10"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("seed 002 5.2.1"), std::string::npos);
}

TEST(CliTest, FaxRenderWritesTheTiffAndItsPreview) {
  std::string tiff = testing::TempDir() + "/form.tif";
  CommandResult r = Exec(kCli + " fax render " + kSrc + "/config/sample-report.json --out " + tiff);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  std::ifstream t(tiff, std::ios::binary), p(testing::TempDir() + "/form.png", std::ios::binary);
  char magic[4] = {};
  t.read(magic, 4);
  EXPECT_EQ(std::string(magic, 4), std::string("II*\0", 4)) << "a little-endian TIFF";
  char png[4] = {};
  p.read(png, 4);
  EXPECT_EQ(std::string(png + 1, 3), "PNG");
}

TEST(CliTest, FaxTestWithoutAModemSaysSo) {
  CommandResult r = Exec(kCli + " fax test 0227331655");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("no fax modem: set fax.device"), std::string::npos) << r.output;
}

TEST(CliTest, SmsTestWithoutAModemSaysSo) {
  CommandResult r = Exec(kCli + " sms test +886912345678 test");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("no SMS modem: set sms.device"), std::string::npos) << r.output;
}

TEST(DaemonConfigTest, CheckConfigNamesTheBadKey) {
  std::string path = testing::TempDir() + "/bad.toml";
  std::ofstream(path) << "[daemon]\nlog_level = \"loud\"\n";
  CommandResult r = Exec(kDaemon + " --check-config " + path);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find(path + ":2: daemon.log_level"), std::string::npos) << r.output;
}

TEST(DaemonConfigTest, CheckConfigAcceptsTheShippedDefault) {
  CommandResult r = Exec(kDaemon + " --check-config " + kSrc + "/config/lifeline.toml");
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

TEST(DaemonConfigTest, BadRuleFileIsReported) {
  std::string rules = testing::TempDir() + "/rules.toml";
  std::ofstream(rules) << "[ruleset]\nid = \"x\"\n";
  std::string conf = testing::TempDir() + "/with-rules.toml";
  std::ofstream(conf) << "[rules]\nfile = \"" << rules << "\"\n";
  CommandResult r = Exec(kDaemon + " --check-config " + conf);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find(rules + ":1: ruleset.title: missing"), std::string::npos) << r.output;
}

}  // namespace

// `lifeline journal verify` on the golden journal (tests/fixtures/journal,
// made by lifeline with a fixed key) and on a copy with one payload byte
// changed: the first passes, the second names the first bad entry and fails.
TEST(CliTest, JournalVerifyAcceptsTheGoldenJournalAndRejectsATamperedCopy) {
  for (const auto& [db, expect_ok] : {std::pair{"lifeline.db", true}, {"tampered.db", false}}) {
    std::string dir = testing::TempDir() + "/journal-" + (expect_ok ? "good" : "bad");
    Exec("rm -rf " + dir + " && mkdir -p " + dir);
    Exec("cp " + kSrc + "/tests/fixtures/journal/" + db + " " + dir + "/lifeline.db");
    Exec("install -m 0600 " + kSrc + "/tests/fixtures/journal/journal.key " + dir + "/journal.key");
    CommandResult r = Exec(kCli + " --state-dir " + dir + " journal verify");
    if (expect_ok) {
      EXPECT_EQ(r.exit_code, 0) << r.output;
      EXPECT_NE(r.output.find("OK: 5 journal entries verify"), std::string::npos) << r.output;
    } else {
      EXPECT_EQ(r.exit_code, 1) << r.output;
      EXPECT_NE(r.output.find("BAD: first bad entry #2"), std::string::npos) << r.output;
    }
  }
}
