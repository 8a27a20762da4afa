// SMS-SUBMIT in PDU mode (3GPP TS 23.040 §9.2.2.2): splits a UTF-8 text into
// parts (GSM 7-bit where every character allows, else UCS-2; concatenated
// with an 8-bit-reference UDH) and encodes each; and the strict decoder that
// checks a SUBMIT the way a picky SMSC would. Pure functions, no state.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/channels/sms/phone_number.h"
#include "daemon/core/status.h"
#include "daemon/core/time_format.h"

namespace lifeline::sms {

// One TP-User-Data field holds at most 140 octets: 160 GSM 7-bit septets (TS 23.040 §9.2.3.24).
inline constexpr int kMaxOctets = 140;
inline constexpr int kMaxSeptets = 160;

enum class Coding { kGsm7, kUcs2 };

struct SubmitOptions {
  bool request_status_report = true;
  // Relative validity period; rounded up to the next value TP-VP can express
  // (5 min .. 63 weeks). Absent: no TP-VP, the SMSC's default applies.
  std::optional<std::chrono::minutes> validity;
  int max_parts = 16;  // longer texts are refused rather than sent as a flood
};

struct SubmitPart {
  int index = 1;  // 1-based
  int count = 1;
  std::string pdu_hex;  // upper-case hex, starting with "00" (use the modem's SMSC)
  int tpdu_length = 0;  // octets after the SMSC field: the <length> of AT+CMGS
  std::string text;     // UTF-8 carried by this part
};

struct EncodedMessage {
  Coding coding = Coding::kGsm7;
  uint8_t concat_ref = 0;  // meaningful only when parts.size() > 1
  std::vector<SubmitPart> parts;
};

// Deterministic: the same inputs give the same PDUs, so a message resumed after
// a crash carries the same concatenation reference and part boundaries.
Result<EncodedMessage> EncodeSubmit(const PhoneNumber& to, std::string_view utf8_text,
                                    uint8_t concat_ref, const SubmitOptions& options);

// TP-VP relative octet for a validity period (rounded up, clamped to 63 weeks).
uint8_t RelativeValidityOctet(std::chrono::minutes validity);

struct ConcatInfo {
  int ref = 0;  // 8- or 16-bit reference
  int total = 0;
  int seq = 0;
};

struct DecodedSubmit {
  PhoneNumber to;
  int message_ref = 0;
  bool status_report_requested = false;
  std::optional<uint8_t> validity_octet;
  uint8_t dcs = 0;
  Coding coding = Coding::kGsm7;
  std::optional<ConcatInfo> concat;
  std::u32string text;
  int tpdu_length = 0;
};

// Strict decode of a SUBMIT PDU as given to AT+CMGS (SMSC field first). Fails
// on anything a lenient decoder would paper over: UDL not matching the octets
// present, a UDH whose elements overrun it, odd UCS-2, user data over 140
// octets, trailing bytes, or 8-bit data (we never send it).
Result<DecodedSubmit> DecodeSubmitPdu(const std::vector<uint8_t>& pdu);

// Hex helpers; FromHex accepts either case and rejects odd lengths.
std::string ToHex(const std::vector<uint8_t>& bytes);
Result<std::vector<uint8_t>> FromHex(std::string_view hex);

// Address fields (TP-DA, TP-RA, SMSC): length, type-of-address, semi-octets.
std::vector<uint8_t> EncodeAddress(const PhoneNumber& number);
// Reads an address at `pos`, advancing it. Alphanumeric addresses come back in
// `digits` as text, with international = false.
Result<PhoneNumber> DecodeAddress(const std::vector<uint8_t>& pdu, size_t* pos);

// Service-centre time stamps (7 semi-octets with the zone in quarter hours).
std::vector<uint8_t> EncodeTimestamp(const OffsetTime& t);
Result<OffsetTime> DecodeTimestamp(const std::vector<uint8_t>& pdu, size_t* pos);

}  // namespace lifeline::sms
