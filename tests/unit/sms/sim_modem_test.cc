// tools/modem-sim's modem model, fed bytes directly (no pty), with its
// clock moved by hand: the behaviour integration tests rely on, pinned down.
#include "tools/modem-sim/sim_modem.h"

#include <gtest/gtest.h>

namespace lifeline::modemsim {
namespace {

class SimModemTest : public ::testing::Test {
 protected:
  std::string Say(const std::string& bytes) {
    modem_.Feed(bytes, now_);
    return modem_.TakeOutput();
  }
  std::string Advance(milliseconds d) {
    now_ += d;
    modem_.Tick(now_);
    return modem_.TakeOutput();
  }
  std::string ValidPdu() {
    auto to = *sms::ParsePhoneNumber("+886912345678");
    return sms::EncodeSubmit(to, "hello", 0, sms::SubmitOptions{})->parts[0].pdu_hex;
  }

  SimConfig config_;
  SimModem modem_{config_};
  SimTime now_ = SimTime{} + std::chrono::hours(1);
};

TEST_F(SimModemTest, EchoesUntilAte0) {
  EXPECT_EQ(Say("AT\r"), "AT\r\r\nOK\r\n");
  EXPECT_EQ(Say("ATE0\r"), "ATE0\r\r\nOK\r\n");
  EXPECT_EQ(Say("AT\r"), "\r\nOK\r\n");
  EXPECT_EQ(Say("AT+NOPE\r"), "\r\nERROR\r\n");
  EXPECT_EQ(Say("garbage\r"), "") << "lines without AT get no answer";
}

TEST_F(SimModemTest, SendsValidPduAndReportsLater) {
  Say("ATE0\rAT+CNMI=2,1,0,1,0\r");
  const std::string pdu = ValidPdu();
  const int len = int(pdu.size() / 2 - 1);
  EXPECT_EQ(Say("AT+CMGS=" + std::to_string(len) + "\r"), "\r\n> ");
  EXPECT_EQ(Say(pdu + "\x1A"), "\r\n+CMGS: 0\r\n\r\nOK\r\n");
  Say("AT+CMGS=" + std::to_string(len) + "\r");
  EXPECT_EQ(Say(pdu + "\x1A"), "\r\n+CMGS: 1\r\n\r\nOK\r\n");
  EXPECT_EQ(Advance(milliseconds(100)), "");
  const std::string reports = Advance(config_.report_delay);
  EXPECT_NE(reports.find("+CDS: "), std::string::npos) << reports;
  const auto submits = modem_.TakeSubmits();
  ASSERT_EQ(submits.size(), 2u);
  EXPECT_EQ(submits[1].mr, 1);
}

// ds=2: the report is kept in "SR" memory and announced by index; it survives a
// reboot, is listed, read and deleted like a stored message.
TEST_F(SimModemTest, StoredReportsAreListedReadAndDeleted) {
  Say("ATE0\rAT+CNMI=2,1,0,2,0\rAT+CPMS=\"SR\"\r");
  const std::string pdu = ValidPdu();
  Say("AT+CMGS=" + std::to_string(pdu.size() / 2 - 1) + "\r");
  Say(pdu + "\x1A");
  EXPECT_EQ(Advance(config_.report_delay + milliseconds(1)), "\r\n+CDSI: \"SR\",1\r\n");
  modem_.Control("reboot 10", now_);
  Advance(milliseconds(500));
  Say("ATE0\rAT+CPMS=\"SR\"\r");
  const std::string list = Say("AT+CMGL=4\r");
  EXPECT_EQ(list.rfind("\r\n+CMGL: 1,0,,", 0), 0u) << list;
  EXPECT_NE(list.find("\r\nOK\r\n"), std::string::npos) << list;
  EXPECT_NE(Say("AT+CMGR=1\r").find("+CMGR: 1,,"), std::string::npos) << "read now";
  EXPECT_EQ(Say("AT+CMGD=1\r"), "\r\nOK\r\n");
  EXPECT_EQ(Say("AT+CMGR=1\r"), "\r\n+CMS ERROR: 321\r\n");
  EXPECT_EQ(Say("AT+CMGL=4\r"), "\r\nOK\r\n");
  EXPECT_EQ(modem_.Control("report-memory off", now_), "OK");
  EXPECT_NE(Say("AT+CNMI=2,1,0,2,0\r").find("ERROR"), std::string::npos);
}

TEST_F(SimModemTest, MalformedPduGets304) {
  Say("ATE0\r");
  Say("AT+CMGS=10\r");
  EXPECT_EQ(Say("0011000B9164\x1A"), "\r\n+CMS ERROR: 304\r\n");
  const std::string pdu = ValidPdu();
  EXPECT_EQ(Say("AT+CMGS=5\r"), "\r\n+CMS ERROR: 304\r\n") << "shorter than any SUBMIT";
  EXPECT_EQ(Say("AT+CMGS=30\r"), "\r\n> ");
  EXPECT_EQ(Say(pdu + "\x1A"), "\r\n+CMS ERROR: 304\r\n") << "length does not match the PDU";
  Say("AT+CMGS=20\r");
  EXPECT_EQ(Say("\x1B"), "\r\nOK\r\n") << "ESC cancels";
}

TEST_F(SimModemTest, PinLockAndFaults) {
  SimConfig locked;
  locked.pin = "1234";
  SimModem m(locked);
  m.Feed("ATE0\rAT+CMEE=1\rAT+CPIN?\rAT+CPIN=\"0000\"\rAT+CPIN=\"1234\"\rAT+CPIN?\r", now_);
  EXPECT_EQ(m.TakeOutput(),
            "ATE0\r\r\nOK\r\n\r\nOK\r\n\r\n+CPIN: SIM PIN\r\n\r\nOK\r\n\r\n+CME ERROR: 16\r\n"
            "\r\nOK\r\n\r\n+CPIN: READY\r\n\r\nOK\r\n");
  EXPECT_EQ(m.Control("cms 500 on 1", now_), "OK");
  EXPECT_EQ(m.Control("bogus", now_), "ERR unknown command: bogus");
  EXPECT_EQ(m.Control("csq 200", now_).rfind("ERR", 0), 0u);
}

TEST_F(SimModemTest, RebootIsSilentThenAnnouncesItself) {
  Say("ATE0\r");
  EXPECT_EQ(modem_.Control("reboot 200", now_), "OK");
  EXPECT_EQ(Say("AT\r"), "") << "a booting modem hears nothing";
  const std::string boot = Advance(milliseconds(200));
  EXPECT_NE(boot.find("RDY"), std::string::npos);
  EXPECT_NE(boot.find("+CPIN: READY"), std::string::npos);
  EXPECT_EQ(Say("AT\r"), "AT\r\r\nOK\r\n") << "echo is back on after a restart";
}

TEST_F(SimModemTest, RegistrationQueriesIncludingLte) {
  SimConfig lte;
  lte.lte_only = true;
  SimModem m(lte);
  m.Feed("ATE0\rAT+CREG?\rAT+CEREG=2\rAT+CEREG?\r", now_);
  EXPECT_EQ(m.TakeOutput(),
            "ATE0\r\r\nOK\r\n\r\n+CREG: 0,0\r\n\r\nOK\r\n\r\nOK\r\n"
            "\r\n+CEREG: 2,1,\"2F4A\",\"01A2D001\",7\r\n\r\nOK\r\n");
}

}  // namespace
}  // namespace lifeline::modemsim
