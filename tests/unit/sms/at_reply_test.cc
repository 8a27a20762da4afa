// Transcripts below are lines as real modems print them; the device named in
// each test is where the shape comes from.
#include <gtest/gtest.h>

#include "daemon/channels/sms/sms.h"

namespace lifeline::sms {
namespace {

TEST(AtReplyTest, FinalResults) {
  EXPECT_EQ(ParseFinalResult("OK")->kind, FinalKind::kOk);
  EXPECT_EQ(ParseFinalResult("ERROR")->kind, FinalKind::kError);
  auto cms = ParseFinalResult("+CMS ERROR: 500");
  ASSERT_TRUE(cms.has_value());
  EXPECT_EQ(cms->kind, FinalKind::kCmsError);
  EXPECT_EQ(cms->code, 500);
  auto cme_text = ParseFinalResult("+CME ERROR: SIM PIN required");  // +CMEE=2 style
  EXPECT_EQ(cme_text->kind, FinalKind::kCmeError);
  EXPECT_EQ(cme_text->code, -1);
  EXPECT_EQ(ParseFinalResult("+CME ERROR: 10")->code, 10);
  EXPECT_FALSE(ParseFinalResult("+CSQ: 18,99").has_value());
  EXPECT_FALSE(ParseFinalResult("OKAY").has_value());
  EXPECT_FALSE(ParseFinalResult("").has_value());
}

TEST(AtReplyTest, SignalQualitySimcom7600) {
  auto q = ParseCsq("+CSQ: 18,99");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->rssi, 18);
  EXPECT_EQ(*q->Dbm(), -77);
  EXPECT_FALSE(ParseCsq("+CSQ: 99,99")->Dbm().has_value());
  EXPECT_FALSE(ParseCsq("+CSQ: 40,0").ok());
  EXPECT_FALSE(ParseCsq("+CSQ: 18").ok());
  EXPECT_FALSE(ParseCsq("+CSQ: ,").ok());
  EXPECT_FALSE(ParseCsq("+CREG: 0,1").ok());
}

TEST(AtReplyTest, RegistrationQuectelEc25LteOnly) {
  // An LTE-only network: CS and GPRS say "searching", only +CEREG registers.
  auto cs = ParseRegistration("+CREG: 0,2", RegForm::kQueryResponse);
  ASSERT_TRUE(cs.ok());
  EXPECT_FALSE(cs->Registered());
  auto eps = ParseRegistration("+CEREG: 2,1,\"2F4A\",\"01A2D001\",7", RegForm::kQueryResponse);
  ASSERT_TRUE(eps.ok()) << eps.status().ToString();
  EXPECT_EQ(eps->domain, RegDomain::kEps);
  EXPECT_TRUE(eps->Registered());
  EXPECT_EQ(eps->area, "2F4A");
  EXPECT_EQ(eps->cell_id, "01A2D001");
  EXPECT_EQ(*eps->access_technology, 7);
}

TEST(AtReplyTest, RegistrationUnsolicitedAndStates) {
  auto urc = ParseRegistration("+CREG: 5,\"2A5D\",\"1F6B3\",2", RegForm::kUnsolicited);
  ASSERT_TRUE(urc.ok());
  EXPECT_EQ(urc->state, RegState::kRoaming);
  EXPECT_TRUE(urc->Registered());
  EXPECT_EQ(ParseRegistration("+CGREG: 3", RegForm::kUnsolicited)->state, RegState::kDenied);
  EXPECT_EQ(ParseRegistration("+CEREG: 1,7", RegForm::kQueryResponse)->state,
            RegState::kRoamingSmsOnly);
  EXPECT_TRUE(ParseRegistration("+CEREG: 1,7", RegForm::kQueryResponse)->Registered());
  EXPECT_EQ(ParseRegistration("+CEREG: 4,\"\",\"\",7", RegForm::kUnsolicited)->state,
            RegState::kUnknown);
  EXPECT_FALSE(ParseRegistration("+CREG: 0,11", RegForm::kQueryResponse).ok());
  EXPECT_FALSE(ParseRegistration("+CREG: 0", RegForm::kQueryResponse).ok());
  EXPECT_FALSE(ParseRegistration("+CREG:", RegForm::kUnsolicited).ok());
  EXPECT_FALSE(ParseRegistration("+COPS: 0", RegForm::kUnsolicited).ok());
}

TEST(AtReplyTest, PinStates) {
  EXPECT_EQ(*ParseCpin("+CPIN: READY"), PinState::kReady);
  EXPECT_EQ(*ParseCpin("+CPIN: SIM PIN"), PinState::kSimPin);
  EXPECT_EQ(*ParseCpin("+CPIN: SIM PUK"), PinState::kSimPuk);
  EXPECT_EQ(*ParseCpin("+CPIN: NOT READY"), PinState::kOther);
  EXPECT_FALSE(ParseCpin("+CPIN:").ok());
}

TEST(AtReplyTest, SendingAndStorage) {
  EXPECT_EQ(*ParseCmgs("+CMGS: 42"), 42);
  EXPECT_EQ(*ParseCmgs("+CMGS: 7,\"21/11/26,10:00:00+32\""), 7);
  EXPECT_FALSE(ParseCmgs("+CMGS: 256").ok());
  EXPECT_FALSE(ParseCmgs("+CMGS: x").ok());
  EXPECT_EQ(*ParseCsca("+CSCA: \"+886932400821\",145"), "+886932400821");
  EXPECT_EQ(*ParseCsca("+CSCA: \"\",129"), "");
  EXPECT_FALSE(ParseCsca("+CSCA: 145").ok());
  auto cmti = ParseCmti("+CMTI: \"SM\",3");
  EXPECT_EQ(cmti->memory, "SM");
  EXPECT_EQ(cmti->index, 3);
  EXPECT_EQ(ParseCdsi("+CDSI: \"SR\",7")->index, 7);
  EXPECT_FALSE(ParseCdsi("+CDSI: 7").ok());
  auto listed = ParseCmglHeader("+CMGL: 2,1,,25");
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  EXPECT_EQ(listed->index, 2);
  EXPECT_EQ(listed->stat, 1);
  EXPECT_EQ(listed->length, 25);
  EXPECT_FALSE(ParseCmglHeader("+CMGL: 2,\"REC READ\",\"+886912\",,\"26/12/01\"").ok()) << "text mode";
  EXPECT_FALSE(ParseCmglHeader("+CMGL: \xff,1,,25").ok());
  EXPECT_EQ(*ParseCdsHeader("+CDS: 25"), 25);
  EXPECT_FALSE(ParseCdsHeader("+CDS: 6,214,\"+31628870634\",145").ok()) << "text mode";
}

TEST(AtReplyTest, UrcClassificationHuaweiAndQuectelBoot) {
  EXPECT_EQ(ClassifyUrc("+CDS: 25"), UrcKind::kStatusReport);
  EXPECT_EQ(ClassifyUrc("+CMTI: \"ME\",0"), UrcKind::kNewMessage);
  EXPECT_EQ(ClassifyUrc("+CDSI: \"SR\",1"), UrcKind::kStoredReport);
  EXPECT_EQ(ClassifyUrc("RING"), UrcKind::kRing);
  EXPECT_EQ(ClassifyUrc("RDY"), UrcKind::kBoot);        // Quectel
  EXPECT_EQ(ClassifyUrc("^SYSSTART"), UrcKind::kBoot);  // Cinterion
  EXPECT_EQ(ClassifyUrc("+CFUN: 1"), UrcKind::kBoot);
  EXPECT_EQ(ClassifyUrc("SMS DONE"), UrcKind::kBoot);
  EXPECT_EQ(ClassifyUrc("+CPIN: READY"), UrcKind::kPinState);
  EXPECT_EQ(ClassifyUrc("+CEREG: 1"), UrcKind::kRegistration);
  EXPECT_EQ(ClassifyUrc("OK"), UrcKind::kNone);
  EXPECT_EQ(ClassifyUrc("Quectel"), UrcKind::kNone);
}

TEST(CmsErrorTest, Classification) {
  EXPECT_EQ(ClassifyCmsError(1), CmsClass::kPermanent);    // unassigned number
  EXPECT_EQ(ClassifyCmsError(30), CmsClass::kPermanent);   // unknown subscriber
  EXPECT_EQ(ClassifyCmsError(304), CmsClass::kPermanent);  // our PDU is wrong
  EXPECT_EQ(ClassifyCmsError(0xC5), CmsClass::kPermanent);
  EXPECT_EQ(ClassifyCmsError(42), CmsClass::kTemporary);
  EXPECT_EQ(ClassifyCmsError(331), CmsClass::kTemporary);
  EXPECT_EQ(ClassifyCmsError(500), CmsClass::kTemporary);
  EXPECT_EQ(ClassifyCmsError(9999), CmsClass::kTemporary);
  EXPECT_EQ(ClassifyCmsError(300), CmsClass::kModemTrouble);
  EXPECT_EQ(ClassifyCmsError(310), CmsClass::kModemTrouble);
  EXPECT_EQ(CmsErrorText(1), "unassigned (unallocated) number");
}

}  // namespace
}  // namespace lifeline::sms
