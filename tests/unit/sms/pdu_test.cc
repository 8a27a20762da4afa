#include <gtest/gtest.h>

#include "daemon/channels/sms/sms.h"
#include "tests/unit/sms/gammu_check.h"

namespace lifeline::sms {
namespace {

PhoneNumber Num(std::string_view s) { return *ParsePhoneNumber(s); }

std::string Repeat(std::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

// Our own structural checks, written independently of the decoder under test:
// they recompute each length from the raw octets.
void CheckStructure(const SubmitPart& part, Coding coding, bool concatenated) {
  auto bytes = FromHex(part.pdu_hex);
  ASSERT_TRUE(bytes.ok());
  const std::vector<uint8_t>& b = *bytes;
  ASSERT_EQ(b[0], 0x00) << "SMSC field must defer to the modem";
  EXPECT_EQ(int(b.size()) - 1, part.tpdu_length);
  const bool udhi = b[1] & 0x40;
  EXPECT_EQ(udhi, concatenated);
  size_t pos = 3;                       // after SMSC, first octet, MR
  pos += 2 + (b[pos] + 1) / 2;          // DA
  pos += 2;                             // PID, DCS
  if ((b[1] & 0x18) == 0x10) pos += 1;  // relative VP
  ASSERT_LT(pos, b.size());
  const int udl = b[pos++];
  const size_t ud_octets = b.size() - pos;
  EXPECT_LE(ud_octets, 140u);
  if (coding == Coding::kGsm7) {
    EXPECT_LE(udl, 160);
    EXPECT_EQ(size_t((udl * 7 + 7) / 8), ud_octets) << part.pdu_hex;
  } else {
    EXPECT_EQ(size_t(udl), ud_octets);
  }
  if (concatenated) {
    EXPECT_EQ(b[pos], 5) << "UDHL";
    EXPECT_EQ(b[pos + 1], 0x00) << "IEI concatenation, 8-bit reference";
    EXPECT_EQ(b[pos + 2], 3) << "IEL";
    EXPECT_EQ(b[pos + 4], part.count);
    EXPECT_EQ(b[pos + 5], part.index);
  }
  if (coding == Coding::kUcs2) {
    EXPECT_EQ((ud_octets - (concatenated ? 6 : 0)) % 2, 0u) << "UCS-2 payload must be even";
  }
  auto strict = DecodeSubmitPdu(b);
  ASSERT_TRUE(strict.ok()) << strict.status().ToString() << " " << part.pdu_hex;
  EXPECT_EQ(EncodeUtf8(strict->text), part.text);
}

// python3-gammu builds a 7-bit part's text from TP-UDL, which counts an
// extension character's escape septet too, so it appends one junk character
// per extension character. Removes exactly that many, after checking they are
// there, so everything before them is compared strictly.
std::string GammuText(const nlohmann::json& d, const std::string& ours) {
  auto got = DecodeUtf8(d["text"].get<std::string>());
  auto want = DecodeUtf8(ours);
  if (!got.ok() || !want.ok()) return "(undecodable)";
  size_t extension = 0;
  if (d["coding"] == "Default_No_Compression") {
    for (char32_t c : *want) extension += GsmSeptetsFor(c)->size() - 1;
  }
  if (got->size() != want->size() + extension) return EncodeUtf8(*got);
  return EncodeUtf8(got->substr(0, want->size()));
}

// Encodes `text`, checks every part structurally, has gammu decode every part
// and compares number, part numbering, reference and the reassembled text.
void CrossCheck(std::string_view number, const std::string& text, Coding want_coding,
                size_t want_parts, const SubmitOptions& options = {}) {
  SCOPED_TRACE(text.substr(0, 40));
  auto msg = EncodeSubmit(Num(number), text, 0xA7, options);
  ASSERT_TRUE(msg.ok()) << msg.status().ToString();
  EXPECT_EQ(msg->coding, want_coding);
  ASSERT_EQ(msg->parts.size(), want_parts);
  std::vector<std::string> hex;
  for (const SubmitPart& p : msg->parts) {
    CheckStructure(p, msg->coding, want_parts > 1);
    hex.push_back(p.pdu_hex);
  }
  auto decoded = testing::GammuDecode(hex);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  std::string reassembled;
  for (size_t i = 0; i < hex.size(); ++i) {
    const nlohmann::json& d = (*decoded)[i];
    ASSERT_FALSE(d.contains("error")) << d.dump() << " for " << hex[i];
    EXPECT_EQ(d["type"], "Submit");
    EXPECT_EQ(d["number"], std::string(number));
    EXPECT_EQ(d["coding"],
              want_coding == Coding::kGsm7 ? "Default_No_Compression" : "Unicode_No_Compression");
    if (want_parts > 1) {
      EXPECT_EQ(d["udh_type"], "ConcatenatedMessages");
      EXPECT_EQ(d["ref8"], 0xA7);
      EXPECT_EQ(d["part"], int(i + 1));
      EXPECT_EQ(d["parts"], int(want_parts));
    } else {
      EXPECT_EQ(d["udh_type"], "NoUDH");
    }
    const std::string got = GammuText(d, msg->parts[i].text);
    EXPECT_EQ(got, msg->parts[i].text);
    reassembled += got;
  }
  EXPECT_EQ(reassembled, text);
}

TEST(PduTest, MatchesPublishedVector) {
  // The 23.040 / gammu textbook SUBMIT: "hellohello" to +46708251358, VP 4 days.
  SubmitOptions o;
  o.request_status_report = false;
  o.validity = std::chrono::hours(24 * 4);
  auto msg = EncodeSubmit(Num("+46708251358"), "hellohello", 0, o);
  ASSERT_TRUE(msg.ok());
  ASSERT_EQ(msg->parts.size(), 1u);
  EXPECT_EQ(msg->parts[0].pdu_hex, "0011000B916407281553F80000AA0AE8329BFD4697D9EC37");
  EXPECT_EQ(msg->parts[0].tpdu_length, 23);
}

TEST(PduTest, StatusReportRequestAndNationalNumber) {
  auto msg = EncodeSubmit(Num("0912345678"), "Hi", 0, SubmitOptions{});
  ASSERT_TRUE(msg.ok());
  // SRR set, no VP; national number as type 0x81, even digit count needs no filler.
  EXPECT_EQ(msg->parts[0].pdu_hex,
            "0021000A8190214365870000"
            "02C834");
}

TEST(PduTest, ValidityRoundsUpToExpressibleValues) {
  using std::chrono::minutes;
  EXPECT_EQ(RelativeValidityOctet(minutes(1)), 0);    // 5 minutes is the floor
  EXPECT_EQ(RelativeValidityOctet(minutes(60)), 11);  // (11+1)*5
  EXPECT_EQ(RelativeValidityOctet(minutes(61)), 12);
  EXPECT_EQ(RelativeValidityOctet(minutes(720)), 143);
  EXPECT_EQ(RelativeValidityOctet(minutes(721)), 144);
  EXPECT_EQ(RelativeValidityOctet(minutes(1440)), 167);
  EXPECT_EQ(RelativeValidityOctet(minutes(1441)), 168);
  EXPECT_EQ(RelativeValidityOctet(minutes(30 * 1440)), 196);
  EXPECT_EQ(RelativeValidityOctet(minutes(31 * 1440)), 197);
  EXPECT_EQ(RelativeValidityOctet(minutes(1000 * 1440)), 255);
}

TEST(PduTest, SplitsGsm7At160And153) {
  EXPECT_EQ(EncodeSubmit(Num("+886912345678"), Repeat("a", 160), 1, {})->parts.size(), 1u);
  auto two = EncodeSubmit(Num("+886912345678"), Repeat("a", 161), 1, {});
  ASSERT_EQ(two->parts.size(), 2u);
  EXPECT_EQ(two->parts[0].text.size(), 153u);
  EXPECT_EQ(two->parts[1].text.size(), 8u);
}

TEST(PduTest, ExtensionCharactersCostTwoAndStayWhole) {
  // 79 '{' = 158 septets fits; 80 = 160 fits; 81 = 162 does not.
  auto fits = EncodeSubmit(Num("+886912345678"), Repeat("{", 80), 1, {});
  EXPECT_EQ(fits->coding, Coding::kGsm7);
  EXPECT_EQ(fits->parts.size(), 1u);
  // 152 'a' then '€': the escape pair would straddle septet 153, so '€' moves on.
  auto split = EncodeSubmit(Num("+886912345678"), Repeat("a", 152) + "€" + Repeat("b", 10), 1, {});
  ASSERT_EQ(split->parts.size(), 2u);
  EXPECT_EQ(split->parts[0].text, Repeat("a", 152));
  EXPECT_EQ(split->parts[1].text, "€" + Repeat("b", 10));
}

TEST(PduTest, SplitsUcs2At70And67WithoutBreakingSurrogatePairs) {
  const std::string han = "資";  // one BMP character
  EXPECT_EQ(EncodeSubmit(Num("+886912345678"), Repeat(han, 70), 1, {})->parts.size(), 1u);
  auto two = EncodeSubmit(Num("+886912345678"), Repeat(han, 71), 1, {});
  ASSERT_EQ(two->parts.size(), 2u);
  EXPECT_EQ(two->parts[0].text, Repeat(han, 67));
  // 66 units then a surrogate pair: 68 units would not fit in 67, so the pair moves.
  auto pair = EncodeSubmit(Num("+886912345678"), Repeat(han, 66) + "😀" + Repeat(han, 4), 1, {});
  ASSERT_EQ(pair->parts.size(), 2u);
  EXPECT_EQ(pair->parts[0].text, Repeat(han, 66));
  EXPECT_EQ(pair->parts[1].text, "😀" + Repeat(han, 4));
}

TEST(PduTest, RefusesBadInput) {
  EXPECT_EQ(EncodeSubmit(Num("+886912345678"), "", 1, {}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(EncodeSubmit(Num("+886912345678"), "\xC3\x28", 1, {}).status().code(),
            StatusCode::kInvalidArgument);
  SubmitOptions o;
  o.max_parts = 2;
  auto r = EncodeSubmit(Num("+886912345678"), Repeat("資", 200), 1, o);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("3 SMS parts"), std::string::npos);
}

TEST(PduTest, ConcatReferenceIsKeptAndDeterministic) {
  auto a = EncodeSubmit(Num("+886912345678"), Repeat("資安事件", 40), 0x42, {});
  auto b = EncodeSubmit(Num("+886912345678"), Repeat("資安事件", 40), 0x42, {});
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->parts.size(), b->parts.size());
  for (size_t i = 0; i < a->parts.size(); ++i) {
    EXPECT_EQ(a->parts[i].pdu_hex, b->parts[i].pdu_hex);
    EXPECT_EQ(DecodeSubmitPdu(*FromHex(a->parts[i].pdu_hex))->concat->ref, 0x42);
  }
}

TEST(PduGammuTest, ShortAscii) { CrossCheck("+886912345678", "lifeline test 1", Coding::kGsm7, 1); }

TEST(PduGammuTest, GsmSpecialsAndExtension) {
  CrossCheck("0912345678",
             "@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ!\"#¤%&'()*+,-./:;<=>?¡ÄÖÑÜ§¿äöñüà{}[]~\\|^€",
             Coding::kGsm7, 1);
}

TEST(PduGammuTest, LongGsm7Concatenated) {
  CrossCheck("+886912345678", Repeat("Incident level 3 at agency X; site down. ", 12),
             Coding::kGsm7, 4);
}

TEST(PduGammuTest, LongGsm7WithExtensionAtBoundaries) {
  CrossCheck("+886912345678", Repeat("a", 152) + "€[]" + Repeat("b", 150) + "{|}", Coding::kGsm7,
             3);
}

TEST(PduGammuTest, TraditionalChineseSingle) {
  CrossCheck("+886912345678", "資安事件通報：國家資通安全通報應變網站無法連線，改以簡訊通報。",
             Coding::kUcs2, 1);
}

TEST(PduGammuTest, TraditionalChineseConcatenated) {
  const std::string text =
      "【資安事件通報】機關名稱：測試機關；事件等級：第三級；知悉時間：2026-11-21 09:58（+08:00）；"
      "影響範圍：對外服務網站無法存取，疑似遭受勒索軟體攻擊。無法經由國家資通安全通報應變網站通報，"
      "原因：機房市電中斷、對外網路斷線。聯絡人：資安長，電話請見通報單。本簡訊由 lifeline "
      "自動發送。";
  CrossCheck("+886912345678", text, Coding::kUcs2, 3);
}

TEST(PduGammuTest, SurrogatePairsAcrossBoundaries) {
  CrossCheck("+886912345678", Repeat("資", 66) + "😀𠮷" + Repeat("安", 65) + "🚨", Coding::kUcs2, 3);
}

TEST(PduGammuTest, ValidityPeriodReadBack) {
  SubmitOptions o;
  o.validity = std::chrono::hours(24 * 4);
  auto msg = EncodeSubmit(Num("+886912345678"), "vp", 0, o);
  auto d = testing::GammuDecode({msg->parts[0].pdu_hex});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ((*d)[0]["validity"], "4D");
}

TEST(PduDecodeTest, RejectsMalformedSubmits) {
  auto good =
      *FromHex(EncodeSubmit(Num("+886912345678"), Repeat("資", 80), 9, {})->parts[0].pdu_hex);
  auto expect_bad = [](std::vector<uint8_t> b, const char* why) {
    EXPECT_FALSE(DecodeSubmitPdu(b).ok()) << why;
  };
  auto longer = good;
  longer.push_back(0);
  expect_bad(longer, "trailing octet");
  auto shorter = good;
  shorter.pop_back();
  expect_bad(shorter, "UDL larger than the data");
  auto bad_udhl = good;
  bad_udhl[bad_udhl.size() - 135] = 0x09;  // UDHL claims more than its elements
  expect_bad(bad_udhl, "UDH overrun");
  auto deliver = good;
  deliver[1] = (deliver[1] & ~0x03) | 0x00;
  expect_bad(deliver, "not a SUBMIT");
  expect_bad({}, "empty");
  expect_bad({0x00, 0x01}, "truncated");
  auto odd = *FromHex("0001000B916407281553F8000803004100");
  expect_bad(odd, "odd UCS-2");
}

TEST(PhoneNumberTest, ValidatesForms) {
  EXPECT_EQ(ParsePhoneNumber("+886 912-345-678")->ToString(), "+886912345678");
  EXPECT_EQ(ParsePhoneNumber("0912345678")->ToString(), "0912345678");
  EXPECT_FALSE(ParsePhoneNumber("+0912345678").ok());
  EXPECT_FALSE(ParsePhoneNumber("+12345").ok());
  EXPECT_FALSE(ParsePhoneNumber("+1234567890123456").ok());
  EXPECT_FALSE(ParsePhoneNumber("09x2").ok());
  EXPECT_FALSE(ParsePhoneNumber("").ok());
  EXPECT_FALSE(ParsePhoneNumber("+").ok());
  EXPECT_FALSE(ParsePhoneNumber("12").ok());
}

}  // namespace
}  // namespace lifeline::sms
