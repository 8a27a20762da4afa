// SMS-STATUS-REPORT (3GPP TS 23.040 §9.2.2.3): what the SMSC tells us about a
// part we sent, arriving as "+CDS: <len>" followed by the PDU. The decoder is
// the delivery evidence; the encoder exists for modem-sim. Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "daemon/channels/sms/phone_number.h"
#include "daemon/core/status.h"
#include "daemon/core/time_format.h"

namespace lifeline::sms {

enum class DeliveryOutcome {
  kDelivered,  // TP-ST 0x00..0x1F: the transaction completed
  kPending,    // 0x20..0x3F: the SMSC is still trying
  kFailed,     // 0x40..0x7F: permanent error, or temporary and the SMSC gave up
};

std::string_view DeliveryOutcomeName(DeliveryOutcome o);
DeliveryOutcome OutcomeFromStatus(uint8_t tp_st);
// TP-ST as evidence and logs show it: "0x41".
std::string StatusHex(uint8_t tp_st);

struct StatusReport {
  int message_ref = 0;  // the TP-MR that +CMGS returned for the part
  PhoneNumber recipient;
  OffsetTime sc_timestamp;    // when the SMSC received the part
  OffsetTime discharge_time;  // when it was delivered, or the failure was decided
  uint8_t status = 0;         // TP-ST as received
  DeliveryOutcome outcome = DeliveryOutcome::kDelivered;
};

// `pdu` starts with the SMSC field, as +CDS delivers it in PDU mode.
Result<StatusReport> DecodeStatusReportPdu(const std::vector<uint8_t>& pdu);
// Builds the bytes DecodeStatusReportPdu reads (SMSC field included).
std::vector<uint8_t> EncodeStatusReportPdu(const PhoneNumber& smsc, const StatusReport& report);

}  // namespace lifeline::sms
