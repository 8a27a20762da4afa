// Issue 17 end to end with the real binaries: a report filed, accepted by
// site-sim over HTTPS, then damage control and closing stored, journaled and
// submitted to the site (replayed after an outage), the CISO's approval and
// the three signatures given with the `lifeline` CLI by people with their
// passwords, the printed record read back with pdftotext, and the evidence
// bundle exported, verified on a copy and rejected once a byte changes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "tests/support/command.h"
#include "tests/support/daemon_harness.h"
#include "tests/support/report_factory.h"
#include "tests/support/site_sim_harness.h"

namespace lifeline {
namespace {

using ::testing::HasSubstr;
using nlohmann::json;
using testing_support::CommandResult;
using testing_support::DaemonProcess;
using testing_support::HttpOverUnix;
using testing_support::SiteSim;
namespace fs = std::filesystem;

const std::string kCli = LIFELINE_BINARY_DIR "/tools/lifeline/lifeline";
const std::string kPassword = "correct horse battery";

bool WaitFor(const std::function<bool()>& done, int seconds = 30) {
  for (int i = 0; i < seconds * 20; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

std::string ReadText(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

json Fixture(const std::string& stage, const std::string& name) {
  return json::parse(ReadText(fs::path(LIFELINE_SOURCE_DIR) / "tests/fixtures/stages" / stage / "valid" / name));
}

std::string Now() {
  auto now = std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
  return FormatRfc3339(WithOffset(now, 8 * 60));
}

class RecordFlowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (fs::path(::testing::TempDir()) / ("record-flow-" + NewUuidV4().value())).string();
    sim_ = std::make_unique<SiteSim>(dir_ + "/sim");
    ASSERT_TRUE(sim_->Start());
    daemon_ = std::make_unique<DaemonProcess>(dir_ + "/state", std::vector<std::string>{}, sim_->DaemonConfig());
    ASSERT_TRUE(daemon_->Start()) << daemon_->log();
    for (auto [name, role] : {std::pair{"op.wang", "operator"}, {"sup.lin", "supervisor"}, {"ciso.chen", "ciso"}}) {
      auto r = Call("POST", "/v1/users", json{{"name", name}, {"role", role}, {"password", kPassword}}.dump());
      ASSERT_EQ(r.status, 201) << r.body.dump();
    }
    doc_ = testing_support::AwareNow(testing_support::NewDocument());
    id_ = doc_["id"];
    auto filed = Call("POST", "/v1/reports", doc_.dump());
    ASSERT_EQ(filed.status, 201) << filed.body.dump();
    ASSERT_TRUE(WaitFor([&] { return Record().value("state", "") == "accepted"; })) << daemon_->log();
  }
  void TearDown() override {
    daemon_.reset();
    sim_.reset();
    fs::remove_all(dir_);
  }
  testing_support::HttpReply Call(const std::string& method, const std::string& path, const std::string& body = "") {
    return HttpOverUnix(daemon_->socket_path(), method, path, body);
  }
  json Record() {
    auto r = Call("GET", "/v1/reports/" + id_);
    return r.status == 200 ? r.body.value("record", json::object()) : json::object();
  }
  // `lifeline ARGS`, with `input` on standard input (a password).
  CommandResult Cli(const std::string& args, const std::string& input = "") {
    const std::string in = dir_ + "/stdin.txt";
    std::ofstream(in) << input << "\n";
    return testing_support::RunCommand(kCli + " --socket " + daemon_->socket_path() + " " + args + " < " + in +
                                       " 2>&1");
  }
  // A stage fixture made the document of this report, stored as a file.
  std::string StageFile(const std::string& stage, json doc) {
    doc["report_id"] = id_;
    if (stage == "damage-control") doc["completion"]["completed_at"] = Now();
    else doc["submitted_at"] = Now();
    const std::string path = dir_ + "/" + stage + "-" + NewUuidV4().value() + ".json";
    std::ofstream(path) << doc.dump(1);
    return path;
  }
  std::string StageReceipt(const std::string& stage) {
    for (const auto& s : Record().value("stages", json::array())) {
      if (s.value("stage", "") == stage) return s.value("site_receipt", "");
    }
    return "";
  }

  std::string dir_, id_;
  json doc_;
  std::unique_ptr<SiteSim> sim_;
  std::unique_ptr<DaemonProcess> daemon_;
};

TEST_F(RecordFlowTest, FromFilingThroughClosingApprovalAndThreeSignaturesToAVerifiedBundle) {
  // Closing before damage control is refused by field, and nothing is stored.
  CommandResult early = Cli("report close " + id_ + " " + StageFile("closing", Fixture("closing", "intrusion_full.json")));
  EXPECT_EQ(early.exit_code, 1) << early.output;
  EXPECT_THAT(early.output, HasSubstr("out_of_order"));
  EXPECT_TRUE(Record()["stages"].empty());

  // Stage 2, stored, journaled and at the site through the real HTTPS path.
  CommandResult dc = Cli("report damage-control " + id_ + " " +
                         StageFile("damage-control", Fixture("damage-control", "intrusion_full.json")));
  ASSERT_EQ(dc.exit_code, 0) << dc.output;
  EXPECT_THAT(dc.output, HasSubstr("STORED"));
  ASSERT_TRUE(WaitFor([&] { return !StageReceipt("damage-control").empty(); })) << daemon_->log();
  EXPECT_EQ(StageReceipt("damage-control").rfind("SIM-", 0), 0u);
  EXPECT_EQ(sim_->CountStage(id_, "damage-control"), 1);
  EXPECT_EQ(Record()["phase"], "damage_controlled");
  for (const auto& d : Record()["deadlines"]) {
    if (d["key"] == "damage_control_by") {
      EXPECT_EQ(d["state"], "met") << d.dump();
    }
  }

  // Approval: not by a supervisor, not with a wrong password; by the CISO.
  CommandResult by_sup = Cli("report approve " + id_ + " --level 3 --user sup.lin", kPassword);
  EXPECT_EQ(by_sup.exit_code, 1) << by_sup.output;
  EXPECT_THAT(by_sup.output, HasSubstr("HTTP 403"));
  CommandResult wrong = Cli("report approve " + id_ + " --level 3 --user ciso.chen", "not the password");
  EXPECT_EQ(wrong.exit_code, 1) << wrong.output;
  EXPECT_THAT(wrong.output, HasSubstr("/password"));
  EXPECT_FALSE(Record()["approval"]["approved"]);
  CommandResult approved = Cli("report approve " + id_ + " --level 3 --user ciso.chen --note 核定", kPassword);
  ASSERT_EQ(approved.exit_code, 0) << approved.output;
  EXPECT_EQ(Record()["approval"]["user"], "ciso.chen");

  // Stage 3 closes the report.
  CommandResult closed = Cli("report close " + id_ + " " + StageFile("closing", Fixture("closing", "intrusion_full.json")));
  ASSERT_EQ(closed.exit_code, 0) << closed.output;
  EXPECT_EQ(Record()["state"], "closed");
  ASSERT_TRUE(WaitFor([&] { return !StageReceipt("closing").empty(); })) << daemon_->log();
  EXPECT_EQ(sim_->CountStage(id_, "closing"), 1);

  // Signatures in order, each person once.
  CommandResult sup_first = Cli("report sign " + id_ + " --as supervisor --user sup.lin", kPassword);
  EXPECT_EQ(sup_first.exit_code, 1) << sup_first.output;
  EXPECT_THAT(sup_first.output, HasSubstr("out_of_order"));
  EXPECT_TRUE(Record()["signatures"].empty());
  ASSERT_EQ(Cli("report sign " + id_ + " --as reporter --user op.wang", kPassword).exit_code, 0);
  CommandResult op_as_sup = Cli("report sign " + id_ + " --as supervisor --user op.wang", kPassword);
  EXPECT_THAT(op_as_sup.output, HasSubstr("HTTP 403")) << op_as_sup.output;
  ASSERT_EQ(Cli("report sign " + id_ + " --as supervisor --user sup.lin", kPassword).exit_code, 0);
  CommandResult last = Cli("report sign " + id_ + " --as ciso --user ciso.chen", kPassword);
  ASSERT_EQ(last.exit_code, 0) << last.output;
  json record = Record();
  ASSERT_EQ(record["signatures"].size(), 3u);
  EXPECT_EQ(record["signatures"][2]["as"], "ciso");
  EXPECT_EQ(record["signatures"][2]["via"], "socket");
  EXPECT_EQ(record["next"]["action"], "none");

  // `report show` says it.
  CommandResult show = Cli("report show " + id_);
  EXPECT_EQ(show.exit_code, 0) << show.output;
  EXPECT_THAT(show.output, HasSubstr("phase closed"));
  EXPECT_THAT(show.output, HasSubstr("資通安全長 (ciso): ciso.chen"));

  // The printed record.
  const std::string pdf = dir_ + "/record.pdf";
  CommandResult printed = Cli("report print " + id_ + " --pdf " + pdf);
  ASSERT_EQ(printed.exit_code, 0) << printed.output;
  CommandResult text = testing_support::RunCommand("pdftotext -enc UTF-8 " + pdf + " - 2>&1");
  ASSERT_EQ(text.exit_code, 0) << text.output;
  for (const char* s : {"資通安全事件通報及應變紀錄", "七、簽核（玖.一）", "通報人員", "通報主管", "資通安全長", "op.wang",
                        "sup.lin", "ciso.chen", "已結案", "SIM-", "如期完成"}) {
    EXPECT_THAT(text.output, HasSubstr(s)) << s;
  }

  // The evidence bundle: verified on a copy elsewhere with the pinned key, rejected after one changed byte.
  const std::string bundle = dir_ + "/evidence.tar", key = dir_ + "/device-key.pub.pem";
  CommandResult exported = Cli("evidence export " + id_ + " --out " + bundle);
  ASSERT_EQ(exported.exit_code, 0) << exported.output;
  CommandResult key_out = testing_support::RunCommand(kCli + " --socket " + daemon_->socket_path() + " --state-dir " +
                                                      daemon_->state_dir() + " evidence key 2>/dev/null");
  ASSERT_EQ(key_out.exit_code, 0) << key_out.output;
  const size_t begin = key_out.output.find("-----BEGIN PUBLIC KEY-----");
  const size_t end = key_out.output.find("-----END PUBLIC KEY-----");
  ASSERT_NE(begin, std::string::npos) << key_out.output;
  std::ofstream(key) << key_out.output.substr(begin, end + 24 - begin) << "\n";
  const std::string copy = dir_ + "/elsewhere/evidence.tar";
  fs::create_directories(dir_ + "/elsewhere");
  fs::copy_file(bundle, copy);
  CommandResult verified = testing_support::RunCommand(kCli + " evidence verify " + copy + " --key " + key + " 2>&1");
  EXPECT_EQ(verified.exit_code, 0) << verified.output;
  CommandResult listing = testing_support::RunCommand("tar -tf " + copy);
  for (const char* member : {"files/stages/damage-control-v1.json", "files/stages/closing-v1.json", "files/record.pdf",
                             "files/summary.pdf", "files/journal/entries.jsonl"}) {
    EXPECT_THAT(listing.output, HasSubstr(member)) << member;
  }
  CommandResult journal = testing_support::RunCommand("tar -xOf " + copy + " files/journal/entries.jsonl");
  for (const char* type : {"report.stage_received", "report.stage_receipt", "record.approved", "record.signed"}) {
    EXPECT_THAT(journal.output, HasSubstr(type)) << type;
  }
  std::string bytes = ReadText(copy);
  for (size_t at : {bytes.size() / 3, bytes.size() / 2, bytes.size() - 1100}) {
    std::string altered = bytes;
    altered[at] = static_cast<char>(altered[at] ^ 0x01);
    const std::string path = dir_ + "/elsewhere/altered.tar";
    std::ofstream(path, std::ios::binary) << altered;
    CommandResult refused = testing_support::RunCommand(kCli + " evidence verify " + path + " --key " + key + " 2>&1");
    EXPECT_NE(refused.exit_code, 0) << "byte " << at << "\n" << refused.output;
  }
}

TEST_F(RecordFlowTest, AStageStoredDuringAnOutageReachesTheSiteAfterIt) {
  ASSERT_TRUE(sim_->SetFaults({{"refuse", true}}));
  ASSERT_TRUE(WaitFor([&] { return daemon_->log().find("link up -> outage") != std::string::npos; }))
      << daemon_->log();
  CommandResult dc = Cli("report damage-control " + id_ + " " +
                         StageFile("damage-control", Fixture("damage-control", "intrusion_minimal.json")));
  ASSERT_EQ(dc.exit_code, 0) << dc.output;
  EXPECT_EQ(StageReceipt("damage-control"), "");
  ASSERT_TRUE(sim_->SetFaults(nullptr));
  ASSERT_TRUE(WaitFor([&] { return !StageReceipt("damage-control").empty(); })) << daemon_->log();
  EXPECT_EQ(sim_->CountStage(id_, "damage-control"), 1);
}

// Durable before acknowledged, and one record at the site: a stage stored in
// an outage survives kill -9 and goes to the site once after the restart.
TEST_F(RecordFlowTest, AStageStoredInAnOutageSurvivesKillNineAndReachesTheSiteOnce) {
  ASSERT_TRUE(sim_->SetFaults({{"refuse", true}}));
  CommandResult dc = Cli("report damage-control " + id_ + " " +
                         StageFile("damage-control", Fixture("damage-control", "intrusion_minimal.json")));
  ASSERT_EQ(dc.exit_code, 0) << dc.output;
  daemon_->Kill(SIGKILL);
  ASSERT_TRUE(sim_->SetFaults(nullptr));
  daemon_ = std::make_unique<DaemonProcess>(dir_ + "/state", std::vector<std::string>{}, sim_->DaemonConfig());
  ASSERT_TRUE(daemon_->Start()) << daemon_->log();
  ASSERT_EQ(Record()["stages"].size(), 1u) << "the stage was durable before the answer";
  ASSERT_TRUE(WaitFor([&] { return !StageReceipt("damage-control").empty(); })) << daemon_->log();
  EXPECT_EQ(sim_->CountStage(id_, "damage-control"), 1);
}

TEST_F(RecordFlowTest, TheCisoChangingTheLevelFilesTheNextRevisionAndTheSiteGetsIt) {
  auto approve = [&](int level, const json& impact) {
    return Call("POST", "/v1/reports/" + id_ + "/approval",
                json{{"level", level}, {"impact", impact}, {"user", "ciso.chen"}, {"password", kPassword}}.dump());
  };
  const json raised = {{"confidentiality", 2}, {"integrity", 3}, {"availability", 4}};
  auto mismatch = approve(3, raised);
  EXPECT_EQ(mismatch.status, 422) << mismatch.body.dump();
  EXPECT_EQ(mismatch.body["problems"][0]["path"], "/level");
  auto same = approve(3, doc_["impact"]);
  EXPECT_EQ(same.status, 422) << same.body.dump();
  EXPECT_EQ(same.body["problems"][0]["path"], "/impact");
  EXPECT_EQ(Call("GET", "/v1/reports/" + id_).body["revisions"].size(), 1u) << "nothing filed by a refusal";
  auto changed = approve(4, raised);
  ASSERT_EQ(changed.status, 201) << changed.body.dump();
  EXPECT_EQ(changed.body["record"]["approval"]["level"], 4);
  EXPECT_EQ(changed.body["record"]["approval"]["revision"], 2);
  auto show = Call("GET", "/v1/reports/" + id_);
  ASSERT_EQ(show.body["revisions"].size(), 2u);
  EXPECT_EQ(show.body["revisions"][1]["level"], 4);
  ASSERT_TRUE(WaitFor([&] { return Record().value("state", "") == "accepted"; })) << daemon_->log();
  EXPECT_EQ(sim_->Count(id_), 2) << "revision 2 (續行通報) is at the site too";
}

TEST_F(RecordFlowTest, BadStagesAndSignOffsAreRefusedByFieldAndChangeNothing) {
  const json before = Record();
  json wrong = Fixture("damage-control", "intrusion_full.json");
  wrong["category"] = "dos";
  wrong.erase("summary");
  auto r = Call("POST", "/v1/reports/" + id_ + "/damage-control", [&] {
    wrong["report_id"] = id_;
    return wrong.dump();
  }());
  EXPECT_EQ(r.status, 422) << r.body.dump();
  std::set<std::string> paths;
  for (const auto& p : r.body["problems"]) paths.insert(p.value("path", ""));
  EXPECT_TRUE(paths.count("/category")) << r.body.dump();
  EXPECT_TRUE(paths.count("/summary")) << r.body.dump();
  EXPECT_EQ(Call("POST", "/v1/reports/" + id_ + "/damage-control", "{not json").status, 422);
  EXPECT_EQ(Call("POST", "/v1/reports/" + id_ + "/closing", "[]").status, 422);
  EXPECT_EQ(Call("POST", "/v1/reports/" + NewUuidV4().value() + "/damage-control", wrong.dump()).status, 404);
  EXPECT_EQ(Call("GET", "/v1/reports/" + id_ + "/damage-control").status, 405);
  auto bad_level = Call("POST", "/v1/reports/" + id_ + "/approval",
                        json{{"level", 7}, {"user", "ciso.chen"}, {"password", kPassword}}.dump());
  EXPECT_EQ(bad_level.status, 422);
  EXPECT_EQ(bad_level.body["problems"][0]["path"], "/level");
  auto no_user = Call("POST", "/v1/reports/" + id_ + "/approval", json{{"level", 3}}.dump());
  EXPECT_EQ(no_user.status, 422);
  EXPECT_EQ(no_user.body["problems"][0]["path"], "/user");
  auto bad_as = Call("POST", "/v1/reports/" + id_ + "/signatures",
                     json{{"as", "boss"}, {"user", "op.wang"}, {"password", kPassword}}.dump());
  EXPECT_EQ(bad_as.status, 422);
  EXPECT_EQ(bad_as.body["problems"][0]["path"], "/as");
  auto not_closed = Call("POST", "/v1/reports/" + id_ + "/signatures",
                         json{{"as", "reporter"}, {"user", "op.wang"}, {"password", kPassword}}.dump());
  EXPECT_EQ(not_closed.status, 409);
  const json after = Record();
  EXPECT_EQ(after["stages"], before["stages"]);
  EXPECT_EQ(after["signatures"], before["signatures"]);
  EXPECT_EQ(after["approvals"], before["approvals"]);
  EXPECT_EQ(after["record_sha256"], before["record_sha256"]);
  EXPECT_EQ(Call("GET", "/v1/health").status, 200) << "still serving";
}

}  // namespace
}  // namespace lifeline
