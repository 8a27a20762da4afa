// SMS-SUBMIT encoding: choosing the alphabet, splitting into parts, building PDUs.
#include "daemon/channels/sms/pdu.h"

#include "daemon/channels/sms/gsm7.h"

namespace lifeline::sms {
namespace {

constexpr int kConcatUdhOctets = 6;  // UDHL, IEI 00, IEL 3, ref, total, seq
constexpr int kGsmConcatSeptets = kMaxSeptets - (kConcatUdhOctets * 8 + 6) / 7;  // 153
constexpr int kUcs2Units = kMaxOctets / 2;                                       // 70
constexpr int kUcs2ConcatUnits = (kMaxOctets - kConcatUdhOctets) / 2;            // 67

constexpr uint8_t kMtiSubmit = 0x01;
constexpr uint8_t kVpfRelative = 0x10;
constexpr uint8_t kSrr = 0x20;
constexpr uint8_t kUdhi = 0x40;
constexpr uint8_t kDcsGsm7 = 0x00;
constexpr uint8_t kDcsUcs2 = 0x08;

// One unit of splitting: the characters that travel together and their payload.
struct Chunk {
  std::u32string chars;
  std::vector<uint8_t> septets;  // GSM 7-bit: 1 or 2 septets (an escape pair stays whole)
  std::u16string units;          // UCS-2: 1 or 2 units (a surrogate pair stays whole)
  int cost() const { return septets.empty() ? int(units.size()) : int(septets.size()); }
};

std::vector<Chunk> Chunks(const std::u32string& text, Coding coding) {
  std::vector<Chunk> out;
  for (char32_t c : text) {
    Chunk k;
    k.chars.push_back(c);
    if (coding == Coding::kGsm7) {
      k.septets = *GsmSeptetsFor(c);
    } else {
      k.units = ToUtf16(std::u32string_view(&c, 1));
    }
    out.push_back(std::move(k));
  }
  return out;
}

// Greedy fill: each part takes whole chunks up to `capacity`.
std::vector<std::vector<Chunk>> Split(const std::vector<Chunk>& chunks, int single, int capacity) {
  int total = 0;
  for (const Chunk& k : chunks) total += k.cost();
  if (total <= single) return {chunks};
  std::vector<std::vector<Chunk>> parts(1);
  int used = 0;
  for (const Chunk& k : chunks) {
    if (used + k.cost() > capacity) {
      parts.emplace_back();
      used = 0;
    }
    parts.back().push_back(k);
    used += k.cost();
  }
  return parts;
}

struct UserData {
  int udl = 0;
  std::vector<uint8_t> bytes;
};

UserData BuildUserData(const std::vector<Chunk>& part, Coding coding,
                       const std::vector<uint8_t>& udh) {
  UserData ud;
  ud.bytes = udh;
  if (coding == Coding::kGsm7) {
    std::vector<uint8_t> septets;
    for (const Chunk& k : part) septets.insert(septets.end(), k.septets.begin(), k.septets.end());
    const int udh_septets = (int(udh.size()) * 8 + 6) / 7;
    const int fill = udh_septets * 7 - int(udh.size()) * 8;
    const auto packed = PackSeptets(septets, fill);
    ud.bytes.insert(ud.bytes.end(), packed.begin(), packed.end());
    ud.udl = udh_septets + int(septets.size());
  } else {
    for (const Chunk& k : part) {
      for (char16_t u : k.units) {
        ud.bytes.push_back(static_cast<uint8_t>(u >> 8));
        ud.bytes.push_back(static_cast<uint8_t>(u & 0xFF));
      }
    }
    ud.udl = int(ud.bytes.size());
  }
  return ud;
}

SubmitPart BuildPart(const PhoneNumber& to, const std::vector<Chunk>& chunks, Coding coding,
                     const std::vector<uint8_t>& udh, const SubmitOptions& options) {
  std::vector<uint8_t> pdu = {0x00};  // SMSC: the one stored in the modem
  uint8_t first = kMtiSubmit;
  if (options.validity) first |= kVpfRelative;
  if (options.request_status_report) first |= kSrr;
  if (!udh.empty()) first |= kUdhi;
  pdu.push_back(first);
  pdu.push_back(0x00);  // TP-MR: the modem assigns it and reports it in +CMGS
  const auto da = EncodeAddress(to);
  pdu.insert(pdu.end(), da.begin(), da.end());
  pdu.push_back(0x00);  // TP-PID: plain SME-to-SME
  pdu.push_back(coding == Coding::kGsm7 ? kDcsGsm7 : kDcsUcs2);
  if (options.validity) pdu.push_back(RelativeValidityOctet(*options.validity));
  const UserData ud = BuildUserData(chunks, coding, udh);
  pdu.push_back(static_cast<uint8_t>(ud.udl));
  pdu.insert(pdu.end(), ud.bytes.begin(), ud.bytes.end());
  SubmitPart part;
  part.pdu_hex = ToHex(pdu);
  part.tpdu_length = int(pdu.size()) - 1;
  std::u32string text;
  for (const Chunk& k : chunks) text += k.chars;
  part.text = EncodeUtf8(text);
  return part;
}

}  // namespace

uint8_t RelativeValidityOctet(std::chrono::minutes validity) {
  const int64_t m = std::max<int64_t>(validity.count(), 5);
  constexpr int64_t kHour = 60, kDay = 24 * kHour, kWeek = 7 * kDay;
  if (m <= 12 * kHour) return static_cast<uint8_t>((m + 4) / 5 - 1);
  if (m <= kDay) return static_cast<uint8_t>(143 + (m - 12 * kHour + 29) / 30);
  if (m <= 30 * kDay) return static_cast<uint8_t>(166 + (m + kDay - 1) / kDay);
  const int64_t weeks = std::min<int64_t>((m + kWeek - 1) / kWeek, 63);
  return static_cast<uint8_t>(192 + std::max<int64_t>(weeks, 5));
}

Result<EncodedMessage> EncodeSubmit(const PhoneNumber& to, std::string_view utf8_text,
                                    uint8_t concat_ref, const SubmitOptions& options) {
  auto text = DecodeUtf8(utf8_text);
  if (!text.ok()) return text.status();
  if (text->empty()) return InvalidArgument("SMS text is empty");
  EncodedMessage msg;
  msg.coding = FitsGsm7(*text) ? Coding::kGsm7 : Coding::kUcs2;
  msg.concat_ref = concat_ref;
  const bool gsm = msg.coding == Coding::kGsm7;
  const auto parts = Split(Chunks(*text, msg.coding), gsm ? kMaxSeptets : kUcs2Units,
                           gsm ? kGsmConcatSeptets : kUcs2ConcatUnits);
  if (int(parts.size()) > options.max_parts || parts.size() > 255) {
    return InvalidArgument("text needs " + std::to_string(parts.size()) +
                           " SMS parts, more than the limit of " +
                           std::to_string(options.max_parts));
  }
  const int count = int(parts.size());
  for (int i = 0; i < count; ++i) {
    std::vector<uint8_t> udh;
    if (count > 1) {
      udh = {0x05, 0x00, 0x03, concat_ref, uint8_t(count), uint8_t(i + 1)};
    }
    SubmitPart part = BuildPart(to, parts[i], msg.coding, udh, options);
    part.index = i + 1;
    part.count = count;
    msg.parts.push_back(std::move(part));
  }
  return msg;
}

}  // namespace lifeline::sms
