#include "daemon/channels/sms/status_report.h"

#include "daemon/channels/sms/pdu.h"

namespace lifeline::sms {
namespace {

constexpr uint8_t kMtiStatusReport = 0x02;

Status SkipSmsc(const std::vector<uint8_t>& pdu, size_t* pos) {
  if (pdu.empty()) return InvalidArgument("status report is empty");
  const size_t len = pdu[0];
  if (len > 11 || 1 + len > pdu.size()) return InvalidArgument("SMSC field malformed");
  *pos = 1 + len;
  return Status::Ok();
}

}  // namespace

std::string_view DeliveryOutcomeName(DeliveryOutcome o) {
  switch (o) {
    case DeliveryOutcome::kDelivered:
      return "delivered";
    case DeliveryOutcome::kPending:
      return "pending";
    case DeliveryOutcome::kFailed:
      return "failed";
  }
  return "unknown";
}

DeliveryOutcome OutcomeFromStatus(uint8_t tp_st) {
  if (tp_st <= 0x1F) return DeliveryOutcome::kDelivered;
  if (tp_st <= 0x3F) return DeliveryOutcome::kPending;
  return DeliveryOutcome::kFailed;
}

std::string StatusHex(uint8_t tp_st) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  return std::string("0x") + kDigits[tp_st >> 4] + kDigits[tp_st & 0x0F];
}

Result<StatusReport> DecodeStatusReportPdu(const std::vector<uint8_t>& pdu) {
  size_t pos = 0;
  LIFELINE_RETURN_IF_ERROR(SkipSmsc(pdu, &pos));
  if (pos + 2 > pdu.size()) return InvalidArgument("status report truncated before TP-MR");
  if ((pdu[pos] & 0x03) != kMtiStatusReport) {
    return InvalidArgument("not an SMS-STATUS-REPORT (TP-MTI)");
  }
  StatusReport r;
  r.message_ref = pdu[pos + 1];
  pos += 2;
  auto recipient = DecodeAddress(pdu, &pos);
  if (!recipient.ok()) return recipient.status();
  r.recipient = *recipient;
  auto scts = DecodeTimestamp(pdu, &pos);
  if (!scts.ok()) return scts.status();
  auto dt = DecodeTimestamp(pdu, &pos);
  if (!dt.ok()) return dt.status();
  if (pos >= pdu.size()) return InvalidArgument("status report truncated before TP-ST");
  r.sc_timestamp = *scts;
  r.discharge_time = *dt;
  r.status = pdu[pos];
  if (r.status > 0x7F) return InvalidArgument("reserved TP-ST value");
  r.outcome = OutcomeFromStatus(r.status);
  // Optional TP-PI and its fields may follow; the evidence we need ends here.
  return r;
}

std::vector<uint8_t> EncodeStatusReportPdu(const PhoneNumber& smsc, const StatusReport& report) {
  std::vector<uint8_t> out;
  auto sca = EncodeAddress(smsc);
  sca[0] = static_cast<uint8_t>(sca.size() - 1);  // SMSC length counts octets, not digits
  out.insert(out.end(), sca.begin(), sca.end());
  out.push_back(kMtiStatusReport);
  out.push_back(static_cast<uint8_t>(report.message_ref));
  const auto ra = EncodeAddress(report.recipient);
  out.insert(out.end(), ra.begin(), ra.end());
  const auto scts = EncodeTimestamp(report.sc_timestamp);
  out.insert(out.end(), scts.begin(), scts.end());
  const auto dt = EncodeTimestamp(report.discharge_time);
  out.insert(out.end(), dt.begin(), dt.end());
  out.push_back(report.status);
  return out;
}

}  // namespace lifeline::sms
