// Runs the real `lifeline` and `lifelined` binaries the way an operator would
// and checks what they print and their exit status.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/integration/cli/cli_support.h"

namespace {

using namespace lifeline::cli_testing;

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

TEST(CliTest, RulesShowPrintsAnyRuleSetGivenAfterTheSubcommand) {
  CommandResult r = Exec(kCli + " rules show --rules " + kSrc + "/config/rules/eu-nis2.toml");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("Rule set eu-nis2"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("final_report_by  levels 1,2,3,4: incident_notification_by + 1mo"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("Directive (EU) 2022/2555 Art. 23(4)(d)"), std::string::npos);
  EXPECT_NE(r.output.find("Final report, within one month"), std::string::npos) << "English titles too";
  CommandResult g = Exec(kCli + " rules show --rules " + kSrc + "/config/rules/eu-gdpr.toml");
  EXPECT_EQ(g.exit_code, 0) << g.output;
  EXPECT_NE(g.output.find("notify_by  levels 1,2,3,4: aware_at + 72h"), std::string::npos) << g.output;
  EXPECT_NE(g.output.find("Regulation (EU) 2016/679 Art. 33(1)"), std::string::npos);
}

TEST(CliTest, ReportDeadlinesUnderAnotherRegime) {
  CommandResult r = Exec(kCli + " report validate " + kSrc + "/config/sample-report.json --rules " + kSrc +
                         "/config/rules/eu-gdpr.toml");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("2026-11-24 09:58 (+08:00)  notify_by (aware_at + 72h)"), std::string::npos) << r.output;
}

TEST(CliTest, StageDocumentsAgainstTheirReportAndDeadline) {
  CommandResult dc = Exec(kCli + " report validate " + kSrc + "/config/sample-damage-control.json --stage damage-control --report " +
                          kSrc + "/config/sample-report.json");
  EXPECT_EQ(dc.exit_code, 0) << dc.output;
  EXPECT_NE(dc.output.find("VALID 合格"), std::string::npos) << dc.output;
  EXPECT_NE(dc.output.find("Deadline 期限 damage_control_by: 2026-11-22 21:58 (+08:00) — met 如期 (6 h 28 min before)"),
            std::string::npos) << dc.output;
  CommandResult cl = Exec(kCli + " report validate " + kSrc + "/config/sample-closing.json --stage closing --report " + kSrc +
                          "/config/sample-report.json");
  EXPECT_EQ(cl.exit_code, 0) << cl.output;
  EXPECT_NE(cl.output.find("report_by: 2026-12-22 21:58 (+08:00) — met"), std::string::npos) << cl.output;
  // A web-attack form against the intrusion report: the category is named.
  CommandResult wrong = Exec(kCli + " report validate " + kSrc +
                             "/tests/fixtures/stages/damage-control/valid/web_attack_full.json --stage damage-control --report " +
                             kSrc + "/config/sample-report.json");
  EXPECT_EQ(wrong.exit_code, 1) << wrong.output;
  EXPECT_NE(wrong.output.find("/category"), std::string::npos) << wrong.output;
  EXPECT_NE(wrong.output.find("非法入侵"), std::string::npos) << wrong.output;
  // Without --report only the schema is checked, and the output says so.
  CommandResult alone = Exec(kCli + " report validate " + kSrc + "/config/sample-closing.json --stage closing");
  EXPECT_EQ(alone.exit_code, 0) << alone.output;
  EXPECT_NE(alone.output.find("not checked against a report"), std::string::npos) << alone.output;
  EXPECT_EQ(Exec(kCli + " report validate " + kSrc + "/config/sample-report.json --report x.json").exit_code, 2);
  EXPECT_NE(Exec(kCli + " report validate x.json --stage stage-2").exit_code, 0);
}

TEST(CliTest, EvidenceKeyIsCreatedOnceInTheStateDir) {
  std::string dir = testing::TempDir() + "/evidence-state";
  std::filesystem::remove_all(dir);
  CommandResult first = Exec(kCli + " evidence key --state-dir " + dir);
  EXPECT_EQ(first.exit_code, 0) << first.output;
  EXPECT_NE(first.output.find("[created now"), std::string::npos) << first.output;
  EXPECT_NE(first.output.find("-----BEGIN PUBLIC KEY-----"), std::string::npos);
  EXPECT_EQ(std::filesystem::status(dir + "/evidence-key.pem").permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  CommandResult second = Exec(kCli + " evidence key --state-dir " + dir);
  EXPECT_NE(second.output.find("[existing"), std::string::npos) << second.output;
  auto fingerprint = [](const std::string& out) {
    auto at = out.find("fingerprint 指紋: ");
    return at == std::string::npos ? std::string() : out.substr(at + std::string("fingerprint 指紋: ").size(), 64);
  };
  EXPECT_EQ(fingerprint(first.output).size(), 64u);
  EXPECT_EQ(fingerprint(first.output), fingerprint(second.output));
}

TEST(CliTest, EvidenceVerifyAcceptsTheGoldenBundleAndRefusesAlteredOnes) {
  std::string fixtures = kSrc + "/tests/fixtures/evidence";
  CommandResult ok = Exec(kCli + " evidence verify " + fixtures + "/golden.tar --key " + fixtures + "/test-device-key.pub.pem");
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_NE(ok.output.find("VERIFIED 驗證通過"), std::string::npos) << ok.output;
  EXPECT_NE(ok.output.find("(the pinned key"), std::string::npos) << ok.output;
  EXPECT_NE(ok.output.find("7 file(s)"), std::string::npos) << ok.output;
  CommandResult unpinned = Exec(kCli + " evidence verify " + fixtures + "/golden.tar");
  EXPECT_EQ(unpinned.exit_code, 0) << unpinned.output;
  EXPECT_NE(unpinned.output.find("NOT PINNED"), std::string::npos) << unpinned.output;
  CommandResult bad = Exec(kCli + " evidence verify " + fixtures + "/corrupt/flipped_file_byte.tar");
  EXPECT_EQ(bad.exit_code, 1) << bad.output;
  EXPECT_NE(bad.output.find("files/report/r1.json"), std::string::npos) << bad.output;
  CommandResult other = Exec(kCli + " evidence verify " + fixtures + "/corrupt/altered_and_resigned_by_another_key.tar --key " +
                             fixtures + "/test-device-key.pub.pem");
  EXPECT_EQ(other.exit_code, 1) << other.output;
  EXPECT_NE(other.output.find("not the pinned key"), std::string::npos) << other.output;
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
