// MessageJson: one SMS message's delivery evidence as JSON (recipient, the
// concatenation reference, and per part its state, TP-MR, attempts, send
// time, last error and status report), for attempt records and the journal.
// Pure; the field names are what the console and the journal read.
#pragma once

#include <nlohmann/json.hpp>

#include "daemon/channels/sms/part_ledger.h"

namespace lifeline::sms {

nlohmann::json MessageJson(const MessageRecord& message);

}  // namespace lifeline::sms
