// The outage -> replay path of the real lifelined against the real site-sim when
// the link itself goes: lifelined runs in one network namespace, site-sim in
// another, and the only path between them is a veth pair the test takes down and
// up. Unlike online_test's "refuse" fault, nothing answers at all while it is down.
// Needs root (network namespaces); skips with the reason otherwise.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "tests/support/command.h"
#include "tests/support/skip.h"
#include "tests/support/daemon_harness.h"
#include "tests/support/netns.h"
#include "tests/support/report_factory.h"
#include "tests/support/site_sim_harness.h"

namespace lifeline {
namespace {

using testing_support::DaemonProcess;
using testing_support::HttpOverUnix;
using testing_support::NetnsPair;
using testing_support::NewDocument;
using testing_support::RunCommand;
using testing_support::SiteSim;
using testing_support::SiteSimOptions;
using Side = NetnsPair::Side;

const std::string kCli = LIFELINE_BINARY_DIR "/tools/lifeline/lifeline";

// Polls `done` every 100 ms for at most `seconds`.
bool WaitFor(const std::function<bool()>& done, int seconds = 20) {
  for (int i = 0; i < seconds * 10; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

class OnlineNetnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!NetnsPair::Available(&why)) LIFELINE_SKIP_OR_FAIL("needs network namespaces, which this host refuses: " + why);
    std::string error;
    net_ = NetnsPair::Create(&error);
    ASSERT_TRUE(net_) << error;
    dir_ = (std::filesystem::path(::testing::TempDir()) / ("online-netns-" + NewUuidV4().value())).string();
    sim_ = std::make_unique<SiteSim>(dir_ + "/sim", SiteSimOptions{net_->address(Side::kB), net_->Wrapper(Side::kB)});
    ASSERT_TRUE(sim_->Start()) << Slurp(dir_ + "/sim/site-sim.log");
    // The harness's [site]/[monitor] lines already use 1 s probes and a 1 s outage span.
    daemon_ = std::make_unique<DaemonProcess>(dir_ + "/state", net_->Wrapper(Side::kA), sim_->DaemonConfig());
    ASSERT_TRUE(daemon_->Start()) << daemon_->log();
  }
  void TearDown() override {
    // Processes first, then the namespaces they run in.
    daemon_.reset();
    sim_.reset();
    net_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  static std::string Slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
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
  // Payloads of the journal entries of `type`, read with the operator's CLI.
  std::vector<nlohmann::json> Journal(const std::string& type) {
    std::istringstream out(RunCommand(kCli + " --state-dir " + daemon_->state_dir() + " journal show").output);
    std::vector<nlohmann::json> found;
    for (std::string line; std::getline(out, line);) {
      if (line.rfind('#', 0) != 0 || line.find("  " + type) == std::string::npos) continue;
      std::string payload;
      std::getline(out, payload);
      found.push_back(nlohmann::json::parse(payload, nullptr, false));
    }
    return found;
  }
  std::string dir_;
  std::unique_ptr<NetnsPair> net_;
  std::unique_ptr<SiteSim> sim_;
  std::unique_ptr<DaemonProcess> daemon_;
};

TEST_F(OnlineNetnsTest, CutLinkQueuesThenReplaysOnceOnRecovery) {
  std::string first = Submit(testing_support::AwareNow(NewDocument()));
  ASSERT_TRUE(WaitFor([&] { return State(first) == "accepted"; })) << daemon_->log();
  EXPECT_EQ(sim_->Count(first), 1);

  std::string error;
  ASSERT_TRUE(net_->LinkDown(&error)) << error;
  std::string second = Submit(testing_support::AwareNow(NewDocument()));
  ASSERT_TRUE(WaitFor([&] { return !Journal("link.outage").empty(); })) << daemon_->log();
  const nlohmann::json outage = Journal("link.outage").front();
  const std::string reason = outage.is_object() ? outage.value("reason", "") : "";
  EXPECT_TRUE(reason == "connect" || reason == "timeout") << outage.dump();
  EXPECT_EQ(State(second), "queued");
  // site-sim's admin port is inside its own namespace, reachable while the veth is down.
  EXPECT_EQ(sim_->Count(second), 0);

  ASSERT_TRUE(net_->LinkUp(&error)) << error;
  ASSERT_TRUE(WaitFor([&] { return !Journal("link.recovered").empty(); })) << daemon_->log();
  ASSERT_TRUE(WaitFor([&] { return State(second) == "accepted"; })) << daemon_->log();
  EXPECT_EQ(sim_->Count(first), 1);
  EXPECT_EQ(sim_->Count(second), 1);

  // Verify the journal at rest, as an operator would after the event.
  daemon_->Kill(SIGTERM);
  auto verify = RunCommand(kCli + " --state-dir " + daemon_->state_dir() + " journal verify 2>&1");
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  EXPECT_EQ(verify.output.rfind("OK", 0), 0u) << verify.output;
}

}  // namespace
}  // namespace lifeline
