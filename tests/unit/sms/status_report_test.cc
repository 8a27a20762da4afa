#include <gtest/gtest.h>

#include "daemon/channels/sms/sms.h"
#include "tests/unit/sms/gammu_check.h"

namespace lifeline::sms {
namespace {

// A status report as a Dutch network delivered it to a Wavecom modem (+CDS: 25).
constexpr char kDelivered[] = "07911326060021F006D60B911326880736F4111011719551401110117195714000";

TEST(StatusReportTest, DecodesRealReport) {
  auto r = DecodeStatusReportPdu(*FromHex(kDelivered));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->message_ref, 0xD6);
  EXPECT_EQ(r->recipient.ToString(), "+31628870634");
  EXPECT_EQ(r->status, 0);
  EXPECT_EQ(r->outcome, DeliveryOutcome::kDelivered);
  EXPECT_EQ(FormatRfc3339(r->sc_timestamp), "2011-01-11T17:59:15+01:00");
  EXPECT_EQ(FormatRfc3339(r->discharge_time), "2011-01-11T17:59:17+01:00");
}

TEST(StatusReportTest, OutcomeRanges) {
  EXPECT_EQ(OutcomeFromStatus(0x00), DeliveryOutcome::kDelivered);
  EXPECT_EQ(OutcomeFromStatus(0x02), DeliveryOutcome::kDelivered);
  EXPECT_EQ(OutcomeFromStatus(0x20), DeliveryOutcome::kPending);
  EXPECT_EQ(OutcomeFromStatus(0x41), DeliveryOutcome::kFailed);
  EXPECT_EQ(OutcomeFromStatus(0x62), DeliveryOutcome::kFailed);
}

TEST(StatusReportTest, EncoderRoundTripsAndGammuAgrees) {
  StatusReport in;
  in.message_ref = 42;
  in.recipient = *ParsePhoneNumber("+886912345678");
  in.sc_timestamp = *ParseRfc3339("2026-11-21T10:01:02+08:00");
  in.discharge_time = *ParseRfc3339("2026-11-21T10:01:09+08:00");
  in.status = 0x41;
  const auto bytes = EncodeStatusReportPdu(*ParsePhoneNumber("+886932400821"), in);
  auto out = DecodeStatusReportPdu(bytes);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->message_ref, 42);
  EXPECT_EQ(out->recipient, in.recipient);
  EXPECT_EQ(out->sc_timestamp, in.sc_timestamp);
  EXPECT_EQ(out->discharge_time, in.discharge_time);
  EXPECT_EQ(out->outcome, DeliveryOutcome::kFailed);
  auto g = testing::GammuDecode({ToHex(bytes)});
  ASSERT_TRUE(g.ok());
  const auto& d = (*g)[0];
  EXPECT_EQ(d["type"], "Status_Report") << d.dump();
  EXPECT_EQ(d["number"], "+886912345678");
  EXPECT_EQ(d["smsc"], "+886932400821");
  EXPECT_EQ(d["message_ref"], 42);
  EXPECT_EQ(d["delivery_status"], 0x41);
}

TEST(StatusReportTest, RejectsMalformed) {
  auto good = *FromHex(kDelivered);
  for (size_t cut = 0; cut < 27; ++cut) {
    std::vector<uint8_t> b(good.begin(), good.begin() + cut);
    EXPECT_FALSE(DecodeStatusReportPdu(b).ok()) << "truncated at " << cut;
  }
  auto submit = good;
  submit[8] = 0x01;
  EXPECT_FALSE(DecodeStatusReportPdu(submit).ok());
  auto bad_month = good;
  bad_month[19] = 0x31;  // month 13 in the SCTS
  EXPECT_FALSE(DecodeStatusReportPdu(bad_month).ok());
}

}  // namespace
}  // namespace lifeline::sms
