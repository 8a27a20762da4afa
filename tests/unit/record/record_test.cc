// The report's record over a real SQLite store: what may be added in what
// order (stages, the CISO's approval, the three signatures), the deadlines the
// stages meet, the printed record read back with pdftotext, and the evidence
// export, which verifies and fails once any byte of it changes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "daemon/evidence/evidence.h"
#include "daemon/export/export.h"
#include "daemon/record/record.h"
#include "tests/support/command.h"
#include "tests/support/report_factory.h"

namespace lifeline {
namespace {

using ::testing::HasSubstr;
using nlohmann::json;
using testing_support::SampleDocument;
using testing_support::ToReport;
namespace fs = std::filesystem;

std::string ReadText(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

json StageFixture(const std::string& stage, const std::string& name) {
  return json::parse(ReadText(fs::path(LIFELINE_SOURCE_DIR) / "tests/fixtures/stages" / stage / "valid" / name));
}

class RecordTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("record-" + NewUuidV4().value());
    fs::create_directories(dir_);
    StoreOptions options{(dir_ / "lifeline.db").string(), (dir_ / "journal.key").string(), "", kStoreSchemaVersion,
                         ""};
    auto s = Store::Open(options, clock_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
    auto rules = DefaultRuleSet();
    ASSERT_TRUE(rules.ok()) << rules.status().ToString();
    rules_ = std::move(*rules);
    // The sample report (an intrusion, level 3) is the report the stage fixtures follow.
    report_ = ToReport(SampleDocument());
    auto schedule = record::ScheduleWithMet(rules_, report_, {});
    ASSERT_TRUE(schedule.ok());
    ASSERT_TRUE(store_->Submit(report_, rules_.id, *schedule).ok());
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }
  record::RecordView View() {
    auto v = record::LoadRecord(*store_, report_.id);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() ? std::move(*v) : record::RecordView{};
  }
  StageRecord Stage2(const std::string& name = "intrusion_full.json") {
    StageOutcome o = ValidateStageJson(Stage::kDamageControl, StageFixture("damage-control", name), RefOf(report_));
    EXPECT_TRUE(o.ok()) << o.Describe();
    return *o.record;
  }
  StageRecord Stage3() {
    StageOutcome o = ValidateStageJson(Stage::kClosing, StageFixture("closing", "intrusion_full.json"), RefOf(report_));
    EXPECT_TRUE(o.ok()) << o.Describe();
    return *o.record;
  }
  // What intake does with an allowed stage: deadlines recomputed with it, stored.
  void AddStage(const StageRecord& s) {
    record::RecordView v = View();
    MetSteps met = record::MetStepsOf(v);
    met.insert_or_assign(s.stage == Stage::kDamageControl ? "damage_control_by" : "report_by", s.at);
    auto schedule = record::ScheduleWithMet(rules_, report_, met);
    ASSERT_TRUE(schedule.ok());
    auto added = store_->AddStage(s, *schedule);
    ASSERT_TRUE(added.ok()) << added.status().ToString();
  }
  void Accept() {
    ASSERT_TRUE(store_->SetSiteReceipt(report_.id, 1, "SIM-TEST-1").ok());
    ASSERT_TRUE(store_->TransitionReport(report_.id, 1, ReportState::kAccepted, {{"receipt", "SIM-TEST-1"}}).ok());
  }
  void Close() {
    AddStage(Stage3());
    ASSERT_TRUE(store_->TransitionReport(report_.id, 1, ReportState::kClosed, {{"stage", "closing"}}).ok());
  }
  void Sign(const std::string& kind, const std::string& user, Role role) {
    record::RecordView v = View();
    SignoffRow row;
    row.report_id = report_.id;
    row.kind = kind;
    row.revision = v.latest().revision;
    row.level = v.latest().level;
    row.user = user;
    row.role = std::string(RoleName(role));
    row.via = "socket";
    row.record_sha256 = record::RecordDigest(v);
    ASSERT_TRUE(store_->AddSignoff(row).ok());
  }
  // A record taken through damage control and closing, approved and signed by three people.
  void Complete() {
    Accept();
    AddStage(Stage2());
    Close();
    Sign("approval", "ciso.chen", Role::kCiso);
    Sign("reporter", "op.wang", Role::kOperator);
    Sign("supervisor", "sup.lin", Role::kSupervisor);
    Sign("ciso", "ciso.chen", Role::kCiso);
  }

  fs::path dir_;
  SimulatedClock clock_{ParseRfc3339("2026-11-21T10:05:00+08:00")->instant};
  std::unique_ptr<Store> store_;
  RuleSet rules_;
  Report report_;
};

std::string CodeOf(const record::Decision& d) { return d ? d->code + " " + d->problems.at(0).path : "allowed"; }

TEST_F(RecordTest, ClosingNeedsDamageControlAndTheSitesAcceptance) {
  EXPECT_EQ(record::Phase(View()), "reported");
  EXPECT_EQ(CodeOf(record::CheckStage(View(), Stage3())), "out_of_order /schema_version");
  EXPECT_EQ(CodeOf(record::CheckStage(View(), Stage2())), "allowed");
  AddStage(Stage2());
  EXPECT_EQ(record::Phase(View()), "damage_controlled");
  record::Decision not_accepted = record::CheckStage(View(), Stage3());
  ASSERT_TRUE(not_accepted);
  EXPECT_EQ(not_accepted->code, "out_of_order");
  EXPECT_EQ(not_accepted->problems.at(0).path, "/report_id");
  EXPECT_THAT(not_accepted->problems.at(0).zh, HasSubstr("補行通報"));
  Accept();
  EXPECT_EQ(CodeOf(record::CheckStage(View(), Stage3())), "allowed");
  Close();
  EXPECT_EQ(record::Phase(View()), "closed");
  EXPECT_EQ(CodeOf(record::CheckStage(View(), Stage2("intrusion_minimal.json"))), "conflict /schema_version");
  // A closed report takes no new revision either.
  json r2 = SampleDocument();
  r2["revision"] = 2;
  auto refused = store_->Submit(ToReport(r2), rules_.id, json::object());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition) << refused.status().ToString();
}

TEST_F(RecordTest, TheSameStageDocumentIsStoredOnceAndAnotherIsTheNextVersion) {
  AddStage(Stage2("intrusion_minimal.json"));
  auto again = store_->AddStage(Stage2("intrusion_minimal.json"), json::object());
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->already_stored);
  EXPECT_EQ(again->stored.version, 1);
  AddStage(Stage2("intrusion_full.json"));
  record::RecordView v = View();
  ASSERT_EQ(v.stages.size(), 2u);
  EXPECT_EQ(v.LatestStage("damage-control")->version, 2);
  EXPECT_EQ(v.LatestStage("damage-control")->idempotency_key, report_.id + ":2:damage-control");
  // A stage that follows a revision the report does not have is refused and writes nothing.
  const int64_t entries = *store_->db().QueryInt("SELECT count(*) FROM journal");
  StageRecord ahead = Stage2();
  ahead.report_revision = 2;
  EXPECT_EQ(store_->AddStage(ahead, json::object()).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(*store_->db().QueryInt("SELECT count(*) FROM journal"), entries);
  EXPECT_EQ(View().stages.size(), 2u);
}

TEST_F(RecordTest, StagesMeetTheirDeadlinesAndTheRecordDigestNamesEveryDocument) {
  Accept();
  const std::string before = record::RecordDigest(View());
  AddStage(Stage2());
  EXPECT_NE(record::RecordDigest(View()), before);
  const WallTime now = ParseRfc3339("2026-11-23T09:00:00+08:00")->instant;
  auto deadlines = record::Deadlines(View(), rules_, now);
  ASSERT_TRUE(deadlines.ok()) << deadlines.status().ToString();
  std::map<std::string, record::DeadlineState> by_key;
  for (const auto& d : *deadlines) by_key[d.key] = d;
  // Level 3: damage control within 36 h of awareness; the fixture completed it at 11-22 15:30.
  EXPECT_EQ(by_key["damage_control_by"].state, "met");
  EXPECT_EQ(by_key["damage_control_by"].met_at, "2026-11-22T15:30:00+08:00");
  EXPECT_EQ(by_key["notify_by"].state, "met");
  EXPECT_EQ(by_key["report_by"].state, "open");
  EXPECT_EQ(by_key["review_by"].state, "by_reviewer");
  // The schedule the engine reads now marks the met deadline, so no reminder comes for it.
  auto current = store_->CurrentSchedule(report_.id);
  ASSERT_TRUE(current.ok());
  bool marked = false;
  for (const auto& d : (*current)["deadlines"]) {
    if (d.value("key", "") == "damage_control_by") marked = d.value("met", false);
  }
  EXPECT_TRUE(marked) << current->dump();
}

TEST_F(RecordTest, OnlyTheCisoApprovesAndSignaturesComeInOrderFromThreePeople) {
  Accept();
  AddStage(Stage2());
  EXPECT_EQ(CodeOf(record::CheckApproval(View(), Role::kOperator, false)), "forbidden /level");
  EXPECT_EQ(CodeOf(record::CheckApproval(View(), Role::kSupervisor, false)), "forbidden /level");
  EXPECT_EQ(CodeOf(record::CheckApproval(View(), Role::kAdmin, false)), "forbidden /level");
  EXPECT_EQ(CodeOf(record::CheckApproval(View(), Role::kCiso, false)), "allowed");
  // Not before the record is closed and approved.
  EXPECT_EQ(CodeOf(record::CheckSignature(View(), record::SignAs::kReporter, "op.wang", Role::kOperator)),
            "out_of_order /as");
  Close();
  EXPECT_EQ(CodeOf(record::CheckApproval(View(), Role::kCiso, true)), "conflict /level") << "closed: no new level";
  EXPECT_EQ(CodeOf(record::CheckSignature(View(), record::SignAs::kReporter, "op.wang", Role::kOperator)),
            "out_of_order /as");
  Sign("approval", "ciso.chen", Role::kCiso);
  EXPECT_EQ(CodeOf(record::CheckSignature(View(), record::SignAs::kSupervisor, "sup.lin", Role::kSupervisor)),
            "out_of_order /as");
  EXPECT_EQ(CodeOf(record::CheckSignature(View(), record::SignAs::kReporter, "aud.ho", Role::kAuditor)),
            "forbidden /as");
  EXPECT_EQ(CodeOf(record::CheckSignature(View(), record::SignAs::kReporter, "op.wang", Role::kOperator)), "allowed");
  Sign("reporter", "op.wang", Role::kOperator);
  EXPECT_EQ(CodeOf(record::CheckSignature(View(), record::SignAs::kReporter, "op.lee", Role::kOperator)),
            "conflict /as");
  EXPECT_EQ(CodeOf(record::CheckSignature(View(), record::SignAs::kSupervisor, "op.wang", Role::kOperator)),
            "forbidden /as");
  EXPECT_EQ(CodeOf(record::CheckSignature(View(), record::SignAs::kSupervisor, "op.wang", Role::kSupervisor)),
            "conflict /user")
      << "the reporter cannot sign again as supervisor";
  Sign("supervisor", "sup.lin", Role::kSupervisor);
  EXPECT_EQ(CodeOf(record::CheckSignature(View(), record::SignAs::kCiso, "sup.lin", Role::kSupervisor)),
            "forbidden /as");
  EXPECT_EQ(CodeOf(record::CheckSignature(View(), record::SignAs::kCiso, "ciso.chen", Role::kCiso)), "allowed")
      << "the CISO who approved the level signs as CISO";
  Sign("ciso", "ciso.chen", Role::kCiso);
  EXPECT_EQ(CodeOf(record::CheckApproval(View(), Role::kCiso, false)), "conflict /level") << "signed: no new approval";
  // Each sign-off is in the journal with who, in what role, over which record.
  auto journal = ReadJournal(store_->db(), report_.id);
  ASSERT_TRUE(journal.ok());
  std::vector<std::string> signed_as;
  for (const auto& e : *journal) {
    json p = json::parse(e.payload);
    if (e.type == "record.approved") {
      EXPECT_EQ(p["user"], "ciso.chen");
      EXPECT_EQ(p["role"], "ciso");
      EXPECT_EQ(p["level"], 3);
    }
    if (e.type == "record.signed") signed_as.push_back(p["as"].get<std::string>() + ":" + p["user"].get<std::string>());
  }
  EXPECT_THAT(signed_as, ::testing::ElementsAre("reporter:op.wang", "supervisor:sup.lin", "ciso:ciso.chen"));
  EXPECT_TRUE(store_->VerifyJournal().ok);
  json j = record::RecordToJson(View(), rules_, clock_.Now());
  EXPECT_EQ(j["next"]["action"], "none");
  EXPECT_EQ(j["approval"]["approved"], true);
  EXPECT_EQ(j["signatures"].size(), 3u);
}

TEST_F(RecordTest, ThePrintedRecordCarriesTheStagesApprovalAndThreeSignatures) {
  Complete();
  auto pdf = print::RenderPdf(record::RecordDocument(View(), rules_, clock_.Now()));
  ASSERT_TRUE(pdf.ok()) << pdf.status().ToString();
  const fs::path path = dir_ / "record.pdf";
  ASSERT_TRUE(print::WriteFile(path.string(), *pdf).ok());
  auto text = testing_support::RunCommand("pdftotext -enc UTF-8 " + path.string() + " - 2>&1");
  ASSERT_EQ(text.exit_code, 0) << text.output;
  for (const char* s : {"資通安全事件通報及應變紀錄", "範例市政府民政局", "SIM-TEST-1", "已結案",
                        "三、損害控制或復原（貳）", "四、調查、處理及改善報告（參、結案）", "核定第 1 版之事件影響等級為 3 級",
                        "七、簽核（玖.一）", "通報人員", "通報主管", "資通安全長", "op.wang", "sup.lin", "ciso.chen",
                        "如期完成"}) {
    EXPECT_THAT(text.output, HasSubstr(s)) << s;
  }
}

TEST_F(RecordTest, TheEvidenceExportVerifiesAndAnyChangedByteFailsIt) {
  Complete();
  auto key = evidence::DeviceKey::FromPem(ReadText(fs::path(LIFELINE_SOURCE_DIR) / "tests/fixtures/evidence/test-device-key.pem"));
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  auto e = evidence_export::ExportEvidence(*store_, report_.id, rules_, *key, clock_.Now());
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  evidence::BundleVerdict v = evidence::VerifyBundle(e->bundle, {key->public_key().Pem()});
  ASSERT_TRUE(v.ok) << v.en;
  EXPECT_TRUE(v.pinned);
  std::set<std::string> paths;
  for (const auto& f : v.manifest.files) paths.insert(f.path);
  for (const char* p : {"report/r1.json", "stages/damage-control-v1.json", "stages/closing-v1.json", "record.json",
                        "record.pdf", "summary.pdf", "notifications.json", "index.json"}) {
    EXPECT_TRUE(paths.count(p)) << p;
  }
  EXPECT_EQ(v.manifest.report_id, report_.id);
  // The same state gives the same bytes.
  auto again = evidence_export::ExportEvidence(*store_, report_.id, rules_, *key, clock_.Now());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->sha256, e->sha256);
  // One changed byte anywhere: the first and last of each 512-byte block and a sweep between.
  std::vector<size_t> positions;
  for (size_t at = 0; at < e->bundle.size(); at += 512) positions.insert(positions.end(), {at, at + 511});
  for (size_t at = 7; at < e->bundle.size(); at += 997) positions.push_back(at);
  for (size_t at : positions) {
    if (at >= e->bundle.size()) continue;
    std::string bytes = e->bundle;
    bytes[at] = static_cast<char>(bytes[at] ^ 0x04);
    EXPECT_FALSE(evidence::VerifyBundle(bytes, {}).ok) << "byte " << at << " of " << bytes.size();
  }
  // Unknown report: NotFound, nothing made.
  EXPECT_EQ(evidence_export::ExportEvidence(*store_, NewUuidV4().value(), rules_, *key, clock_.Now()).status().code(),
            StatusCode::kNotFound);
}

}  // namespace
}  // namespace lifeline
