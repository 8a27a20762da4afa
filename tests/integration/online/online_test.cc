// The online path of the real lifelined against the real site-sim over HTTPS:
// receipts when the site is healthy, retries through 5xx, replay after an
// outage, and exactly one site record per report revision every time, including
// when lifelined is killed while its request is at the site.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <thread>

#include "tests/support/command.h"
#include "tests/support/daemon_harness.h"
#include "tests/support/report_factory.h"
#include "tests/support/site_sim_harness.h"

namespace lifeline {
namespace {

using testing_support::DaemonProcess;
using testing_support::HttpOverUnix;
using testing_support::NewDocument;
using testing_support::SiteSim;

// Polls `done` every 50 ms for at most `seconds`.
bool WaitFor(const std::function<bool()>& done, int seconds = 20) {
  for (int i = 0; i < seconds * 20; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

class OnlineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::path(::testing::TempDir()) / ("online-" + NewUuidV4().value())).string();
    sim_ = std::make_unique<SiteSim>(dir_ + "/sim");
    ASSERT_TRUE(sim_->Start());
    daemon_ = NewDaemon();
    ASSERT_TRUE(daemon_->Start()) << daemon_->log();
  }
  void TearDown() override {
    daemon_.reset();
    sim_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::unique_ptr<DaemonProcess> NewDaemon() {
    return std::make_unique<DaemonProcess>(dir_ + "/state", std::vector<std::string>{}, sim_->DaemonConfig());
  }
  std::string State(const std::string& id) {
    auto r = HttpOverUnix(daemon_->socket_path(), "GET", "/v1/reports/" + id, "");
    return r.status == 200 ? r.body["revisions"].back().value("state", "") : "";
  }
  std::string Submit(const nlohmann::json& doc) {
    auto r = HttpOverUnix(daemon_->socket_path(), "POST", "/v1/reports", doc.dump());
    EXPECT_EQ(r.status, 201) << r.body.dump();
    return doc["id"];
  }
  std::string dir_;
  std::unique_ptr<SiteSim> sim_;
  std::unique_ptr<DaemonProcess> daemon_;
};

TEST_F(OnlineTest, HealthySiteGivesAReceipt) {
  std::string id = Submit(testing_support::AwareNow(NewDocument()));
  ASSERT_TRUE(WaitFor([&] { return State(id) == "accepted"; })) << daemon_->log();
  auto r = HttpOverUnix(daemon_->socket_path(), "GET", "/v1/reports/" + id, "");
  EXPECT_EQ(r.body["revisions"][0]["site_receipt"].get<std::string>().rfind("SIM-", 0), 0u);
  EXPECT_EQ(sim_->Count(id), 1);
}

TEST_F(OnlineTest, ServerErrorsAreRetriedUntilAccepted) {
  ASSERT_TRUE(sim_->SetFaults({{"error_count", 2}, {"error_status", 503}, {"health", false}}));
  std::string id = Submit(testing_support::AwareNow(NewDocument()));
  ASSERT_TRUE(WaitFor([&] { return State(id) == "accepted"; })) << daemon_->log();
  EXPECT_EQ(sim_->Count(id), 1);
}

TEST_F(OnlineTest, OutageThenRecoveryReplaysEverythingOnce) {
  ASSERT_TRUE(sim_->SetFaults({{"refuse", true}}));
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(Submit(testing_support::AwareNow(NewDocument())));
  ASSERT_TRUE(WaitFor([&] { return daemon_->log().find("link up -> outage") != std::string::npos; }))
      << daemon_->log();
  for (const auto& id : ids) EXPECT_EQ(State(id), "queued");
  ASSERT_TRUE(sim_->SetFaults(nullptr));
  for (const auto& id : ids) {
    ASSERT_TRUE(WaitFor([&] { return State(id) == "accepted"; })) << daemon_->log();
    EXPECT_EQ(sim_->Count(id), 1);
  }
  EXPECT_NE(daemon_->log().find("link outage -> up"), std::string::npos);
}

TEST_F(OnlineTest, KilledWhileTheRequestIsAtTheSiteStillGivesOneRecord) {
  for (int round = 0; round < 3; ++round) {
    ASSERT_TRUE(sim_->SetFaults({{"slow_ms", 4000}, {"health", false}}));
    std::string id = Submit(testing_support::AwareNow(NewDocument()));
    // The site has the request (recorded, answer held back): kill lifelined now.
    ASSERT_TRUE(WaitFor([&] { return sim_->Count(id) == 1; })) << "round " << round;
    daemon_->Kill(SIGKILL);
    ASSERT_TRUE(sim_->SetFaults(nullptr));
    daemon_ = NewDaemon();
    ASSERT_TRUE(daemon_->Start()) << daemon_->log();
    ASSERT_TRUE(WaitFor([&] { return State(id) == "accepted"; })) << "round " << round << "\n" << daemon_->log();
    EXPECT_EQ(sim_->Count(id), 1) << "round " << round;
  }
}

// The site records the report but its answer, twice, is a 201 whose body is
// bytes that are not text (not UTF-8, an escape, a NUL): lifelined neither
// crashes nor takes them for a receipt; it asks again and gets the stored
// receipt, and the site still holds one record.
TEST_F(OnlineTest, AnAnswerThatIsNotTextIsNoReceiptAndTheRetryFindsTheRecord) {
  const std::string garbage = "ff fe 7b 22 72 65 63 65 69 70 74 22 3a 22 1b 5b 32 4a 00 c3 28 22 7d";
  ASSERT_TRUE(sim_->SetFaults({{"garble", 2}, {"garble_status", 201}, {"garble_body_hex", garbage}, {"health", false}}));
  std::string id = Submit(testing_support::AwareNow(NewDocument()));
  ASSERT_TRUE(WaitFor([&] { return State(id) == "accepted"; }, 40)) << daemon_->log();
  EXPECT_EQ(sim_->Count(id), 1);
  EXPECT_EQ(sim_->Faults().value("garble", -1), 0) << "both garbled answers were sent";
  auto r = HttpOverUnix(daemon_->socket_path(), "GET", "/v1/reports/" + id, "");
  EXPECT_EQ(r.body["revisions"][0]["site_receipt"].get<std::string>().rfind("SIM-", 0), 0u) << r.body.dump();
  ASSERT_TRUE(daemon_->running());
  EXPECT_EQ(HttpOverUnix(daemon_->socket_path(), "GET", "/v1/health", "").status, 200) << daemon_->log();
  // What lifelined journaled of the two answers keeps the chain whole.
  auto verify = testing_support::RunCommand(std::string(LIFELINE_BINARY_DIR "/tools/lifeline/lifeline --state-dir ") +
                                            daemon_->state_dir() + " journal verify 2>&1");
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
}

TEST_F(OnlineTest, WrongHostCertificateIsNeverAccepted) {
  // The certificate applies to new connections: start lifelined after the change.
  daemon_->Kill(SIGTERM);
  ASSERT_TRUE(sim_->SetFaults({{"cert", "wrong-host"}}));
  daemon_ = NewDaemon();
  ASSERT_TRUE(daemon_->Start()) << daemon_->log();
  std::string id = Submit(testing_support::AwareNow(NewDocument()));
  ASSERT_TRUE(WaitFor([&] { return daemon_->log().find("tls_identity") != std::string::npos ||
                                   daemon_->log().find("PERMISSION_DENIED") != std::string::npos; }))
      << daemon_->log();
  EXPECT_EQ(State(id), "queued");
  EXPECT_EQ(sim_->Count(id), 0);
}

}  // namespace
}  // namespace lifeline
