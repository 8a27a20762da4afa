// Scenario files: what loads, what each error names (file, line, key), and the
// library in config/drills/ covering levels 1-4 and the form's five categories.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "daemon/drill/scenario.h"
#include "daemon/report/report.h"

namespace lifeline::drill {
namespace {

using ::testing::HasSubstr;

std::string SampleReport() {
  std::ifstream in(LIFELINE_SOURCE_DIR "/config/sample-report.json");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Files by path, for the parser's reads.
struct Files {
  std::map<std::string, std::string> files = {{"lib/base.json", SampleReport()}};
  FileReader reader() const {
    return [this](const std::string& p) -> Result<std::string> {
      auto it = files.find(p);
      if (it == files.end()) return NotFound("no such file");
      return it->second;
    };
  }
};

constexpr const char* kValid = R"([drill]
id = "web-l1"
name = "網頁置換演練"
level = 1
duration_minutes = 90

[[simulate]]
fault = "site_5xx"
start_seconds = 0
duration_seconds = 1800
http_status = 502

[[simulate]]
fault = "fax_busy"
start_seconds = 600
duration_seconds = 600

[report]
base = "base.json"
[report.set]
category = "web_attack"
anomalies = ["defacement"]
impact = { confidentiality = "none", integrity = 1, availability = "none" }
support = { requested = false }
)";

Result<Scenario> Parse(const std::string& text, const Files& f = Files()) {
  return ParseScenario(text, "lib/x.toml", f.reader());
}

// kValid with the first occurrence of `from` replaced by `to`.
std::string Edit(const std::string& from, const std::string& to) {
  std::string s = kValid;
  auto at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return s.replace(at, from.size(), to);
}

TEST(Scenario, ParsesEveryPart) {
  auto s = Parse(kValid);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->id, "web-l1");
  EXPECT_EQ(s->level, 1);
  EXPECT_EQ(s->category, "web_attack");
  EXPECT_EQ(s->duration, std::chrono::minutes(90));
  EXPECT_EQ(s->resolved_by, "team");
  ASSERT_EQ(s->faults.size(), 2u);
  EXPECT_EQ(s->faults[0].kind, FaultKind::kSite5xx);
  EXPECT_EQ(s->faults[0].http_status, 502);
  EXPECT_EQ(s->faults[1].kind, FaultKind::kFaxBusy);
  EXPECT_EQ(s->faults[1].start, std::chrono::seconds(600));
  EXPECT_EQ(s->report["category"], "web_attack");
  EXPECT_FALSE(s->report["support"].contains("content")) << "a field set replaces the base's whole value";
  EXPECT_EQ(s->report["reporter"]["name"], "王小明") << "the rest comes from the base";
  EXPECT_EQ(s->sha256, Sha256Hex(kValid));
  EXPECT_EQ(SiteLossFromStart(*s), std::chrono::seconds(1800));
}

TEST(Scenario, DrillReportIsFreshAndValid) {
  auto s = Parse(kValid);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  auto r = DrillReport(*s, "0b7e3c1a-2f4d-4e5b-9c6d-7e8f9a0b1c2d", "2026-09-15T10:00:00+08:00");
  EXPECT_EQ(r["drill"], true);
  EXPECT_EQ(r["aware_at"], "2026-09-15T10:00:00+08:00");
  auto v = ValidateReportJson(r);
  EXPECT_TRUE(v.ok()) << v.Describe();
}

struct BadCase {
  std::string from, to, expect;
};

TEST(Scenario, EveryErrorNamesFileLineAndKey) {
  const std::vector<BadCase> cases = {
      {"level = 1", "level = 1\ncolour = \"red\"", "lib/x.toml:5: drill.colour: unknown key"},
      {"level = 1", "level = 5", "lib/x.toml:4: drill.level: must be 1-4"},
      {"level = 1", "level = 2", "lib/x.toml:4: drill.level: 2 is declared, but the report's impacts give level 1"},
      {"id = \"web-l1\"", "id = \"Web L1\"", "lib/x.toml:2: drill.id: must be lower-case"},
      {"id = \"web-l1\"", "id = \"\"", "lib/x.toml:2: drill.id: must be 1-64 bytes of text"},
      {"[drill]", "colour = \"red\"\n[drill]", "lib/x.toml:1: colour: unknown key"},
      {"fault = \"site_5xx\"", "fault = \"site_on_fire\"", "lib/x.toml:8: simulate[1].fault: 'site_on_fire' is not one of"},
      {"duration_seconds = 1800", "duration_seconds = 9000", "lib/x.toml:10: simulate[1].duration_seconds: the fault ends after the drill"},
      {"http_status = 502", "http_status = 404", "lib/x.toml:11: simulate[1].http_status: must be 500-599"},
      {"http_status = 502", "delay_ms = 5", "lib/x.toml:11: simulate[1].delay_ms: unknown key"},
      {"start_seconds = 600", "start_seconds = \"600\"", "lib/x.toml:15: simulate[2].start_seconds: must be an integer"},
      {"base = \"base.json\"", "base = \"missing.json\"", "lib/x.toml:19: report.base: cannot read lib/missing.json"},
      {"anomalies = [\"defacement\"]", "anomalies = [\"data_leak\"]", "lib/x.toml:22: report.set.anomalies: report /anomalies"},
      {"category = \"web_attack\"", "category = 7", "lib/x.toml:21: report.set.category: report /category:"},
      {"category = \"web_attack\"", "aware_at = 2026-09-15T10:00:00+08:00",
       "lib/x.toml:21: report.set.aware_at: dates and times must be written as RFC 3339 strings"},
      {"[report]", "[repor]", "lib/x.toml:20: report.base: missing"},
      {"name = \"網頁置換演練\"", "name = \"unterminated", "lib/x.toml:3:"},
  };
  for (const auto& c : cases) {
    auto s = Parse(Edit(c.from, c.to));
    ASSERT_FALSE(s.ok()) << c.to;
    EXPECT_THAT(s.status().message(), HasSubstr(c.expect)) << c.to;
  }
}

TEST(Scenario, OverlappingFaultsOfOneKindAreRefused) {
  std::string text = Edit("fault = \"fax_busy\"\nstart_seconds = 600",
                          "fault = \"site_5xx\"\nstart_seconds = 600");
  auto s = Parse(text);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.status().message(), HasSubstr("lib/x.toml:15: simulate[2].start_seconds: overlaps an earlier site_5xx"));
}

TEST(Scenario, TheFirstFormatStillLoads) {
  Files f;
  auto s = ParseScenario("[drill]\nname = \"network loss drill\"\nreport = \"base.json\"\noutage_seconds = 70\n",
                         "lib/old.toml", f.reader());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_TRUE(s->legacy);
  EXPECT_EQ(s->id, "old");
  EXPECT_EQ(s->level, 3) << "the report's own level";
  EXPECT_EQ(SiteLossFromStart(*s), std::chrono::seconds(70));
  auto bad = ParseScenario("[drill]\nname = \"x\"\nreport = \"base.json\"\noutage_seconds = 0\n", "lib/old.toml",
                           f.reader());
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("lib/old.toml:4: drill.outage_seconds: must be 1-86400"));
}

TEST(Scenario, SiteLossMergesSiteFaultsFromTheStart) {
  Scenario s;
  using std::chrono::seconds;
  s.faults = {{FaultKind::kMainsLost, seconds(0), seconds(900)},
              {FaultKind::kSiteAndMainsLost, seconds(900), seconds(600)},
              {FaultKind::kSiteUnreachable, seconds(0), seconds(900)},
              {FaultKind::kSiteSlow, seconds(2000), seconds(100)}};
  EXPECT_EQ(SiteLossFromStart(s), seconds(1500)) << "site faults from 0 joined; the later one is not from the start";
  s.faults = {{FaultKind::kSmsFailing, seconds(0), seconds(900)}};
  EXPECT_EQ(SiteLossFromStart(s), seconds(0));
}

// What the desk does with a scenario: the library's span is on the legal
// clock, so a 60-second "hour" divides it; the site's loss is stated as the
// scenario's kind of failure, a channel fault becomes a fault of that channel
// in its own window, and what the desk cannot do is named, never dropped.
TEST(Scenario, DeskPlanScalesTheSpanAndSimulatesEachFault) {
  auto s = Parse(kValid);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  auto plan = PlanForDesk(*s, 60);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->outage_seconds, 30) << "1800 s of site_5xx on a 60-second hour";
  ASSERT_EQ(plan->approximated.size(), 1u);
  EXPECT_THAT(plan->approximated[0], HasSubstr("site_5xx"));
  EXPECT_TRUE(plan->not_simulated.empty()) << plan->not_simulated[0];
  ASSERT_EQ(plan->faults.size(), 2u) << plan->faults.dump();
  EXPECT_EQ(plan->faults[0]["channel"], "site");
  EXPECT_EQ(plan->faults[0]["link_class"], "http_5xx");
  EXPECT_EQ(plan->faults[1]["channel"], "fax");
  EXPECT_EQ(plan->faults[1]["kind"], "fax_busy");
  EXPECT_EQ(plan->faults[1]["start_seconds"], 10) << "600 legal seconds from the start, on a 60-second hour";
  EXPECT_EQ(plan->faults[1]["duration_seconds"], 10);
  EXPECT_EQ(PlanForDesk(*s, 1)->outage_seconds, 1800);
  s->faults.push_back({FaultKind::kSiteSlow, std::chrono::seconds(4000), std::chrono::seconds(60)});
  auto later = PlanForDesk(*s, 60);
  ASSERT_TRUE(later.ok());
  EXPECT_TRUE(later->not_simulated.empty());
  EXPECT_EQ(later->outage_seconds, 68) << "held from the start to the later fault's end (4060 s / 60)";
  ASSERT_EQ(later->approximated.size(), 3u) << "the 5xx as a hold; the slowness as a hold, and from the start";
  EXPECT_THAT(later->approximated[1], HasSubstr("site_slow"));
  EXPECT_THAT(later->approximated[1], HasSubstr("held back from the drill's start"));
  s->faults = {{FaultKind::kSiteAndMainsLost, std::chrono::seconds(0), std::chrono::seconds(600), 0, 0, 20}};
  auto both = PlanForDesk(*s, 1);
  ASSERT_TRUE(both.ok());
  ASSERT_EQ(both->faults.size(), 2u) << both->faults.dump();
  EXPECT_EQ(both->faults[1]["channel"], "mains");
  EXPECT_EQ(both->faults[1]["battery_minutes"], 20);
  s->faults = {{FaultKind::kSmsFailing, std::chrono::seconds(0), std::chrono::seconds(60)}};
  EXPECT_EQ(PlanForDesk(*s, 1).status().code(), StatusCode::kFailedPrecondition) << "no site loss: nothing to run";
}

TEST(ScenarioLibrary, CheckNamesWhatIsMissing) {
  Scenario a;
  a.level = 2;
  a.category = "dos";
  auto st = CheckLibrary({a}, LibraryRequirements{10});
  ASSERT_FALSE(st.ok());
  for (const char* m : {"1 scenarios, at least 10 needed", "no level-1", "no level-3", "no level-4", "(web_attack)",
                        "(intrusion)", "(equipment)", "(other)"}) {
    EXPECT_THAT(st.message(), HasSubstr(m));
  }
  EXPECT_THAT(st.message(), ::testing::Not(HasSubstr("no level-2")));
}

// The library shipped in config/drills/: every file loads, and together they cover
// what seed 002 5.2.1(三)5 and the rule set ask.
TEST(ScenarioLibrary, ConfigDrillsCoversLevelsAndCategories) {
  auto lib = LoadScenarioLibrary(LIFELINE_SOURCE_DIR "/config/drills");
  ASSERT_TRUE(lib.ok()) << lib.status().ToString();
  auto rules = DefaultRuleSet();
  ASSERT_TRUE(rules.ok());
  auto req = LibraryRequirementsFrom(*rules);
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  EXPECT_EQ(req->min_scenarios, 10);
  Status st = CheckLibrary(*lib, *req);
  EXPECT_TRUE(st.ok()) << st.ToString();
  std::set<FaultKind> kinds;
  for (const auto& s : *lib) {
    for (const auto& f : s.faults) kinds.insert(f.kind);
    auto r = DrillReport(s, "0b7e3c1a-2f4d-4e5b-9c6d-7e8f9a0b1c2d", "2026-09-15T10:00:00+08:00");
    auto v = ValidateReportJson(r);
    EXPECT_TRUE(v.ok()) << s.origin << "\n" << v.Describe();
    EXPECT_EQ(v.report->Level(), s.level) << s.origin;
  }
  EXPECT_EQ(kinds.size(), 8u) << "every kind of simulated fault appears in the library";
}

TEST(ScenarioLibrary, NetworkLossStaysLoadable) {
  auto s = LoadScenarioFile(LIFELINE_SOURCE_DIR "/config/drills/network-loss.toml");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->id, "network-loss");
  EXPECT_GT(SiteLossFromStart(*s).count(), 0);
}

}  // namespace
}  // namespace lifeline::drill
