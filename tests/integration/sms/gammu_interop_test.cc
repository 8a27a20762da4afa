// modem-sim against a client we did not write: Debian's gammu, over the pty.
// If gammu can identify the modem and send through it, and what it sends
// decodes strictly, the simulator speaks AT the way real modems do.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/integration/sms/sim_process.h"

namespace lifeline::sms::testing {
namespace {

class GammuInteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ScratchDir(::testing::UnitTest::GetInstance()->current_test_info()->name());
    auto sim = SimProcess::Start(dir_, {});
    ASSERT_TRUE(sim.ok()) << sim.status().ToString();
    sim_ = std::move(*sim);
    std::ofstream rc(dir_ + "/gammurc");
    rc << "[gammu]\ndevice = " << sim_->link() << "\nconnection = at\n"
       << "logfile = " << dir_ << "/gammu.log\nlogformat = textall\n";
  }
  void TearDown() override {
    sim_.reset();
    if (!HasFailure()) std::filesystem::remove_all(dir_);  // kept for inspection on failure
  }
  CommandResult Gammu(const std::string& args) {
    return RunCommand("gammu -c " + dir_ + "/gammurc " + args);
  }

  std::string dir_;
  std::unique_ptr<SimProcess> sim_;
};

TEST_F(GammuInteropTest, Identify) {
  const CommandResult r = Gammu("identify");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("lifeline"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("356938035643809"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("466920123456789"), std::string::npos) << r.output;
}

TEST_F(GammuInteropTest, SendsUnicodeText) {
  const std::string text = "資安事件通報測試：網站無法連線 lifeline";
  const CommandResult r = Gammu("sendsms TEXT +886912345678 -unicode -text '" + text + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto submits = sim_->Submits();
  ASSERT_EQ(submits.size(), 1u);
  EXPECT_EQ(submits[0].result, "ok");
  ASSERT_TRUE(submits[0].decoded_ok) << submits[0].pdu_hex;
  EXPECT_EQ(submits[0].decoded.to.ToString(), "+886912345678");
  EXPECT_EQ(submits[0].decoded.coding, Coding::kUcs2);
  EXPECT_EQ(EncodeUtf8(submits[0].decoded.text), text);
  EXPECT_NE(r.output.find("reference=" + std::to_string(submits[0].mr)), std::string::npos)
      << r.output;
}

TEST_F(GammuInteropTest, SendsLongUnicodeTextInParts) {
  std::string text;
  for (int i = 0; i < 12; ++i) text += "第" + std::to_string(i) + "段：資通安全事件通報。";
  const CommandResult r = Gammu("sendsms TEXT 0912345678 -unicode -len 400 -text '" + text + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto submits = sim_->Submits();
  ASSERT_GE(submits.size(), 2u);
  std::string joined;
  for (size_t i = 0; i < submits.size(); ++i) {
    ASSERT_TRUE(submits[i].decoded_ok) << submits[i].pdu_hex;
    ASSERT_TRUE(submits[i].decoded.concat.has_value());
    EXPECT_EQ(submits[i].decoded.concat->seq, int(i + 1));
    EXPECT_EQ(submits[i].decoded.concat->total, int(submits.size()));
    EXPECT_EQ(submits[i].decoded.concat->ref, submits[0].decoded.concat->ref);
    EXPECT_EQ(submits[i].decoded.to.ToString(), "0912345678");
    joined += EncodeUtf8(submits[i].decoded.text);
  }
  EXPECT_EQ(joined, text);
}

TEST_F(GammuInteropTest, SeesInjectedCmsError) {
  ASSERT_TRUE(sim_->Control("cms 38 on 1").ok());
  const CommandResult r = Gammu("sendsms TEXT +886912345678 -text 'network down'");
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("38"), std::string::npos) << r.output;
  const auto submits = sim_->Submits();
  ASSERT_EQ(submits.size(), 1u);
  EXPECT_EQ(submits[0].result, "cms 38");
}

TEST_F(GammuInteropTest, RejectsPinLockedSim) {
  ASSERT_TRUE(sim_->Control("pin 4321").ok());
  const CommandResult r = Gammu("sendsms TEXT +886912345678 -text 'locked'");
  EXPECT_NE(r.exit_code, 0) << r.output;
  ASSERT_TRUE(sim_->Control("pin none").ok());
  const CommandResult ok = Gammu("sendsms TEXT +886912345678 -text 'unlocked'");
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
}

}  // namespace
}  // namespace lifeline::sms::testing
