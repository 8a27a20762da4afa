// The intake API of the real lifelined, over its socket: what an operator's
// client sees for each kind of request.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sys/wait.h>

#include "tests/support/daemon_harness.h"
#include "tests/support/report_factory.h"

namespace lifeline {
namespace {

using testing_support::DaemonProcess;
using testing_support::HttpOverUnix;
using testing_support::NewDocument;

class IntakeApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::path(::testing::TempDir()) / ("intake-" + NewUuidV4().value())).string();
    daemon_ = std::make_unique<DaemonProcess>(dir_);
    ASSERT_TRUE(daemon_->Start()) << daemon_->log();
  }
  void TearDown() override {
    daemon_.reset();
    std::filesystem::remove_all(dir_);
  }
  testing_support::HttpReply Call(const std::string& method, const std::string& path, const std::string& body = "") {
    return HttpOverUnix(daemon_->socket_path(), method, path, body);
  }
  std::string dir_;
  std::unique_ptr<DaemonProcess> daemon_;
};

TEST_F(IntakeApiTest, SubmitReturnsLevelAndDeadlinesThenIsIdempotent) {
  auto doc = NewDocument();
  auto first = Call("POST", "/v1/reports", doc.dump());
  ASSERT_EQ(first.status, 201) << first.body.dump();
  EXPECT_EQ(first.body["level"], 3);
  EXPECT_EQ(first.body["state"], "queued");
  EXPECT_EQ(first.body["idempotency_key"], doc["id"].get<std::string>() + "/r1");
  EXPECT_FALSE(first.body["already_stored"]);
  auto deadlines = first.body["schedule"]["deadlines"];
  ASSERT_FALSE(deadlines.empty());
  EXPECT_EQ(deadlines[1]["key"], "notify_by");
  EXPECT_EQ(deadlines[1]["at"], "2026-11-21T10:58:00+08:00");
  EXPECT_FALSE(deadlines[1]["source"].get<std::string>().empty());
  auto again = Call("POST", "/v1/reports", doc.dump());
  EXPECT_EQ(again.status, 200);
  EXPECT_TRUE(again.body["already_stored"]);
}

TEST_F(IntakeApiTest, InvalidReportListsEveryProblemAndStoresNothing) {
  auto doc = NewDocument();
  doc["aware_at"] = "2026-11-21T09:58:00";
  doc["soc"] = {{"type", "outsourced"}};
  auto r = Call("POST", "/v1/reports", doc.dump());
  ASSERT_EQ(r.status, 422);
  EXPECT_EQ(r.body["problems"].size(), 2u) << r.body.dump();
  EXPECT_EQ(Call("GET", "/v1/reports").body["reports"].size(), 0u);
}

TEST_F(IntakeApiTest, RevisionChangesLevelAndConflictsAreRefused) {
  auto doc = NewDocument();
  ASSERT_EQ(Call("POST", "/v1/reports", doc.dump()).status, 201);
  std::string id = doc["id"];
  auto changed = doc;
  changed["description"] = "different";
  EXPECT_EQ(Call("POST", "/v1/reports", changed.dump()).status, 409);
  auto r2 = doc;
  r2["revision"] = 2;
  r2["impact"]["availability"] = 4;
  EXPECT_EQ(Call("POST", "/v1/reports", r2.dump()).status, 400) << "revisions go to /revisions";
  EXPECT_EQ(Call("POST", "/v1/reports/other-id/revisions", r2.dump()).status, 400);
  auto stored = Call("POST", "/v1/reports/" + id + "/revisions", r2.dump());
  ASSERT_EQ(stored.status, 201) << stored.body.dump();
  EXPECT_EQ(stored.body["level"], 4);
  auto r4 = r2;
  r4["revision"] = 4;
  EXPECT_EQ(Call("POST", "/v1/reports/" + id + "/revisions", r4.dump()).status, 409);
  auto show = Call("GET", "/v1/reports/" + id);
  ASSERT_EQ(show.status, 200);
  ASSERT_EQ(show.body["revisions"].size(), 2u);
  EXPECT_EQ(show.body["revisions"][1]["document"]["impact"]["availability"], 4);
}

TEST_F(IntakeApiTest, UnknownPathsMethodsAndReports) {
  EXPECT_EQ(Call("GET", "/v1/nothing").status, 404);
  EXPECT_EQ(Call("DELETE", "/v1/reports").status, 405);
  EXPECT_EQ(Call("GET", "/v1/reports/00000000-0000-4000-8000-000000000000").status, 404);
  EXPECT_EQ(Call("POST", "/v1/reports", "not json").status, 422);
  EXPECT_EQ(Call("GET", "/v1/health").body["rules_id"], "tw-2021");
}

// What the console's pages read: the schema the form is built from, a
// report's record, the fax pages and the drill library; a bad path or an
// unknown id is a 404 or 405, never a crash, and changes nothing.
TEST_F(IntakeApiTest, TheConsolesReadEndpointsAnswerBadRequestsWithErrors) {
  auto schema = Call("GET", "/v1/schema/report");
  ASSERT_EQ(schema.status, 200);
  EXPECT_TRUE(schema.body.contains("$defs")) << "the contract itself, labels and all";
  auto doc = NewDocument();
  ASSERT_EQ(Call("POST", "/v1/reports", doc.dump()).status, 201);
  const std::string id = doc["id"];
  auto record = Call("GET", "/v1/reports/" + id + "/record");
  ASSERT_EQ(record.status, 200) << record.body.dump();
  EXPECT_EQ(record.body["id"], id);
  EXPECT_EQ(record.body["offset_minutes"], 480) << "the report's own offset, +08:00";
  ASSERT_EQ(record.body["revisions"].size(), 1u);
  ASSERT_FALSE(record.body["timeline"].empty());
  const std::string first_at = record.body["timeline"][0]["at_local"];
  EXPECT_TRUE(first_at.ends_with("+08:00")) << first_at;
  EXPECT_EQ(Call("GET", "/v1/reports/00000000-0000-4000-8000-000000000000/record").status, 404);
  EXPECT_EQ(Call("POST", "/v1/reports/" + id + "/record", "{}").status, 405);
  EXPECT_EQ(Call("GET", "/v1/reports/" + id + "/nothing").status, 404);
  for (const char* path : {"/v1/attempts/abc/fax/1.png", "/v1/attempts/1/fax/0.png", "/v1/attempts/1/fax/x.png",
                           "/v1/attempts/-1/fax/1.png", "/v1/attempts/99999/fax/1.png", "/v1/attempts/1/fax/1",
                           "/v1/attempts/18446744073709551616/fax/1.png", "/v1/attempts"}) {
    EXPECT_EQ(Call("GET", path).status, 404) << path;
  }
  auto library = Call("GET", "/v1/drill-scenarios");
  ASSERT_EQ(library.status, 200);
  EXPECT_EQ(library.body["configured"], false) << "this daemon's configuration names no library";
  EXPECT_EQ(Call("POST", "/v1/drill-scenarios", "{}").status, 405);
  EXPECT_EQ(Call("GET", "/v1/reports").body["reports"].size(), 1u);
}

// A phone confirmation's fields are each checked, and every problem is named
// at its field before the task is looked up.
TEST_F(IntakeApiTest, APhoneConfirmationNamesEachBadField) {
  auto r = Call("POST", "/v1/phone-tasks/1/confirm",
                nlohmann::json{{"answered_by", "  "}, {"answered_at", "2999-01-01T00:00:00+08:00"},
                               {"note", std::string(2001, 'x')}}.dump());
  ASSERT_EQ(r.status, 422) << r.body.dump();
  std::set<std::string> paths;
  for (const auto& p : r.body["problems"]) {
    paths.insert(p["path"].get<std::string>());
    EXPECT_FALSE(p["zh"].get<std::string>().empty());
    EXPECT_FALSE(p["en"].get<std::string>().empty());
  }
  EXPECT_EQ(paths, (std::set<std::string>{"/answered_by", "/answered_at", "/note"}));
  auto bad_time = Call("POST", "/v1/phone-tasks/1/confirm",
                       nlohmann::json{{"answered_by", "王小明"}, {"answered_at", "yesterday"}}.dump());
  ASSERT_EQ(bad_time.status, 422);
  ASSERT_EQ(bad_time.body["problems"].size(), 1u) << bad_time.body.dump();
  EXPECT_EQ(bad_time.body["problems"][0]["path"], "/answered_at");
}

TEST_F(IntakeApiTest, SocketIsOwnerAndGroupOnly) {
  struct stat st;
  ASSERT_EQ(stat(daemon_->socket_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0660u);
}

TEST_F(IntakeApiTest, SecondDaemonOnTheSameStateIsRefused) {
  std::string log = dir_ + "/second.log";
  std::string cmd = "timeout 10 " LIFELINE_BINARY_DIR "/daemon/lifelined --config " + dir_ +
                    "/test-config.toml > " + log + " 2>&1";
  int status = std::system(cmd.c_str());
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 2) << status;
  std::ifstream in(log);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("another lifelined is using"), std::string::npos) << text;
  EXPECT_EQ(Call("GET", "/v1/health").status, 200) << "the first daemon keeps serving";
}

}  // namespace
}  // namespace lifeline
