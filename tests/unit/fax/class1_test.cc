// Class 1 framing and the retry policy: pure functions, no modem needed; plus
// the attempt's handling of bad input (no device, bad number, unreadable TIFF).
#include <gtest/gtest.h>
#include <spandsp.h>

#include <filesystem>
#include <fstream>

#include "daemon/channels/fax/class1_modem.h"
#include "daemon/channels/fax/fax.h"
#include "daemon/channels/fax/t30_session.h"

namespace lifeline::fax {
namespace {

using std::chrono::seconds;

TEST(T30Session, OffersCodingsUpToTheBestAndT6OnlyWithEcm) {
  FaxSendOptions o;
  const int mh = T30_SUPPORT_T4_1D_COMPRESSION, mr = T30_SUPPORT_T4_2D_COMPRESSION, t6 = T30_SUPPORT_T6_COMPRESSION;
  EXPECT_EQ(OfferedCompressions(o), mh | mr | t6) << "the default offers all three";
  o.ecm = false;
  EXPECT_EQ(OfferedCompressions(o), mh | mr) << "T.6 needs ECM";
  o.ecm = true;
  o.best_coding = Coding::kMr;
  EXPECT_EQ(OfferedCompressions(o), mh | mr);
  o.best_coding = Coding::kMh;
  EXPECT_EQ(OfferedCompressions(o), mh);
  EXPECT_EQ(CodingOfEncoding(T4_COMPRESSION_ITU_T6), "T.6 (MMR)");
  EXPECT_EQ(CodingOfEncoding(T4_COMPRESSION_ITU_T4_2D), "T.4 2-D (MR)");
  EXPECT_EQ(CodingOfEncoding(T4_COMPRESSION_ITU_T4_1D), "T.4 1-D (MH)");
  EXPECT_EQ(CodingOfEncoding(T4_COMPRESSION_ITU_T85), "");
}

TEST(Class1, FinalResultCodesAreRecognisedAndOthersAreNot) {
  ModemReply r;
  ASSERT_TRUE(ParseFinalResult("OK", &r));
  EXPECT_EQ(r, ModemReply::kOk);
  ASSERT_TRUE(ParseFinalResult("\r\nCONNECT\r", &r));
  EXPECT_EQ(r, ModemReply::kConnect);
  ASSERT_TRUE(ParseFinalResult("CONNECT 14400", &r));
  EXPECT_EQ(r, ModemReply::kConnect);
  ASSERT_TRUE(ParseFinalResult("NO DIAL TONE", &r));
  EXPECT_EQ(r, ModemReply::kNoDialtone);
  ASSERT_TRUE(ParseFinalResult("+FCERROR", &r));
  EXPECT_EQ(r, ModemReply::kFcError);
  EXPECT_FALSE(ParseFinalResult("OKAY", &r));
  EXPECT_FALSE(ParseFinalResult("ATD5551234", &r));  // an echo, not a result
  EXPECT_FALSE(ParseFinalResult("", &r));
}

TEST(Class1, DleIsDoubledAndNothingElseChanges) {
  const uint8_t in[] = {0x00, kDle, 0x03, kDle, kDle, 0xFF};
  const auto out = StuffDle(in, sizeof(in));
  const std::vector<uint8_t> want = {0x00, kDle, kDle, 0x03, kDle, kDle, kDle, kDle, 0xFF};
  EXPECT_EQ(out, want);
  EXPECT_TRUE(StuffDle(nullptr, 0).empty());
}

TEST(Class1, ModulationCodesFollowT31) {
  EXPECT_EQ(ModulationCode(T30_MODEM_V21, 300, false), 3);
  EXPECT_EQ(ModulationCode(T30_MODEM_V17, 14400, false), 145);
  EXPECT_EQ(ModulationCode(T30_MODEM_V17, 14400, true), 146);
  EXPECT_EQ(ModulationCode(T30_MODEM_V17, 7200, true), 74);
  EXPECT_EQ(ModulationCode(T30_MODEM_V29, 9600, false), 96);
  EXPECT_EQ(ModulationCode(T30_MODEM_V27TER, 2400, false), 24);
  EXPECT_EQ(ModulationCode(T30_MODEM_CNG, 0, false), -1);
}

AttemptEvidence Failed(DialResult dial) {
  AttemptEvidence ev;
  ev.dial = dial;
  ev.pages_in_document = 2;
  return ev;
}

TEST(Retry, EachFailureTypeHasItsOwnDelay) {
  RetryPolicy p;
  struct Case {
    DialResult dial;
    std::chrono::seconds delay;
  } cases[] = {{DialResult::kBusy, p.busy_delay},           {DialResult::kNoAnswer, p.no_answer_delay},
               {DialResult::kNoCarrier, p.no_carrier_delay}, {DialResult::kNoDialtone, p.no_dialtone_delay},
               {DialResult::kModemError, p.modem_error_delay}, {DialResult::kAnswered, p.call_failed_delay}};
  for (const auto& c : cases) {
    const auto d = DecideRetry(Failed(c.dial), 1, seconds(0), 14400, p);
    EXPECT_EQ(d.action, RetryAction::kRetry) << DialResultName(c.dial);
    EXPECT_EQ(d.delay, c.delay) << DialResultName(c.dial);
    EXPECT_FALSE(d.reason.empty());
  }
}

TEST(Retry, SpeedFallsBackOnlyAfterAFailedCall) {
  RetryPolicy p;
  EXPECT_EQ(DecideRetry(Failed(DialResult::kAnswered), 1, seconds(0), 14400, p).next_max_bit_rate, 9600);
  EXPECT_EQ(DecideRetry(Failed(DialResult::kAnswered), 2, seconds(0), 9600, p).next_max_bit_rate, 4800);
  EXPECT_EQ(DecideRetry(Failed(DialResult::kBusy), 1, seconds(0), 14400, p).next_max_bit_rate, 14400);
}

TEST(Retry, GivesUpWhenAttemptsOrTimeRunOut) {
  RetryPolicy p;
  EXPECT_EQ(DecideRetry(Failed(DialResult::kBusy), p.max_attempts, seconds(0), 14400, p).action,
            RetryAction::kGiveUp);
  EXPECT_EQ(DecideRetry(Failed(DialResult::kBusy), 1, p.budget, 14400, p).action, RetryAction::kGiveUp);
  // The defaults allow the full number of busy retries inside the budget.
  auto elapsed = seconds(0);
  for (int attempt = 1; attempt < p.max_attempts; ++attempt) {
    const auto d = DecideRetry(Failed(DialResult::kBusy), attempt, elapsed, 14400, p);
    ASSERT_EQ(d.action, RetryAction::kRetry) << attempt;
    elapsed += d.delay + p.expected_call;
  }
}

TEST(Retry, SuccessIsDoneAndBadInputIsNeverRetried) {
  AttemptEvidence ok = Failed(DialResult::kAnswered);
  ok.t30_code = 0;
  ok.pages_confirmed = 2;
  EXPECT_EQ(DecideRetry(ok, 1, seconds(0), 14400, {}).action, RetryAction::kDone);
  AttemptEvidence partial = ok;
  partial.pages_confirmed = 1;  // T.30 said OK but a page got RTN: not done
  EXPECT_EQ(DecideRetry(partial, 1, seconds(0), 14400, {}).action, RetryAction::kRetry);
  AttemptEvidence bad = SendFaxAttempt({}, "12ab", "/nonexistent.tif");
  EXPECT_EQ(DecideRetry(bad, 1, seconds(0), 14400, {}).action, RetryAction::kGiveUp);
}

TEST(SendAttempt, BadInputAndMissingModemComeBackAsEvidence) {
  const std::string dir = std::string(LIFELINE_BINARY_DIR) + "/test-tmp/fax/class1";
  std::filesystem::create_directories(dir);
  const std::string tiff = dir + "/one.tif";
  ASSERT_TRUE(WriteTiffF({FaxPage(kPageWidth, 100)}, Resolution::kFine, tiff).ok());

  FaxSendOptions o;
  o.device = "/nonexistent/ttyFAX";
  auto ev = SendFaxAttempt(o, "(02)2733-1655", tiff);
  EXPECT_EQ(ev.number, "0227331655");
  EXPECT_EQ(ev.dial, DialResult::kModemError);
  EXPECT_NE(ev.error.find("/nonexistent/ttyFAX"), std::string::npos);
  EXPECT_EQ(ev.pages_in_document, 1);
  EXPECT_FALSE(ev.success());
  EXPECT_EQ(ev.ToJson()["dial"], "modem_error");
  EXPECT_EQ(DecideRetry(ev, 1, seconds(0), 14400, {}).action, RetryAction::kRetry);

  ev = SendFaxAttempt(o, "02-2733;ATH", tiff);  // would smuggle a command into ATD
  EXPECT_NE(ev.error.find("invalid fax number"), std::string::npos);
  std::ofstream(dir + "/junk.tif") << "not a tiff";
  ev = SendFaxAttempt(o, "0227331655", dir + "/junk.tif");
  EXPECT_NE(ev.error.find("cannot read TIFF"), std::string::npos);
  EXPECT_EQ(ev.pages_in_document, 0);
}

TEST(SendAttempt, RegularFileIsNotAModem) {
  const std::string file = std::string(LIFELINE_BINARY_DIR) + "/test-tmp/fax/class1/plain.txt";
  std::ofstream(file) << "x";
  FaxSendOptions o;
  o.device = file;
  const std::string tiff = std::string(LIFELINE_BINARY_DIR) + "/test-tmp/fax/class1/one.tif";
  auto ev = SendFaxAttempt(o, "0227331655", tiff);
  EXPECT_EQ(ev.dial, DialResult::kModemError);
  EXPECT_NE(ev.error.find("not a serial port"), std::string::npos) << ev.error;
}

}  // namespace
}  // namespace lifeline::fax
