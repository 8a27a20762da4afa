// The SMS channel (SmsModem + SmsSender + the store's part ledger) over a real pty
// against modem-sim, one fault at a time. Every wait is bounded in time and
// iterations; nothing asserts on durations.
#include <gtest/gtest.h>

#include <filesystem>

#include "daemon/channels/sms/sms.h"
#include "daemon/channels/wiring/store_sms_ledger.h"
#include "daemon/channels/wiring/wiring.h"
#include "daemon/core/clock.h"
#include "tests/integration/sms/sim_process.h"

namespace lifeline::sms::testing {
namespace {

using std::chrono::milliseconds;

constexpr char kTo[] = "+886912345678";

std::string LongChinese() {
  std::string t;
  for (int i = 0; i < 8; ++i) t += "資安事件通報：網站無法連線，改以簡訊通報。";
  return t;  // 176 characters: three UCS-2 parts
}

class ChannelTest : public ::testing::Test {
 protected:
  void TearDown() override {
    sender_.reset();
    modem_.reset();
    ledger_.reset();
    sim_.reset();
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }

  void StartSim(const std::vector<std::string>& args = {}) {
    dir_ = ScratchDir(::testing::UnitTest::GetInstance()->current_test_info()->name());
    auto sim = SimProcess::Start(dir_, args);
    ASSERT_TRUE(sim.ok()) << sim.status().ToString();
    sim_ = std::move(*sim);
  }

  void StartChannel(const std::string& pin = "") {
    SmsModemOptions mo;
    mo.at.device = sim_->link();
    mo.at.reopen_delay = milliseconds(200);
    mo.pin = pin;
    mo.command_timeout = milliseconds(1000);
    mo.send_timeout = milliseconds(2000);
    mo.health_interval = milliseconds(500);
    mo.boot_settle = milliseconds(100);
    mo.trouble_before_reset = 2;
    modem_ = std::make_unique<SmsModem>(io_, mo);
    auto ledger = OpenStoreSmsLedger(io_, StoreOptionsFor(dir_), clock_);
    ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
    ledger_ = std::move(*ledger);
    SmsSenderOptions so;
    so.retry_delay = milliseconds(200);
    so.max_attempts_per_part = 4;
    so.max_modem_waits = 100;
    sender_ = std::make_unique<SmsSender>(io_, *modem_, *ledger_, clock_, so);
    modem_->Start();
  }

  // Runs the io_context until `done` holds; false after `limit` (bounded loop).
  bool RunUntil(const std::function<bool()>& done,
                std::chrono::seconds limit = std::chrono::seconds(20)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (int i = 0; i < 100000 && !done(); ++i) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      io_.run_for(milliseconds(20));
      if (io_.stopped()) io_.restart();
    }
    return done();
  }

  bool WaitReady() {
    return RunUntil([&] { return modem_->health().Ready(); });
  }

  std::optional<MessageResult> Send(const std::string& id, const std::string& to,
                                    const std::string& text) {
    std::optional<MessageResult> out;
    sender_->Send(SmsRequest{id, to, text}, [&](const MessageResult& r) { out = r; });
    RunUntil([&] { return out.has_value(); }, std::chrono::seconds(30));
    return out;
  }

  MessageRecord Record(const std::string& id) {
    auto r = LoadNow(io_, *ledger_, id);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : MessageRecord{};
  }

  bool WaitConfirmed(const std::string& id) {
    return RunUntil([&] { return Record(id).Confirmed(); });
  }

  std::string SimStatus() {
    auto s = sim_->Control("status");
    return s.ok() ? *s : s.status().ToString();
  }

  std::string dir_;
  asio::io_context io_;
  SystemClock clock_;
  std::unique_ptr<SimProcess> sim_;
  std::unique_ptr<SmsModem> modem_;
  std::unique_ptr<SmsPartLedger> ledger_;
  std::unique_ptr<SmsSender> sender_;
};

TEST_F(ChannelTest, StartUpBringsModemToReadyState) {
  StartSim();
  StartChannel();
  ASSERT_TRUE(WaitReady()) << modem_->health().ToJson();
  const ModemHealth& h = modem_->health();
  EXPECT_EQ(h.pin, PinState::kReady);
  EXPECT_EQ(h.smsc, "+886932400821");
  EXPECT_TRUE(h.status_reports);
  ASSERT_TRUE(h.signal.has_value());
  EXPECT_EQ(*h.signal->Dbm(), -71);
  const std::string status = SimStatus();
  EXPECT_NE(status.find("\"echo\":false"), std::string::npos) << status;
  EXPECT_NE(status.find("\"cmee\":1"), std::string::npos) << status;
  EXPECT_NE(status.find("\"cnmi_ds\":2"), std::string::npos) << "reports kept in the modem: " << status;
  EXPECT_TRUE(h.report_memory);
}

TEST_F(ChannelTest, LteOnlyNetworkCountsAsRegistered) {
  StartSim({"--lte-only"});
  StartChannel();
  ASSERT_TRUE(WaitReady()) << modem_->health().ToJson();
  const ModemHealth& h = modem_->health();
  ASSERT_TRUE(h.cs && h.eps);
  EXPECT_FALSE(h.cs->Registered());
  EXPECT_FALSE(h.gprs->Registered());
  EXPECT_TRUE(h.eps->Registered());
  auto r = Send("lte-1", kTo, "LTE only");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->state, MessageState::kSent) << r->why.ToString();
}

TEST_F(ChannelTest, PinLockedSimIsReportedThenUnlockedWithPin) {
  StartSim({"--pin", "2468"});
  StartChannel();
  ASSERT_TRUE(RunUntil([&] { return modem_->health().problem.find("SIM") != std::string::npos; }))
      << modem_->health().ToJson();
  EXPECT_EQ(modem_->health().pin, PinState::kSimPin);
  EXPECT_FALSE(modem_->health().Ready());
  modem_.reset();
  sender_.reset();
  StartChannel("2468");
  ASSERT_TRUE(WaitReady()) << modem_->health().ToJson();
}

TEST_F(ChannelTest, ConcatenatedMessageIsSentAndConfirmed) {
  StartSim();
  StartChannel();
  ASSERT_TRUE(WaitReady());
  auto r = Send("long-1", kTo, LongChinese());
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->state, MessageState::kSent) << r->why.ToString();
  ASSERT_TRUE(WaitConfirmed("long-1"));
  const MessageRecord m = Record("long-1");
  const auto submits = sim_->Submits();
  ASSERT_EQ(m.parts.size(), 3u);
  ASSERT_EQ(submits.size(), 3u);
  std::string joined;
  for (size_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(submits[i].decoded_ok);
    EXPECT_EQ(submits[i].decoded.concat->seq, int(i + 1));
    EXPECT_EQ(submits[i].decoded.concat->ref, m.concat_ref);
    EXPECT_EQ(m.parts[i].message_ref, submits[i].mr);
    EXPECT_EQ(m.parts[i].delivery, DeliveryOutcome::kDelivered);
    EXPECT_TRUE(m.parts[i].discharge_time.has_value());
    joined += EncodeUtf8(submits[i].decoded.text);
  }
  EXPECT_EQ(joined, LongChinese());
}

TEST_F(ChannelTest, TemporaryCmsErrorOnSecondPartIsRetried) {
  StartSim();
  StartChannel();
  ASSERT_TRUE(WaitReady());
  ASSERT_TRUE(sim_->Control("cms 42 on 2").ok());
  auto r = Send("retry-1", kTo, LongChinese());
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->state, MessageState::kSent) << r->why.ToString();
  const auto submits = sim_->Submits();
  ASSERT_EQ(submits.size(), 4u);
  EXPECT_EQ(submits[1].result, "cms 42");
  EXPECT_EQ(submits[2].decoded.concat->seq, 2) << "the same part again";
  EXPECT_EQ(submits[1].pdu_hex, submits[2].pdu_hex) << "a retry sends the identical PDU";
  const MessageRecord m = Record("retry-1");
  EXPECT_EQ(m.parts[1].attempts, 2);
  EXPECT_EQ(m.parts[1].error_code, 42);
}

TEST_F(ChannelTest, PermanentErrorFailsThatNumberAndTheQueueMovesOn) {
  StartSim();
  StartChannel();
  ASSERT_TRUE(WaitReady());
  ASSERT_TRUE(sim_->Control("cms-number +886900000001 1").ok());
  std::optional<MessageResult> bad, good;
  sender_->Send({"bad-1", "+886900000001", "to nobody"}, [&](const MessageResult& r) { bad = r; });
  sender_->Send({"good-1", kTo, "to someone"}, [&](const MessageResult& r) { good = r; });
  ASSERT_TRUE(RunUntil([&] { return bad && good; }));
  EXPECT_EQ(bad->state, MessageState::kFailed);
  EXPECT_EQ(Record("bad-1").parts[0].state, PartState::kFailed);
  EXPECT_EQ(Record("bad-1").parts[0].error_code, 1);
  EXPECT_EQ(Record("bad-1").parts[0].attempts, 1) << "a permanent error is not retried";
  EXPECT_EQ(good->state, MessageState::kSent) << good->why.ToString();
}

TEST_F(ChannelTest, RepeatedModemTroubleResetsTheModem) {
  StartSim();
  StartChannel();
  ASSERT_TRUE(WaitReady());
  ASSERT_TRUE(sim_->Control("cms 300 always").ok());
  auto r = Send("trouble-1", kTo, "modem unwell");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->state, MessageState::kDeferred);
  EXPECT_GE(modem_->health().resets, 1) << modem_->health().ToJson();
  ASSERT_TRUE(sim_->Control("cms off").ok());
  ASSERT_TRUE(WaitReady()) << modem_->health().ToJson();
  auto again = Send("trouble-1", kTo, "modem unwell");  // same id: the caller retries later
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->state, MessageState::kDeferred)
      << "attempts are spent; the part keeps its record";
  auto fresh = Send("trouble-2", kTo, "modem well again");
  ASSERT_TRUE(fresh.has_value());
  EXPECT_EQ(fresh->state, MessageState::kSent) << fresh->why.ToString();
}

TEST_F(ChannelTest, SilentModemIsDetectedAndSendingResumes) {
  StartSim();
  StartChannel();
  ASSERT_TRUE(WaitReady());
  ASSERT_TRUE(sim_->Control("silent on").ok());
  std::optional<MessageResult> r;
  sender_->Send({"silent-1", kTo, "are you there"}, [&](const MessageResult& m) { r = m; });
  ASSERT_TRUE(RunUntil([&] {
    return modem_->health().reopens >= 1 || !modem_->health().port_open;
  })) << modem_->health().ToJson();
  ASSERT_TRUE(sim_->Control("silent off").ok());
  ASSERT_TRUE(RunUntil([&] { return r.has_value(); }, std::chrono::seconds(30)));
  EXPECT_EQ(r->state, MessageState::kSent) << r->why.ToString();
  EXPECT_GE(Record("silent-1").parts[0].attempts, 2);
}

TEST_F(ChannelTest, RebootIsNoticedAndTheModemReinitialised) {
  StartSim();
  StartChannel();
  ASSERT_TRUE(WaitReady());
  ASSERT_TRUE(sim_->Control("reboot 300").ok());
  ASSERT_TRUE(RunUntil([&] { return !modem_->health().initialized; }));
  ASSERT_TRUE(WaitReady()) << modem_->health().ToJson();
  EXPECT_NE(SimStatus().find("\"cnmi_ds\":2"), std::string::npos) << "status reports re-enabled";
  auto r = Send("reboot-1", kTo, "after reboot");
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->state, MessageState::kSent) << r->why.ToString();
  EXPECT_TRUE(WaitConfirmed("reboot-1"));
}

// A modem that restarts while a part is in flight never answers that +CMGS:
// the part is tried again once the modem is back, not after the send's whole
// timeout (a minute), and the ledger says why it was retried.
TEST_F(ChannelTest, ARebootMidSendRetriesThePartOnceTheModemIsBack) {
  StartSim();
  StartChannel();
  ASSERT_TRUE(WaitReady());
  ASSERT_TRUE(sim_->Control("silent-at 1").ok());  // the next +CMGS goes unanswered
  std::optional<MessageResult> r;
  sender_->Send({"reboot-mid-1", kTo, "reboot in the middle"}, [&](const MessageResult& m) { r = m; });
  ASSERT_TRUE(RunUntil([&] { return SimStatus().find("\"silent\":true") != std::string::npos; }));
  ASSERT_TRUE(sim_->Control("silent off").ok());
  ASSERT_TRUE(sim_->Control("reboot 300").ok());
  ASSERT_TRUE(RunUntil([&] { return r.has_value(); }, std::chrono::seconds(30)));
  EXPECT_EQ(r->state, MessageState::kSent) << r->why.ToString();
  const PartRecord part = Record("reboot-mid-1").parts[0];
  EXPECT_GE(part.attempts, 2);
  EXPECT_NE(part.error_detail.find("restarted"), std::string::npos)
      << "retried because the modem restarted, not after waiting out the send: " << part.error_detail;
  EXPECT_TRUE(WaitConfirmed("reboot-mid-1"));
}

TEST_F(ChannelTest, UnpluggedPortIsReopened) {
  StartSim();
  StartChannel();
  ASSERT_TRUE(WaitReady());
  ASSERT_TRUE(sim_->Control("unplug 500").ok());
  ASSERT_TRUE(RunUntil([&] { return !modem_->health().port_open; }));
  ASSERT_TRUE(WaitReady()) << modem_->health().ToJson();
  EXPECT_GE(modem_->health().reopens, 1);
  auto r = Send("unplug-1", kTo, "replugged");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->state, MessageState::kSent) << r->why.ToString();
}

TEST_F(ChannelTest, GarbageAndStrayUrcsAreTolerated) {
  StartSim();
  StartChannel();
  ASSERT_TRUE(WaitReady());
  ASSERT_TRUE(sim_->Control("garbage 700").ok());
  ASSERT_TRUE(sim_->Control("urc RING").ok());
  ASSERT_TRUE(sim_->Control("urc +CMTI: \"SM\",1").ok());
  ASSERT_TRUE(sim_->Control("urc +CEREG: 5").ok());
  // Lines that are not text: invalid UTF-8, control bytes, a report announced in
  // memory that is not a number, a status report whose PDU is not hex.
  ASSERT_TRUE(sim_->Control("urc +CME ERROR: \xff\xfe\x1b[2J\xc3").ok());
  ASSERT_TRUE(sim_->Control("urc +CDSI: \"SR\",\xff\x01").ok());
  ASSERT_TRUE(sim_->Control("urc +CDS: 25").ok());
  ASSERT_TRUE(sim_->Control("urc \xe4\xb8\x07\xff\xff").ok());
  ASSERT_TRUE(sim_->Control("urc +CEREG: \x80\x80").ok());
  const std::string health = modem_->health().ToJson();
  EXPECT_TRUE(nlohmann::json::accept(health)) << "the health is still JSON";
  auto r = Send("noise-1", kTo, LongChinese());
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->state, MessageState::kSent) << r->why.ToString();
  EXPECT_TRUE(WaitConfirmed("noise-1"));
}

TEST_F(ChannelTest, RegistrationDeniedThenRoamingFollowsUrcs) {
  StartSim();
  StartChannel();
  ASSERT_TRUE(WaitReady());
  for (const char* d : {"cs", "gprs", "eps"})
    ASSERT_TRUE(sim_->Control(std::string("reg ") + d + " 3").ok());
  ASSERT_TRUE(RunUntil([&] { return !modem_->health().Registered(); }))
      << modem_->health().ToJson();
  EXPECT_EQ(modem_->health().eps->state, RegState::kDenied);
  std::optional<MessageResult> r;
  sender_->Send({"denied-1", kTo, "no network yet"}, [&](const MessageResult& m) { r = m; });
  RunUntil([&] { return r.has_value(); }, std::chrono::seconds(1));  // the sender must hold back
  EXPECT_FALSE(r.has_value());
  EXPECT_TRUE(sim_->Submits().empty()) << "nothing is handed to an unregistered modem";
  ASSERT_TRUE(sim_->Control("reg eps 5").ok());  // roaming on LTE
  ASSERT_TRUE(RunUntil([&] { return r.has_value(); }));
  EXPECT_EQ(r->state, MessageState::kSent) << r->why.ToString();
  EXPECT_EQ(modem_->health().eps->state, RegState::kRoaming);
  EXPECT_TRUE(modem_->health().Ready());
}

TEST_F(ChannelTest, FailedDeliveryReportIsRecordedAsEvidence) {
  StartSim({"--report", "failed"});
  StartChannel();
  ASSERT_TRUE(WaitReady());
  auto r = Send("undelivered-1", kTo, "phone switched off");
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->state, MessageState::kSent);
  ASSERT_TRUE(RunUntil([&] { return Record("undelivered-1").parts[0].delivery.has_value(); }));
  const MessageRecord m = Record("undelivered-1");
  EXPECT_EQ(m.parts[0].delivery, DeliveryOutcome::kFailed);
  EXPECT_EQ(m.parts[0].report_status, 0x41);
  EXPECT_FALSE(m.Confirmed());
}

TEST_F(ChannelTest, InvalidNumberIsRefusedBeforeTheModem) {
  StartSim();
  StartChannel();
  ASSERT_TRUE(WaitReady());
  auto r = Send("typo-1", "+88691234567x", "typo");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->state, MessageState::kFailed);
  EXPECT_EQ(r->why.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(sim_->Submits().empty());
}

}  // namespace
}  // namespace lifeline::sms::testing
