// Strict SMS-SUBMIT decoding, used by modem-sim to reject malformed PDUs
// (+CMS ERROR 304) and by tests as the structural check beside gammu's decoder.
#include "daemon/channels/sms/gsm7.h"
#include "daemon/channels/sms/pdu.h"

namespace lifeline::sms {
namespace {

struct Cursor {
  const std::vector<uint8_t>& pdu;
  size_t pos = 0;
  Result<uint8_t> Next(const char* what) {
    if (pos >= pdu.size()) return InvalidArgument(std::string("PDU truncated before ") + what);
    return pdu[pos++];
  }
};

// Alphabet from TP-DCS (23.038 §4); compressed or reserved groups are refused.
Result<Coding> CodingFromDcs(uint8_t dcs) {
  if ((dcs & 0xC0) == 0x00) {
    if (dcs & 0x20) return InvalidArgument("compressed user data is not supported");
    switch ((dcs >> 2) & 0x03) {
      case 0:
        return Coding::kGsm7;
      case 2:
        return Coding::kUcs2;
      case 1:
        return InvalidArgument("8-bit data coding is not supported");
      default:
        return InvalidArgument("reserved alphabet in TP-DCS");
    }
  }
  if ((dcs & 0xF0) == 0xF0) {
    if (dcs & 0x04) return InvalidArgument("8-bit data coding is not supported");
    return Coding::kGsm7;
  }
  return InvalidArgument("unsupported TP-DCS group " + ToHex({dcs}));
}

// Walks the UDH information elements; they must tile UDHL exactly.
Result<std::optional<ConcatInfo>> ParseUdh(const uint8_t* udh, size_t len) {
  std::optional<ConcatInfo> concat;
  for (size_t i = 0; i < len;) {
    if (i + 2 > len) return InvalidArgument("UDH element header overruns UDHL");
    const uint8_t iei = udh[i], iel = udh[i + 1];
    if (i + 2 + iel > len) return InvalidArgument("UDH element overruns UDHL");
    const uint8_t* d = udh + i + 2;
    if (iei == 0x00 || iei == 0x08) {
      const size_t want = iei == 0x00 ? 3 : 4;
      if (iel != want) return InvalidArgument("concatenation element has wrong length");
      ConcatInfo c;
      c.ref = iei == 0x00 ? d[0] : (d[0] << 8 | d[1]);
      c.total = d[want - 2];
      c.seq = d[want - 1];
      if (c.total == 0 || c.seq == 0 || c.seq > c.total) {
        return InvalidArgument("concatenation sequence out of range");
      }
      concat = c;
    }
    i += 2 + iel;
  }
  return concat;
}

Status DecodeUserData(Cursor& in, bool udhi, DecodedSubmit* out) {
  auto udl = in.Next("TP-UDL");
  if (!udl.ok()) return udl.status();
  const uint8_t* ud = in.pdu.data() + in.pos;
  const size_t avail = in.pdu.size() - in.pos;
  const bool gsm = out->coding == Coding::kGsm7;
  const size_t octets = gsm ? (*udl * 7 + 7) / 8 : *udl;
  if (gsm && *udl > kMaxSeptets) return InvalidArgument("TP-UDL over 160 septets");
  if (octets > kMaxOctets) return InvalidArgument("user data over 140 octets");
  if (octets != avail) {
    return InvalidArgument("TP-UDL says " + std::to_string(octets) + " octets, PDU has " +
                           std::to_string(avail));
  }
  size_t udh_octets = 0;
  if (udhi) {
    if (avail == 0 || ud[0] + 1u > avail) return InvalidArgument("UDHL overruns user data");
    udh_octets = ud[0] + 1u;
    auto concat = ParseUdh(ud + 1, ud[0]);
    if (!concat.ok()) return concat.status();
    out->concat = *concat;
  }
  if (gsm) {
    const size_t udh_septets = (udh_octets * 8 + 6) / 7;
    if (udh_septets > *udl) return InvalidArgument("UDH longer than TP-UDL");
    const int fill = int(udh_septets * 7 - udh_octets * 8);
    auto septets = UnpackSeptets(ud + udh_octets, avail - udh_octets, *udl - udh_septets, fill);
    if (!septets.ok()) return septets.status();
    auto text = GsmSeptetsToText(*septets);
    if (!text.ok()) return text.status();
    out->text = *text;
  } else {
    if ((octets - udh_octets) % 2 != 0) return InvalidArgument("UCS-2 payload has odd length");
    std::u16string units;
    for (size_t i = udh_octets; i < octets; i += 2)
      units.push_back(char16_t(ud[i] << 8 | ud[i + 1]));
    auto text = FromUtf16(units);
    if (!text.ok()) return text.status();
    out->text = *text;
  }
  in.pos += octets;
  return Status::Ok();
}

Status SkipSmsc(Cursor& in) {
  auto len = in.Next("SMSC length");
  if (!len.ok()) return len.status();
  if (*len > 11) return InvalidArgument("SMSC field longer than 11 octets");
  if (in.pos + *len > in.pdu.size()) return InvalidArgument("SMSC field truncated");
  in.pos += *len;
  return Status::Ok();
}

Status DecodeValidity(Cursor& in, uint8_t first, DecodedSubmit* out) {
  switch ((first >> 3) & 0x03) {
    case 0:
      return Status::Ok();
    case 2: {
      auto vp = in.Next("TP-VP");
      if (!vp.ok()) return vp.status();
      out->validity_octet = *vp;
      return Status::Ok();
    }
    default:
      if (in.pos + 7 > in.pdu.size()) return InvalidArgument("TP-VP truncated");
      in.pos += 7;  // enhanced or absolute format: present but unused here
      return Status::Ok();
  }
}

}  // namespace

Result<DecodedSubmit> DecodeSubmitPdu(const std::vector<uint8_t>& pdu) {
  Cursor in{pdu};
  DecodedSubmit out;
  LIFELINE_RETURN_IF_ERROR(SkipSmsc(in));
  const size_t tpdu_start = in.pos;
  auto first = in.Next("first octet");
  if (!first.ok()) return first.status();
  if ((*first & 0x03) != 0x01) return InvalidArgument("not an SMS-SUBMIT (TP-MTI)");
  out.status_report_requested = (*first & 0x20) != 0;
  auto mr = in.Next("TP-MR");
  if (!mr.ok()) return mr.status();
  out.message_ref = *mr;
  auto to = DecodeAddress(pdu, &in.pos);
  if (!to.ok()) return to.status();
  out.to = *to;
  auto pid = in.Next("TP-PID");
  auto dcs = pid.ok() ? in.Next("TP-DCS") : pid;
  if (!dcs.ok()) return dcs.status();
  out.dcs = *dcs;
  auto coding = CodingFromDcs(*dcs);
  if (!coding.ok()) return coding.status();
  out.coding = *coding;
  LIFELINE_RETURN_IF_ERROR(DecodeValidity(in, *first, &out));
  LIFELINE_RETURN_IF_ERROR(DecodeUserData(in, (*first & 0x40) != 0, &out));
  out.tpdu_length = int(pdu.size() - tpdu_start);
  return out;
}

}  // namespace lifeline::sms
