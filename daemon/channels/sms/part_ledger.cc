// The ledger's record types; the ledger itself lives with its owner (the store).
#include "daemon/channels/sms/part_ledger.h"

namespace lifeline::sms {

std::string_view PartStateName(PartState s) {
  switch (s) {
    case PartState::kNotSent:
      return "not_sent";
    case PartState::kSending:
      return "sending";
    case PartState::kSent:
      return "sent";
    case PartState::kFailed:
      return "failed";
  }
  return "unknown";
}

bool MessageRecord::AllSent() const {
  for (const PartRecord& p : parts) {
    if (p.state != PartState::kSent) return false;
  }
  return true;
}

bool MessageRecord::AnyFailed() const {
  for (const PartRecord& p : parts) {
    if (p.state == PartState::kFailed || p.delivery == DeliveryOutcome::kFailed) return true;
  }
  return false;
}

bool MessageRecord::Confirmed() const {
  for (const PartRecord& p : parts) {
    if (p.delivery != DeliveryOutcome::kDelivered) return false;
  }
  return !parts.empty();
}

std::optional<size_t> MessageRecord::FirstUnsent() const {
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].state == PartState::kNotSent || parts[i].state == PartState::kSending) return i;
  }
  return std::nullopt;
}

}  // namespace lifeline::sms
