#include "daemon/channels/sms/message_json.h"

namespace lifeline::sms {
namespace {

nlohmann::json PartJson(const PartRecord& p) {
  nlohmann::json j = {{"index", p.index},
                      {"state", PartStateName(p.state)},
                      {"attempts", p.attempts}};
  if (p.message_ref >= 0) j["message_ref"] = p.message_ref;
  if (p.sent_at) j["sent_at"] = FormatUtcMicros(*p.sent_at);
  if (p.error_code >= 0) j["error_code"] = p.error_code;
  if (!p.error_detail.empty()) j["error"] = p.error_detail;
  if (p.delivery) {
    j["delivery"] = DeliveryOutcomeName(*p.delivery);
    j["tp_st"] = p.report_status;
    if (p.discharge_time) j["discharge_time"] = FormatRfc3339(*p.discharge_time);
  }
  return j;
}

}  // namespace

nlohmann::json MessageJson(const MessageRecord& m) {
  nlohmann::json parts = nlohmann::json::array();
  for (const PartRecord& p : m.parts) parts.push_back(PartJson(p));
  nlohmann::json j = {{"message_id", m.id}, {"recipient", m.recipient}, {"parts", parts}};
  // The reference only means something when the handset has parts to join.
  if (m.parts.size() > 1) j["concat_ref"] = m.concat_ref;
  j["confirmed"] = m.Confirmed();
  return j;
}

}  // namespace lifeline::sms
