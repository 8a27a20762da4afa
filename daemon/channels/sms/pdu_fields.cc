// The field codecs shared by SUBMIT and STATUS-REPORT: hex, addresses, time stamps.
#include <chrono>

#include "daemon/channels/sms/gsm7.h"
#include "daemon/channels/sms/pdu.h"

namespace lifeline::sms {
namespace {

constexpr char kHexDigits[] = "0123456789ABCDEF";
// Semi-octet values 0xA..0xE per 23.040 §9.1.2.3; 0xF is the filler.
constexpr char kSemiOctet[] = "0123456789*#abc";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

uint8_t SwappedBcd(int value) {
  return static_cast<uint8_t>(((value % 10) << 4) | (value / 10 % 10));
}

// Reads a swapped-BCD octet; both nibbles must be decimal.
Result<int> ReadBcd(uint8_t octet) {
  const int lo = octet & 0x0F, hi = octet >> 4;
  if (lo > 9 || hi > 9) return InvalidArgument("time stamp octet is not decimal");
  return lo * 10 + hi;
}

constexpr uint8_t kToaInternational = 0x91;
constexpr uint8_t kToaUnknown = 0x81;
constexpr uint8_t kTypeMask = 0x70;
constexpr uint8_t kTypeInternational = 0x10;
constexpr uint8_t kTypeAlphanumeric = 0x50;

Result<PhoneNumber> DecodeAlphanumeric(const uint8_t* data, size_t octets, int semi_octets) {
  auto septets = UnpackSeptets(data, octets, semi_octets * 4 / 7, 0);
  if (!septets.ok()) return septets.status();
  auto text = GsmSeptetsToText(*septets);
  if (!text.ok()) return text.status();
  return PhoneNumber{EncodeUtf8(*text), false};
}

}  // namespace

std::string ToHex(const std::vector<uint8_t>& bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    out += kHexDigits[b >> 4];
    out += kHexDigits[b & 0x0F];
  }
  return out;
}

Result<std::vector<uint8_t>> FromHex(std::string_view hex) {
  if (hex.size() % 2 != 0) return InvalidArgument("hex string has an odd length");
  std::vector<uint8_t> out(hex.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    const int hi = HexValue(hex[2 * i]), lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return InvalidArgument("non-hex character at " + std::to_string(2 * i));
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return out;
}

std::vector<uint8_t> EncodeAddress(const PhoneNumber& number) {
  std::vector<uint8_t> out;
  out.push_back(static_cast<uint8_t>(number.digits.size()));
  out.push_back(number.international ? kToaInternational : kToaUnknown);
  for (size_t i = 0; i < number.digits.size(); i += 2) {
    const int lo = number.digits[i] - '0';
    const int hi = i + 1 < number.digits.size() ? number.digits[i + 1] - '0' : 0x0F;
    out.push_back(static_cast<uint8_t>(hi << 4 | lo));
  }
  return out;
}

Result<PhoneNumber> DecodeAddress(const std::vector<uint8_t>& pdu, size_t* pos) {
  if (*pos + 2 > pdu.size()) return InvalidArgument("address field truncated");
  const int semi_octets = pdu[*pos];
  const uint8_t toa = pdu[*pos + 1];
  const size_t octets = (semi_octets + 1) / 2;
  if (semi_octets > 20) return InvalidArgument("address longer than 20 digits");
  if ((toa & 0x80) == 0) return InvalidArgument("type-of-address lacks its high bit");
  if (*pos + 2 + octets > pdu.size()) return InvalidArgument("address digits truncated");
  const uint8_t* digits = pdu.data() + *pos + 2;
  *pos += 2 + octets;
  if ((toa & kTypeMask) == kTypeAlphanumeric)
    return DecodeAlphanumeric(digits, octets, semi_octets);
  PhoneNumber n;
  n.international = (toa & kTypeMask) == kTypeInternational;
  for (int i = 0; i < semi_octets; ++i) {
    const int v = i % 2 == 0 ? digits[i / 2] & 0x0F : digits[i / 2] >> 4;
    if (v == 0x0F) return InvalidArgument("filler inside address digits");
    n.digits += kSemiOctet[v];
  }
  if (semi_octets % 2 == 1 && (digits[octets - 1] >> 4) != 0x0F) {
    return InvalidArgument("odd-length address without its 0xF filler");
  }
  return n;
}

std::vector<uint8_t> EncodeTimestamp(const OffsetTime& t) {
  using namespace std::chrono;
  const auto local = t.instant + minutes(t.offset_minutes);
  const auto day = floor<days>(local);
  const year_month_day ymd(day);
  const hh_mm_ss hms(floor<seconds>(local - day));
  const int quarters = std::abs(t.offset_minutes) / 15;
  uint8_t tz = SwappedBcd(quarters);
  if (t.offset_minutes < 0) tz |= 0x08;
  return {SwappedBcd(int(ymd.year()) % 100),
          SwappedBcd(unsigned(ymd.month())),
          SwappedBcd(unsigned(ymd.day())),
          SwappedBcd(hms.hours().count()),
          SwappedBcd(hms.minutes().count()),
          SwappedBcd(int(hms.seconds().count())),
          tz};
}

Result<OffsetTime> DecodeTimestamp(const std::vector<uint8_t>& pdu, size_t* pos) {
  using namespace std::chrono;
  if (*pos + 7 > pdu.size()) return InvalidArgument("time stamp truncated");
  int f[6];
  for (int i = 0; i < 6; ++i) {
    auto v = ReadBcd(pdu[*pos + i]);
    if (!v.ok()) return v.status();
    f[i] = *v;
  }
  const uint8_t tz = pdu[*pos + 6];
  const int quarters = (tz & 0x07) * 10 + (tz >> 4);
  if ((tz >> 4) > 9 || quarters > 4 * 14) return InvalidArgument("time zone out of range");
  const year_month_day ymd{year(2000 + f[0]), month(f[1]), day(f[2])};
  if (!ymd.ok() || f[3] > 23 || f[4] > 59 || f[5] > 59) {
    return InvalidArgument("time stamp is not a valid date and time");
  }
  *pos += 7;
  const int offset = (tz & 0x08 ? -1 : 1) * quarters * 15;
  const auto local = sys_days(ymd) + hours(f[3]) + minutes(f[4]) + seconds(f[5]);
  return OffsetTime{WallTime(local - minutes(offset)), offset};
}

}  // namespace lifeline::sms
