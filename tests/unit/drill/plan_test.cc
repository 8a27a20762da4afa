// The roster, the reproducible draw and the seal: same seed same plan, another
// seed another plan, at least a third of the units, only valid scenarios, and a
// reveal that was tampered with fails the check.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "daemon/drill/plan.h"
#include "daemon/drill/random_draw.h"
#include "tests/support/command.h"

namespace lifeline::drill {
namespace {

using ::testing::HasSubstr;
using nlohmann::json;

// Known answers computed independently (Python's hmac module): HMAC-SHA256(key
// "7", "lifeline.drill-draw/1" || 0u64 big-endian), first words big-endian.
TEST(DrawStream, MatchesAnIndependentHmac) {
  DrawStream s("7");
  for (uint32_t want : {0xb29c0a80u, 0x0520df62u, 0x89d7b02eu, 0xd7321efbu, 0x5c0f5327u, 0xf01a02ceu, 0x722de8bau,
                        0xde1743a2u, 0xe66a8cf6u, 0x99c92cabu}) {
    EXPECT_EQ(s.Next32(), want);
  }
  DrawStream u("7");
  std::vector<uint32_t> got;
  for (int i = 0; i < 12; ++i) got.push_back(u.Uniform(20));
  EXPECT_EQ(got, (std::vector<uint32_t>{12, 18, 14, 11, 19, 14, 2, 14, 2, 19, 3, 0}));
}

TEST(DrawStream, UniformStaysInRange) {
  DrawStream s("range");
  std::set<uint32_t> seen;
  for (int i = 0; i < 2000; ++i) {
    uint32_t v = s.Uniform(7);
    ASSERT_LT(v, 7u);
    seen.insert(v);
  }
  EXPECT_EQ(seen.size(), 7u);
  EXPECT_EQ(s.Uniform(1), 0u);
}

class PlanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = LoadRosterFile(LIFELINE_SOURCE_DIR "/config/roster.toml");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    roster_ = *r;
    auto lib = LoadScenarioLibrary(LIFELINE_SOURCE_DIR "/config/drills");
    ASSERT_TRUE(lib.ok()) << lib.status().ToString();
    lib_ = *lib;
    auto rules = DefaultRuleSet();
    ASSERT_TRUE(rules.ok());
    auto fr = UnitsFractionFrom(*rules);
    ASSERT_TRUE(fr.ok()) << fr.status().ToString();
    options_.fraction = *fr;
    options_.drawn_at = "2026-09-01T09:00:00+08:00";
  }

  json Draw(const std::string& seed) {
    options_.seed = seed;
    auto p = DrawPlan(roster_, lib_, options_);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    return p.ok() ? *p : json();
  }

  Roster roster_;
  std::vector<Scenario> lib_;
  PlanOptions options_;
};

TEST_F(PlanTest, RosterIsTheSeedsBureauAndTwentyUnits) {
  EXPECT_EQ(roster_.units.size(), 21u);
  ASSERT_EQ(roster_.Drawable().size(), 20u);
  EXPECT_TRUE(roster_.units[0].bureau);
  EXPECT_EQ(roster_.units[0].name, "高雄市政府民政局");
  int c = 0, d = 0;
  for (const auto& u : roster_.Drawable()) (u.level == "C" ? c : d) += 1;
  EXPECT_EQ(c, 2) << "殯葬管理處 and 兵役處";
  EXPECT_EQ(d, 18) << "the household registration offices";
  EXPECT_EQ(roster_.Drawable().back().name, "高雄市梓官戶政事務所");
}

TEST_F(PlanTest, SameSeedSamePlanOtherSeedOtherPlan) {
  json a = Draw("7"), b = Draw("7"), c = Draw("8");
  EXPECT_EQ(CanonicalBytes(a), CanonicalBytes(b));
  EXPECT_NE(a["assignments"], c["assignments"]);
  // Load order does not matter: the library is taken in id order.
  std::reverse(lib_.begin(), lib_.end());
  EXPECT_EQ(CanonicalBytes(Draw("7")), CanonicalBytes(a));
}

TEST_F(PlanTest, AtLeastAThirdRoundedUpEachWithAValidScenario) {
  EXPECT_EQ(UnitsToDraw(20, options_.fraction), 7);
  EXPECT_EQ(UnitsToDraw(21, options_.fraction), 7);
  EXPECT_EQ(UnitsToDraw(22, options_.fraction), 8);
  std::set<std::string> ids;
  for (const auto& s : lib_) ids.insert(s.id);
  for (const char* seed : {"1", "2", "3", "7", "2026"}) {
    json p = Draw(seed);
    ASSERT_EQ(p["units_drawn"], 7);
    ASSERT_EQ(p["assignments"].size(), 7u);
    std::set<std::string> units, scenarios;
    for (const auto& a : p["assignments"]) {
      units.insert(a["unit"].get<std::string>());
      scenarios.insert(a["scenario"].get<std::string>());
      EXPECT_TRUE(ids.count(a["scenario"].get<std::string>())) << a.dump();
      EXPECT_NE(a["unit"], "高雄市政府民政局") << "the bureau is never drawn";
    }
    EXPECT_EQ(units.size(), 7u);
    EXPECT_EQ(scenarios.size(), 7u) << "no scenario repeats before the library is used up";
  }
  options_.min_units = 20;
  json all = Draw("7");
  EXPECT_EQ(all["assignments"].size(), 20u);
  options_.min_units = 21;
  options_.seed = "7";
  EXPECT_FALSE(DrawPlan(roster_, lib_, options_).ok());
}

TEST_F(PlanTest, EveryUnitCanBeDrawn) {
  std::set<std::string> ever;
  for (int seed = 0; seed < 60; ++seed) {
    const json plan = Draw(std::to_string(seed));
    for (const auto& a : plan["assignments"]) ever.insert(a["unit_id"].get<std::string>());
  }
  EXPECT_EQ(ever.size(), 20u);
}

TEST_F(PlanTest, SealChecksAndTamperingFails) {
  json plan = Draw("7");
  auto sealed = SealPlan(plan);
  ASSERT_TRUE(sealed.ok()) << sealed.status().ToString();
  const std::string commitment = (*sealed)["commitment"];
  EXPECT_EQ(commitment.size(), 64u);
  EXPECT_TRUE(CheckSeal(*sealed, commitment).ok());
  EXPECT_TRUE(CheckDraw((*sealed)["plan"], roster_, lib_).ok());
  // Round trip through text, as an auditor gets it.
  json reread = json::parse((*sealed).dump(2));
  EXPECT_TRUE(CheckSeal(reread, commitment).ok());

  json swapped = *sealed;
  std::swap(swapped["plan"]["assignments"][0]["scenario"], swapped["plan"]["assignments"][1]["scenario"]);
  Status s1 = CheckSeal(swapped, commitment);
  EXPECT_EQ(s1.code(), StatusCode::kCorruption);
  EXPECT_THAT(s1.message(), HasSubstr("changed after sealing"));

  json renonced = *sealed;
  std::string n = renonced["nonce"];
  n[0] = n[0] == '0' ? '1' : '0';
  renonced["nonce"] = n;
  EXPECT_FALSE(CheckSeal(renonced, commitment).ok());

  // A consistent file that is not the one sealed before the drill.
  auto other = SealPlan(Draw("8"));
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(CheckSeal(*other, "").ok());
  EXPECT_THAT(CheckSeal(*other, commitment).message(), HasSubstr("not the one sealed before the drill"));

  // A plan edited and re-sealed is caught by redrawing its seed.
  json forged = plan;
  std::swap(forged["assignments"][0]["scenario"], forged["assignments"][1]["scenario"]);
  EXPECT_THAT(CheckDraw(forged, roster_, lib_).message(), HasSubstr("not the draw of its seed"));
}

// Members of the wrong type are refused, not thrown over (found by
// drill_plan_fuzz; its input is in the corpus).
TEST_F(PlanTest, MembersOfTheWrongTypeAreRefused) {
  EXPECT_EQ(CheckSeal(json::parse(R"({"format":{"a":1.5}})"), "").code(), StatusCode::kInvalidArgument);
  auto sealed = SealPlan(Draw("7"));
  ASSERT_TRUE(sealed.ok());
  json bad_commitment = *sealed;
  bad_commitment["commitment"] = json::array({1, 2});
  EXPECT_EQ(CheckSeal(bad_commitment, "").code(), StatusCode::kCorruption);
  json plan = (*sealed)["plan"];
  json bad_roster = plan;
  bad_roster["roster"] = "r";
  EXPECT_EQ(CheckDraw(bad_roster, roster_, lib_).code(), StatusCode::kFailedPrecondition);
  bad_roster["roster"] = {{"sha256", 7}};
  EXPECT_EQ(CheckDraw(bad_roster, roster_, lib_).code(), StatusCode::kFailedPrecondition);
  json no_library = plan;
  no_library.erase("library");
  EXPECT_EQ(CheckDraw(no_library, roster_, lib_).code(), StatusCode::kFailedPrecondition);
}

TEST_F(PlanTest, SealRevealsNoAssignment) {
  auto sealed = SealPlan(Draw("7"));
  ASSERT_TRUE(sealed.ok());
  json seal = SealOf(*sealed);
  EXPECT_EQ(seal["commitment"], (*sealed)["commitment"]);
  EXPECT_EQ(seal["units_drawn"], 7);
  const std::string text = seal.dump();
  for (const auto& a : (*sealed)["plan"]["assignments"]) {
    EXPECT_EQ(text.find(a["unit"].get<std::string>()), std::string::npos);
    EXPECT_EQ(text.find(a["scenario"].get<std::string>()), std::string::npos);
  }
}

// A sealed plan as `lifeline drill plan` wrote it (golden bytes): it checks,
// and an auditor's own tool reproduces its commitment from proto/drills.md's
// recipe (here Python's json and hashlib, nothing of lifeline's).
TEST(SealedPlanFile, ChecksAndAnIndependentRecipeAgrees) {
  const std::string path = LIFELINE_SOURCE_DIR "/tests/fixtures/drills/sealed-plan-seed7.json";
  std::ifstream in(path);
  json sealed = json::parse(in);
  const std::string commitment = sealed["commitment"];
  EXPECT_TRUE(CheckSeal(sealed, commitment).ok());
  auto c = Commitment(sealed["plan"], sealed["nonce"]);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(*c, commitment);
  auto py = testing_support::RunCommand(
      "python3 -c \"import json,hashlib,sys; d=json.load(open(sys.argv[1],encoding='utf-8')); "
      "c=json.dumps(d['plan'],ensure_ascii=False,separators=(',',':'),sort_keys=True).encode(); "
      "print(hashlib.sha256(bytes.fromhex(d['nonce'])+c).hexdigest())\" " + path);
  ASSERT_EQ(py.exit_code, 0) << py.output;
  EXPECT_EQ(py.output, commitment + "\n");
}

TEST(Roster, ErrorsNameFileLineAndKey) {
  const std::string head = "[roster]\nname = \"x\"\nsource = \"s\"\nrecorded = \"2026-12-01\"\n";
  struct Case {
    std::string body, expect;
  };
  for (const auto& c : std::vector<Case>{
           {"[[unit]]\nid = \"a\"\nname = \"甲\"\nlevel = \"F\"\n", "r.toml:8: unit[1].level: must be A, B, C, D or E"},
           {"[[unit]]\nid = \"a\"\nname = \"甲\"\nlevel = \"C\"\n[[unit]]\nid = \"a\"\nname = \"乙\"\nlevel = \"D\"\n",
            "r.toml:10: unit[2].id: 'a' is listed twice"},
           {"[[unit]]\nid = \"a\"\nname = \"甲\"\nlevel = \"C\"\nphone = \"1\"\n", "r.toml:9: unit[1].phone: unknown key"},
           {"[[unit]]\nid = \"a\"\nname = \"甲\"\nlevel = \"C\"\nrole = \"bureau\"\n", "unit: no unit to draw"},
       }) {
    auto r = ParseRoster(head + c.body, "r.toml");
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_THAT(r.status().message(), HasSubstr(c.expect));
  }
  auto bad_date = ParseRoster("[roster]\nname = \"x\"\nsource = \"s\"\nrecorded = \"1 Dec\"\n", "r.toml");
  EXPECT_THAT(bad_date.status().message(), HasSubstr("r.toml:4: roster.recorded: must be a date"));
}

}  // namespace
}  // namespace lifeline::drill
