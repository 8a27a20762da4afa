// `lifeline drill scenarios|plan|reveal|check-seal|record|results` as the
// planning and inspection groups run them: the seal printed, the reveal
// checked, a tampered reveal refused, a unit's drill taken from the plan, and
// the record printed to files.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tests/integration/cli/cli_support.h"

namespace {

using namespace lifeline::cli_testing;
using nlohmann::json;

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(DrillCli, ScenarioLibraryChecks) {
  CommandResult r = Exec(kCli + " drill scenarios " + kSrc + "/config/drills");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("OK: levels 1-4 and the five categories covered"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("simulates fax_no_answer"), std::string::npos) << r.output;
}

TEST(DrillCli, PlanSealRevealAndCheck) {
  const std::string dir = testing::TempDir() + "/drill-cli";
  std::filesystem::create_directories(dir);
  const std::string plan = dir + "/plan.json";
  const std::string base = kCli + " drill plan --roster " + kSrc + "/config/roster.toml --scenarios " + kSrc +
                           "/config/drills --seed 7 --out ";
  CommandResult sealed = Exec(base + plan);
  ASSERT_EQ(sealed.exit_code, 0) << sealed.output;
  json file = json::parse(Slurp(plan));
  const std::string commitment = file["commitment"];
  EXPECT_NE(sealed.output.find("SEALED 已彌封: " + commitment), std::string::npos) << sealed.output;
  EXPECT_EQ(sealed.output.find(file["plan"]["assignments"][0]["unit"].get<std::string>()), std::string::npos)
      << "the seal printed before the drill names no unit";
  // The same seed draws the same plan (another nonce, so another commitment).
  ASSERT_EQ(Exec(base + dir + "/again.json").exit_code, 0);
  EXPECT_EQ(json::parse(Slurp(dir + "/again.json"))["plan"]["assignments"], file["plan"]["assignments"]);

  CommandResult reveal = Exec(kCli + " drill reveal " + plan);
  EXPECT_EQ(reveal.exit_code, 0) << reveal.output;
  EXPECT_NE(reveal.output.find("7 of 20 units drawn"), std::string::npos) << reveal.output;
  CommandResult check = Exec(kCli + " drill check-seal " + plan + " --commitment " + commitment + " --roster " + kSrc +
                             "/config/roster.toml --scenarios " + kSrc + "/config/drills");
  EXPECT_EQ(check.exit_code, 0) << check.output;
  EXPECT_NE(check.output.find("DRAW OK"), std::string::npos) << check.output;

  // A drill of the plan: the unit's scenario is the library file the plan was drawn from.
  const std::string unit = file["plan"]["assignments"][0]["unit_id"];
  CommandResult start = Exec(kCli + " --state-dir " + dir + "/no-daemon drill start --plan " + plan + " --unit " + unit +
                             " --scenarios " + kSrc + "/config/drills");
  EXPECT_NE(start.output.find("PLAN: unit " + unit + " drills scenario"), std::string::npos) << start.output;
  EXPECT_NE(start.output.find("cannot reach lifelined"), std::string::npos) << "it went on to start it" << start.output;
  CommandResult stranger = Exec(kCli + " drill start --plan " + plan + " --unit no-such-unit --scenarios " + kSrc +
                                "/config/drills");
  EXPECT_NE(stranger.exit_code, 0);
  EXPECT_NE(stranger.output.find("drew no unit 'no-such-unit'"), std::string::npos) << stranger.output;

  file["plan"]["assignments"][0]["unit"] = "高雄市梓官戶政事務所";
  std::ofstream(dir + "/tampered.json") << file.dump(2);
  CommandResult tampered = Exec(kCli + " drill check-seal " + dir + "/tampered.json --commitment " + commitment);
  EXPECT_EQ(tampered.exit_code, 1) << tampered.output;
  EXPECT_NE(tampered.output.find("changed after sealing"), std::string::npos) << tampered.output;
  std::filesystem::remove_all(dir);
}

TEST(DrillCli, RecordAndResultsPrintToFiles) {
  const std::string dir = testing::TempDir() + "/drill-record";
  std::filesystem::create_directories(dir);
  const std::string record = kSrc + "/tests/fixtures/drills/drill-record.json";
  CommandResult r = Exec(kCli + " drill record " + record + " --html " + dir + "/t.html --pdf " + dir + "/t.pdf --csv " +
                         dir + "/t.csv");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(Slurp(dir + "/t.pdf").rfind("%PDF-", 0), 0u);
  EXPECT_EQ(Slurp(dir + "/t.csv").rfind("\xEF\xBB\xBF", 0), 0u);
  EXPECT_NE(Slurp(dir + "/t.html").find("<html lang=\"zh-TW\">"), std::string::npos);
  CommandResult text = Exec("pdftotext -enc UTF-8 " + dir + "/t.pdf -");
  EXPECT_NE(text.output.find("演練時間紀錄表"), std::string::npos);
  CommandResult results = Exec(kCli + " drill results " + record + " --pdf " + dir + "/r.pdf");
  ASSERT_EQ(results.exit_code, 0) << results.output;
  EXPECT_NE(results.output.find("due 2026-10-15"), std::string::npos) << results.output;
  CommandResult none = Exec(kCli + " drill record " + record);
  EXPECT_EQ(none.exit_code, 1) << none.output;
  std::ofstream(dir + "/bad.json") << R"({"format":"lifeline.drill-record/1","drill":{}})";
  CommandResult bad = Exec(kCli + " drill record " + dir + "/bad.json --pdf " + dir + "/x.pdf");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.output.find("bad.json: /drill/name: missing"), std::string::npos) << bad.output;
  std::filesystem::remove_all(dir);
}

TEST(DrillCli, StartSaysWhatTheDeskApproximatesAndRefusesADrillWithoutASiteLoss) {
  // A library scenario with a site fault that begins after the drill's start:
  // the desk holds the report from the start (it is filed then) and says so.
  // No daemon runs: the command goes as far as asking lifelined.
  const std::string dir = testing::TempDir() + "/drill-cli-partial";
  std::filesystem::create_directories(dir);
  std::string text = Slurp(kSrc + "/config/drills/web-personal-data-l3.toml");
  const std::string base = "base = \"../sample-report.json\"";
  ASSERT_NE(text.find(base), std::string::npos);
  text.replace(text.find(base), base.size(), "base = \"" + kSrc + "/config/sample-report.json\"");
  std::string later = text;
  later.insert(later.find("[report]"), "[[simulate]]\nfault = \"site_slow\"\nstart_seconds = 6000\n"
                                       "duration_seconds = 600\ndelay_ms = 30000\n\n");
  std::ofstream(dir + "/later.toml") << later;
  CommandResult r = Exec(kCli + " --state-dir " + dir + "/no-daemon drill start --scenario " + dir + "/later.toml");
  EXPECT_NE(r.output.find("note: site_slow"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("held back from the drill's start"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("not simulated"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("cannot reach lifelined"), std::string::npos) << "it went on to start it: " << r.output;
  // Only the SMS channel failing: nothing keeps the report from the site, so no drill of a fallback.
  std::string no_site = text;
  const std::string site = "[[simulate]]\nfault = \"site_unreachable\"\nstart_seconds = 0\nduration_seconds = 5400\n\n";
  ASSERT_NE(no_site.find(site), std::string::npos);
  no_site.erase(no_site.find(site), site.size());
  std::ofstream(dir + "/no-site.toml") << no_site;
  CommandResult refused = Exec(kCli + " drill start --scenario " + dir + "/no-site.toml");
  EXPECT_NE(refused.exit_code, 0) << refused.output;
  EXPECT_NE(refused.output.find("loses no site"), std::string::npos) << refused.output;
  std::filesystem::remove_all(dir);
}

}  // namespace
