// Runs the real `lifeline` and `lifelined` binaries the way an operator would
// and checks what they print and their exit status.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace {

struct CommandRun {
  int exit_code;
  std::string out;
};

CommandRun Exec(const std::string& cmd) {
  CommandRun r{-1, ""};
  FILE* f = popen((cmd + " 2>&1").c_str(), "r");
  if (!f) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) r.out.append(buf, n);
  int status = pclose(f);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

const std::string kCli = LIFELINE_BINARY_DIR "/tools/lifeline/lifeline";
const std::string kDaemon = LIFELINE_BINARY_DIR "/daemon/lifelined";
const std::string kSrc = LIFELINE_SOURCE_DIR;

TEST(CliTest, ValidReportPrintsLevelAndEveryDeadlineWithSource) {
  CommandRun r = Exec(kCli + " report validate " + kSrc + "/config/sample-report.json");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("Level 事件等級: 3"), std::string::npos) << r.out;
  for (const char* key : {"escalate_at", "notify_by", "fallback_notify_by", "review_by",
                          "damage_control_by", "report_by", "phone_superior"}) {
    EXPECT_NE(r.out.find(key), std::string::npos) << key;
  }
  EXPECT_NE(r.out.find("2026-11-21 10:58 (+08:00)  notify_by"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("資通安全事件通報及應變辦法第 4 條第 1 項"), std::string::npos);
}

TEST(CliTest, InvalidReportPrintsEveryProblemAndFails) {
  std::string path = testing::TempDir() + "/bad-report.json";
  std::ofstream(path) << R"({"schema_version":"lifeline.report/1","aware_at":"2026-11-21T09:58:00",)"
                      << R"("impact":{"confidentiality":"none","integrity":"none","availability":"none"}})";
  CommandRun r = Exec(kCli + " report validate " + path);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  for (const char* path_text : {"/aware_at", "/id", "/reporter", "/impact", "/soc"}) {
    EXPECT_NE(r.out.find(path_text), std::string::npos) << path_text << "\n" << r.out;
  }
  EXPECT_NE(r.out.find("無需通報"), std::string::npos) << r.out;
}

TEST(CliTest, MissingFileIsAnEnvironmentError) {
  CommandRun r = Exec(kCli + " report validate /nonexistent.json");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("cannot read /nonexistent.json"), std::string::npos);
}

TEST(CliTest, RulesShowListsFiguresWithSources) {
  CommandRun r = Exec(kCli + " rules show");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("drill_scenarios_min = 10"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("seed 002 5.2.1"), std::string::npos);
}

TEST(CliTest, FaxRenderWritesTheTiffAndItsPreview) {
  std::string tiff = testing::TempDir() + "/form.tif";
  CommandRun r = Exec(kCli + " fax render " + kSrc + "/config/sample-report.json --out " + tiff);
  EXPECT_EQ(r.exit_code, 0) << r.out;
  std::ifstream t(tiff, std::ios::binary), p(testing::TempDir() + "/form.png", std::ios::binary);
  char magic[4] = {};
  t.read(magic, 4);
  EXPECT_EQ(std::string(magic, 4), std::string("II*\0", 4)) << "a little-endian TIFF";
  char png[4] = {};
  p.read(png, 4);
  EXPECT_EQ(std::string(png + 1, 3), "PNG");
}

TEST(CliTest, FaxTestWithoutAModemSaysSo) {
  CommandRun r = Exec(kCli + " fax test 0227331655");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("no fax modem: set fax.device"), std::string::npos) << r.out;
}

TEST(CliTest, SmsTestWithoutAModemSaysSo) {
  CommandRun r = Exec(kCli + " sms test +886912345678 test");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("no SMS modem: set sms.device"), std::string::npos) << r.out;
}

TEST(DaemonConfigTest, CheckConfigNamesTheBadKey) {
  std::string path = testing::TempDir() + "/bad.toml";
  std::ofstream(path) << "[daemon]\nlog_level = \"loud\"\n";
  CommandRun r = Exec(kDaemon + " --check-config " + path);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find(path + ":2: daemon.log_level"), std::string::npos) << r.out;
}

TEST(DaemonConfigTest, CheckConfigAcceptsTheShippedDefault) {
  CommandRun r = Exec(kDaemon + " --check-config " + kSrc + "/config/lifeline.toml");
  EXPECT_EQ(r.exit_code, 0) << r.out;
}

TEST(DaemonConfigTest, BadRuleFileIsReported) {
  std::string rules = testing::TempDir() + "/rules.toml";
  std::ofstream(rules) << "[ruleset]\nid = \"x\"\n";
  std::string conf = testing::TempDir() + "/with-rules.toml";
  std::ofstream(conf) << "[rules]\nfile = \"" << rules << "\"\n";
  CommandRun r = Exec(kDaemon + " --check-config " + conf);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find(rules + ":1: ruleset.title: missing"), std::string::npos) << r.out;
}

}  // namespace
