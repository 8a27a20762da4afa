// AtEngine against a scripted modem on a pty: the test plays the modem's side
// byte by byte, so interleavings that a real modem produces only sometimes
// (a URC between a response and its OK, echo, the bare "> " prompt, replies
// split across reads) are produced every time.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include "daemon/channels/sms/sms.h"

namespace lifeline::sms {
namespace {

using std::chrono::milliseconds;

constexpr char kCds[] = "07911326060021F006D60B911326880736F4111011719551401110117195714000";

class AtEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    master_ = posix_openpt(O_RDWR | O_NOCTTY);
    ASSERT_GE(master_, 0);
    ASSERT_EQ(grantpt(master_), 0);
    ASSERT_EQ(unlockpt(master_), 0);
    slave_path_ = ptsname(master_);
    hold_ = open(slave_path_.c_str(), O_RDWR | O_NOCTTY);  // keeps the pty alive between opens
    termios t{};
    tcgetattr(hold_, &t);
    cfmakeraw(&t);
    tcsetattr(hold_, TCSANOW, &t);
    AtEngineOptions o;
    o.device = slave_path_;
    o.reopen_delay = milliseconds(100);
    engine_ = std::make_unique<AtEngine>(io_, o);
    engine_->SetUrcHandler([this](const Urc& u) { urcs_.push_back(u); });
    engine_->SetLinkHandler([this](bool up, const Status&) { link_events_.push_back(up); });
    ASSERT_TRUE(engine_->Start().ok());
  }
  void TearDown() override {
    engine_.reset();
    if (master_ >= 0) close(master_);
    close(hold_);
  }

  bool RunUntil(const std::function<bool()>& done) {
    for (int i = 0; i < 500 && !done(); ++i) {
      io_.run_for(milliseconds(10));
      if (io_.stopped()) io_.restart();
    }
    return done();
  }

  // Reads what the engine wrote until `end` appears (bounded).
  std::string ReadUntil(char end) {
    std::string got;
    for (int i = 0; i < 500 && got.find(end) == std::string::npos; ++i) {
      io_.run_for(milliseconds(5));
      pollfd p{master_, POLLIN, 0};
      if (poll(&p, 1, 5) <= 0) continue;
      char buf[256];
      const ssize_t n = read(master_, buf, sizeof(buf));
      if (n > 0) got.append(buf, size_t(n));
    }
    return got;
  }

  void Reply(const std::string& bytes, bool one_at_a_time = false) {
    if (!one_at_a_time) {
      ASSERT_EQ(write(master_, bytes.data(), bytes.size()), ssize_t(bytes.size()));
      return;
    }
    for (char c : bytes) {
      ASSERT_EQ(write(master_, &c, 1), 1);
      io_.run_for(milliseconds(1));
    }
  }

  void Submit(AtCommand c) {
    auto out = std::make_shared<std::optional<Result<AtResponse>>>();
    engine_->Submit(std::move(c), [out](Result<AtResponse> r) { *out = std::move(r); });
    pending_ = out;
  }
  bool Answered() const { return pending_ && pending_->has_value(); }
  const Result<AtResponse>& Answer() const { return **pending_; }

  asio::io_context io_;
  int master_ = -1, hold_ = -1;
  std::string slave_path_;
  std::unique_ptr<AtEngine> engine_;
  std::vector<Urc> urcs_;
  std::vector<bool> link_events_;
  std::shared_ptr<std::optional<Result<AtResponse>>> pending_;
};

TEST_F(AtEngineTest, StatusReportBetweenResponseAndOk) {
  Submit({"AT+CSQ", "+CSQ:", milliseconds(2000), {}});
  EXPECT_EQ(ReadUntil('\r'), "AT+CSQ\r");
  Reply(std::string("\r\n+CSQ: 20,99\r\n\r\n+CDS: 25\r\n") + kCds + "\r\n\r\nOK\r\n");
  ASSERT_TRUE(RunUntil([&] { return Answered() && !urcs_.empty(); }));
  ASSERT_TRUE(Answer().ok());
  EXPECT_EQ(Answer()->final.kind, FinalKind::kOk);
  EXPECT_EQ(Answer()->lines, std::vector<std::string>{"+CSQ: 20,99"});
  ASSERT_EQ(urcs_.size(), 1u);
  EXPECT_EQ(urcs_[0].kind, UrcKind::kStatusReport);
  EXPECT_EQ(urcs_[0].pdu_hex, kCds);
}

TEST_F(AtEngineTest, EchoPromptAndPduByteByByte) {
  const std::string pdu = "0011000B916407281553F80000AA0AE8329BFD4697D9EC37";
  Submit({"AT+CMGS=23", "+CMGS:", milliseconds(3000), pdu});
  EXPECT_EQ(ReadUntil('\r'), "AT+CMGS=23\r");
  Reply("AT+CMGS=23\r\r\n> ", /*one_at_a_time=*/true);  // echo is still on, as after a reboot
  EXPECT_EQ(ReadUntil('\x1A'), pdu + "\x1A");
  Reply(pdu + "\x1A\r\n+CMGS: 7\r\n\r\nRING\r\n\r\nOK\r\n", /*one_at_a_time=*/true);
  ASSERT_TRUE(RunUntil([&] { return Answered(); }));
  ASSERT_TRUE(Answer().ok());
  EXPECT_EQ(Answer()->lines, std::vector<std::string>{"+CMGS: 7"});
  ASSERT_EQ(urcs_.size(), 1u);
  EXPECT_EQ(urcs_[0].kind, UrcKind::kRing);
}

TEST_F(AtEngineTest, CmsErrorIsAFinalResultNotAFailure) {
  Submit({"AT+CMGS=23", "+CMGS:", milliseconds(3000), std::string("00")});
  ReadUntil('\r');
  Reply("\r\n> ");
  ReadUntil('\x1A');
  Reply("\r\n+CMS ERROR: 38\r\n");
  ASSERT_TRUE(RunUntil([&] { return Answered(); }));
  ASSERT_TRUE(Answer().ok());
  EXPECT_EQ(Answer()->final.kind, FinalKind::kCmsError);
  EXPECT_EQ(Answer()->final.code, 38);
}

TEST_F(AtEngineTest, NoiseOutsideCommandsIsCountedAndIgnored) {
  Reply("\r\n\x01\x02garbage\r\nOK\r\n\r\n+CREG: 5\r\n");
  ASSERT_TRUE(RunUntil([&] { return !urcs_.empty(); }));
  EXPECT_EQ(urcs_[0].kind, UrcKind::kRegistration);
  EXPECT_EQ(engine_->noise_lines(), 2);
  Submit({"AT", "", milliseconds(2000), {}});
  ReadUntil('\r');
  Reply("\r\nOK\r\n");
  ASSERT_TRUE(RunUntil([&] { return Answered(); }));
  EXPECT_TRUE(Answer().ok());
}

TEST_F(AtEngineTest, SilentModemTimesOutThenThePortIsReopened) {
  Submit({"AT", "", milliseconds(100), {}});
  ASSERT_TRUE(RunUntil([&] { return Answered(); }));
  EXPECT_EQ(Answer().status().code(), StatusCode::kDeadlineExceeded);
  Submit({"AT", "", milliseconds(100), {}});
  ASSERT_TRUE(RunUntil([&] { return Answered(); }));
  EXPECT_EQ(Answer().status().code(), StatusCode::kDeadlineExceeded);
  ASSERT_TRUE(RunUntil([&] { return link_events_.size() >= 3; }));  // up, down, up again
  EXPECT_EQ(link_events_, (std::vector<bool>{true, false, true}));
  EXPECT_EQ(engine_->reopen_count(), 1);
}

TEST_F(AtEngineTest, VanishedPortFailsPendingCommandAndReportsLinkLoss) {
  Submit({"AT", "", milliseconds(5000), {}});
  ReadUntil('\r');
  close(master_);  // the USB modem is pulled: the tty hangs up
  master_ = -1;
  ASSERT_TRUE(RunUntil([&] { return Answered(); }));
  EXPECT_EQ(Answer().status().code(), StatusCode::kUnavailable);
  ASSERT_GE(link_events_.size(), 2u);
  EXPECT_FALSE(link_events_[1]);
}

}  // namespace
}  // namespace lifeline::sms
