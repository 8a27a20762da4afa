// Stages 2 and 3 of the form, and the one schema walk behind all three stages.
// Every fixture (made from the form's pages) must get the same verdict from the
// C++ validator and from python3-jsonschema, checked against the report it
// follows; invalid ones must be reported at the paths their expectation names.
// The schemas themselves are linted: only keywords the walk implements, a
// label for every box and option, a length bound on every patterned field.
#include <gtest/gtest.h>

#include <functional>
#include <set>

#include "daemon/report/report.h"
#include "daemon/report/schema_access.h"
#include "tests/support/command.h"
#include "tests/unit/report/fixture_files.h"

namespace lifeline {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing_support::FixtureNames;
using testing_support::ReadFixture;

const fs::path kStages = fs::path(LIFELINE_SOURCE_DIR) / "tests/fixtures/stages";
const char* const kCategories[] = {"web_attack", "intrusion", "dos", "equipment", "other"};

struct StageCase {
  Stage stage;
  const char* folder;  // under tests/fixtures/stages
  const char* schema;  // under proto/
};

void PrintTo(const StageCase& c, std::ostream* os) { *os << c.folder; }

class StageFixturesTest : public ::testing::TestWithParam<StageCase> {
 protected:
  fs::path Root() const { return kStages / GetParam().folder; }
  json Expectations() const { return json::parse(ReadFixture(Root() / "expectations.json")); }

  static ReportRef RefFrom(const json& e) {
    ReportRef ref;
    ref.category = e.at("category").get<std::string>();
    if (e.contains("id")) ref.id = e["id"].get<std::string>();
    if (e.contains("latest_revision")) ref.latest_revision = e["latest_revision"].get<int>();
    return ref;
  }
  StageOutcome Validate(const std::string& name, const json& expectations) const {
    return ValidateStage(GetParam().stage, ReadFixture(Root() / name),
                         RefFrom(expectations.at(name).at("report")));
  }
};

TEST_P(StageFixturesTest, ValidFullAndMinimalFormForEveryCategory) {
  auto names = FixtureNames(Root());
  std::set<std::string> have(names.begin(), names.end());
  for (const char* c : kCategories) {
    EXPECT_TRUE(have.count(std::string("valid/") + c + "_full.json")) << c;
    EXPECT_TRUE(have.count(std::string("valid/") + c + "_minimal.json")) << c;
  }
  EXPECT_GE(names.size(), 50u);
}

TEST_P(StageFixturesTest, CppVerdictMatchesFolderAndExpectedPaths) {
  json expectations = Expectations();
  for (const auto& name : FixtureNames(Root())) {
    ASSERT_TRUE(expectations.contains(name)) << "no expectation for " << name;
    StageOutcome outcome = Validate(name, expectations);
    bool should_be_valid = name.rfind("valid/", 0) == 0;
    EXPECT_EQ(outcome.ok(), should_be_valid) << name << "\n" << outcome.Describe();
    EXPECT_EQ(outcome.record.has_value(), should_be_valid) << name;
    for (const auto& path : expectations[name].value("paths", json::array())) {
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

TEST_P(StageFixturesTest, PythonJsonschemaAgreesOnEveryFixture) {
  std::string cmd = "/usr/bin/python3 " LIFELINE_SOURCE_DIR "/tests/unit/report/jsonschema_verdicts.py " +
                    std::string(LIFELINE_SOURCE_DIR "/proto/") + GetParam().schema + " " + Root().string() +
                    " " + (Root() / "expectations.json").string();
  std::string out = testing_support::RunCommand(cmd).output;
  auto verdicts = json::parse(out, nullptr, false);
  ASSERT_TRUE(verdicts.is_object()) << "python3-jsonschema did not run: " << out;
  json expectations = Expectations();
  auto names = FixtureNames(Root());
  ASSERT_EQ(verdicts.size(), names.size());
  for (const auto& name : names) {
    StageOutcome outcome = Validate(name, expectations);
    EXPECT_EQ(verdicts.value(name, !outcome.ok()), outcome.ok())
        << name << ": C++ says " << (outcome.ok() ? "valid" : "invalid") << "\n" << outcome.Describe();
  }
}

INSTANTIATE_TEST_SUITE_P(Stages, StageFixturesTest,
                         ::testing::Values(StageCase{Stage::kDamageControl, "damage-control", "damage-control.schema.json"},
                                           StageCase{Stage::kClosing, "closing", "closing.schema.json"}),
                         [](const auto& info) { return info.param.stage == Stage::kDamageControl ? "DamageControl" : "Closing"; });

json Fixture(const char* stage, const char* name) {
  return json::parse(ReadFixture(kStages / stage / "valid" / name));
}

const ReportRef kIntrusion{"intrusion", "7c1e2f40-5b7a-4d3e-9a51-2f0c8e6d4b10", 2};

TEST(StageTest, DamageControlRecordCarriesCompletion) {
  auto outcome = ValidateDamageControl(Fixture("damage-control", "intrusion_full.json").dump(), kIntrusion);
  ASSERT_TRUE(outcome.ok()) << outcome.Describe();
  const StageRecord& r = *outcome.record;
  EXPECT_EQ(r.stage, Stage::kDamageControl);
  EXPECT_EQ(r.report_id, "7c1e2f40-5b7a-4d3e-9a51-2f0c8e6d4b10");
  EXPECT_EQ(r.report_revision, 1);
  EXPECT_EQ(r.status, "recovered");
  EXPECT_EQ(FormatRfc3339(r.at), "2026-11-22T15:30:00+08:00");
  EXPECT_EQ(r.document["containment"]["disable_accounts"]["none"], true);
}

TEST(StageTest, ClosingRecordCarriesSubmissionTime) {
  auto outcome = ValidateClosing(Fixture("closing", "intrusion_full.json").dump(), kIntrusion);
  ASSERT_TRUE(outcome.ok()) << outcome.Describe();
  EXPECT_EQ(outcome.record->stage, Stage::kClosing);
  EXPECT_EQ(outcome.record->status, "");
  EXPECT_EQ(FormatRfc3339(outcome.record->at), "2026-12-18T16:00:00+08:00");
}

TEST(StageTest, WrongCategoryNamesTheReportsCategory) {
  auto doc = Fixture("damage-control", "web_attack_full.json");
  auto outcome = ValidateStageJson(Stage::kDamageControl, doc, kIntrusion);
  ASSERT_EQ(outcome.problems.size(), 1u) << outcome.Describe();
  EXPECT_EQ(outcome.problems[0].path, "/category");
  EXPECT_NE(outcome.problems[0].zh.find("非法入侵"), std::string::npos) << outcome.problems[0].zh;
  EXPECT_NE(outcome.problems[0].en.find("intrusion"), std::string::npos);
}

TEST(StageTest, ReportsEveryProblemNotJustTheFirst) {
  auto doc = Fixture("damage-control", "intrusion_full.json");
  doc["containment"].erase("block_ips");
  doc["records"]["website_logs"] = {{"period", "1_month"}};
  doc["records"]["firewall_logs"] = {{"period", "other"}};
  doc["completion"]["completed_at"] = "tomorrow";
  doc.erase("summary");
  auto outcome = ValidateStageJson(Stage::kDamageControl, doc, kIntrusion);
  std::set<std::string> paths;
  for (const auto& p : outcome.problems) paths.insert(p.path);
  EXPECT_EQ(paths, (std::set<std::string>{"/containment/block_ips", "/records/website_logs",
                                          "/records/firewall_logs/other", "/completion/completed_at",
                                          "/summary"}))
      << outcome.Describe();
}

TEST(StageTest, RequiredBoxSaysNoneIsAllowed) {
  auto doc = Fixture("damage-control", "intrusion_full.json");
  doc["containment"]["block_ips"] = json::object();
  auto outcome = ValidateStageJson(Stage::kDamageControl, doc, kIntrusion);
  ASSERT_EQ(outcome.problems.size(), 1u) << outcome.Describe();
  EXPECT_NE(outcome.problems[0].zh.find("「無」"), std::string::npos) << outcome.problems[0].zh;
}

TEST(StageTest, DosClosingHasNoCause) {
  auto doc = Fixture("closing", "dos_full.json");
  doc["cause"] = {{"type", "weak_password"}};
  auto outcome = ValidateStageJson(Stage::kClosing, doc, {"dos", std::nullopt, std::nullopt});
  ASSERT_EQ(outcome.problems.size(), 1u) << outcome.Describe();
  EXPECT_EQ(outcome.problems[0].path, "/cause");
  EXPECT_NE(outcome.problems[0].zh.find("阻斷服務"), std::string::npos);
}

TEST(StageTest, IdAndRevisionAreCheckedOnlyWhenKnown) {
  auto doc = Fixture("damage-control", "intrusion_minimal.json");
  doc["report_id"] = "00000000-0000-4000-8000-000000000000";
  doc["report_revision"] = 7;
  EXPECT_TRUE(ValidateStageJson(Stage::kDamageControl, doc, {"intrusion", std::nullopt, std::nullopt}).ok());
  auto outcome = ValidateStageJson(Stage::kDamageControl, doc, kIntrusion);
  std::set<std::string> paths;
  for (const auto& p : outcome.problems) paths.insert(p.path);
  EXPECT_EQ(paths, (std::set<std::string>{"/report_id", "/report_revision"})) << outcome.Describe();
}

TEST(StageTest, GarbageNeverThrows) {
  const char* inputs[] = {"", "null", "[]", "{\"records\":[]}", "\xff\xfe", "{\"report_revision\":1e400}",
                          "{\"containment\":{\"block_ips\":{\"none\":[]}}}", "{\"category\":{}}", "\"x\"",
                          "{\"completion\":{\"completed_at\":5}}", "{\"remedial\":{\"system\":7}}"};
  for (const char* in : inputs) {
    EXPECT_FALSE(ValidateDamageControl(in, kIntrusion).ok()) << in;
    EXPECT_FALSE(ValidateClosing(in, kIntrusion).ok()) << in;
  }
}

TEST(StageTest, DeeplyNestedInputIsRefusedWithoutCrashing) {
  std::string deep = "{\"category\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
  for (const auto& outcome : {ValidateDamageControl(deep, kIntrusion), ValidateClosing(deep, kIntrusion)}) {
    ASSERT_EQ(outcome.problems.size(), 1u);
    EXPECT_EQ(outcome.problems[0].path, "");
    EXPECT_NE(outcome.problems[0].en.find("nested deeper"), std::string::npos);
  }
  EXPECT_FALSE(ValidateReport(deep).ok());
  // Depth inside a string does not count.
  EXPECT_FALSE(ValidateReport("{\"description\":\"" + std::string(1000, '[') + "\"}").problems.empty());
}

TEST(StageTest, MessagesStayValidUtf8WhenValuesAreCut) {
  auto doc = Fixture("damage-control", "intrusion_full.json");
  doc["records"]["host_event_logs"]["period"] = std::string(60, 'x') + "個月";
  doc["containment"]["isolate_host"] = std::string(39, 'a') + "中文中文";
  auto outcome = ValidateStageJson(Stage::kDamageControl, doc, kIntrusion);
  ASSERT_EQ(outcome.problems.size(), 2u) << outcome.Describe();
  EXPECT_NO_THROW(outcome.ToJson().dump());  // dump() throws on invalid UTF-8
}

TEST(StageTest, LabelsFollowEachCategorysPage) {
  EXPECT_EQ(StageLabelZh(Stage::kDamageControl, "records/web_attack", "host_event_logs"), "已保存遭入侵主機事件紀錄檔");
  EXPECT_EQ(StageLabelZh(Stage::kDamageControl, "records/intrusion", "host_event_logs"), "已保存遭受害主機事件紀錄檔");
  EXPECT_EQ(StageLabelZh(Stage::kDamageControl, "records/other", "host_event_logs"), "已保存遭入侵主機事件檢視器");
  EXPECT_EQ(StageLabelZh(Stage::kDamageControl, "categories", "equipment"), "設備異常");
  EXPECT_EQ(StageLabelZh(Stage::kDamageControl, "retention", "6_months_or_more"), "6個月以上");
  EXPECT_EQ(StageLabelEn(Stage::kClosing, "causes", "social_engineering"), "Social engineering");
  EXPECT_EQ(StageLabelZh(Stage::kClosing, "remedial_system/dos", "dns_no_external_recursion"), "DNS 主機停用外部遞迴查詢");
  EXPECT_EQ(StageLabelZh(Stage::kClosing, "causes", "nonexistent"), "nonexistent");
  EXPECT_EQ(StageFromName(StageName(Stage::kClosing)), Stage::kClosing);
  EXPECT_FALSE(StageFromName("stage-2").has_value());
}

// ---- the schemas themselves ----

struct SchemaCase {
  const char* name;
  std::function<const report_internal::CompiledSchema&()> get;
};

const SchemaCase kSchemas[] = {{"report", report_internal::ReportSchema},
                               {"damage-control", report_internal::DamageControlSchema},
                               {"closing", report_internal::ClosingSchema}};

// Calls f(node, pointer) for every schema node (labels excluded).
void ForEachNode(const json& node, const std::string& ptr, const std::function<void(const json&, const std::string&)>& f) {
  if (!node.is_object()) return;
  f(node, ptr);
  for (const auto& [k, v] : node.items()) {
    if (k == "properties" || k == "$defs") {
      for (const auto& [name, sub] : v.items()) {
        if (name != "labels") ForEachNode(sub, ptr + "/" + k + "/" + name, f);
      }
    } else if (k == "allOf" || k == "anyOf" || k == "oneOf") {
      for (size_t i = 0; i < v.size(); ++i) ForEachNode(v[i], ptr + "/" + k + "/" + std::to_string(i), f);
    } else if (k == "items" || k == "if" || k == "then" || k == "else" || k == "not" || k == "contains" ||
               k == "additionalProperties") {
      ForEachNode(v, ptr + "/" + k, f);
    }
  }
}

TEST(SchemaLintTest, OnlyKeywordsTheWalkImplements) {
  for (const auto& s : kSchemas) EXPECT_EQ(s.get().defects(), std::vector<std::string>{}) << s.name;
}

TEST(SchemaLintTest, EveryPatternedFieldHasABoundedLength) {
  for (const auto& s : kSchemas) {
    ForEachNode(s.get().root(), "", [&](const json& node, const std::string& ptr) {
      if (!node.contains("pattern")) return;
      ASSERT_TRUE(node.contains("maxLength")) << s.name << ptr;
      EXPECT_LE(node["maxLength"].get<int>(), 1000) << s.name << ptr;
    });
  }
}

TEST(SchemaLintTest, EveryOptionAndEveryBoxHasBothLabels) {
  for (const auto& s : kSchemas) {
    int checked = 0;
    ForEachNode(s.get().root(), "", [&](const json& node, const std::string& ptr) {
      bool options = node.contains("enum"), boxes = node.contains("x-labels") && node.contains("properties");
      if (!options && !boxes) return;
      ASSERT_TRUE(node.contains("x-labels")) << s.name << ptr << " has options without labels";
      const json* group = s.get().Labels(node["x-labels"].get<std::string>());
      ASSERT_NE(group, nullptr) << s.name << ptr;
      std::vector<std::string> values;
      if (options) {
        for (const auto& v : node["enum"]) values.push_back(v.get<std::string>());
      } else {
        for (const auto& [k, _] : node["properties"].items()) values.push_back(k);
      }
      for (const auto& v : values) {
        ASSERT_TRUE(group->contains(v)) << s.name << ptr << ": no label for " << v;
        EXPECT_TRUE((*group)[v].contains("zh") && (*group)[v].contains("en")) << s.name << ptr << " " << v;
        ++checked;
      }
    });
    EXPECT_GT(checked, 20) << s.name;
  }
}

TEST(SchemaLintTest, EveryCategoryHasItsPagesInStagesTwoAndThree) {
  for (const char* c : kCategories) {
    const json& dc = report_internal::DamageControlSchema().root()["$defs"];
    const json& cl = report_internal::ClosingSchema().root()["$defs"];
    for (const char* section : {"records_", "analysis_", "containment_"}) {
      EXPECT_TRUE(dc.contains(section + std::string(c))) << section << c;
    }
    EXPECT_TRUE(cl.contains("system_" + std::string(c))) << c;
    EXPECT_TRUE(cl.contains("management_" + std::string(c))) << c;
  }
}

}  // namespace
}  // namespace lifeline
