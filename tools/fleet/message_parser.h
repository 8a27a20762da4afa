// What the supervising agency accepts from a box (lifeline.fleet/1,
// proto/fleet.md): the topic names the agency and the unit (the broker's ACL
// ties the unit to the box's certificate), the payload must agree with it.
// Anything else (too large, not UTF-8, not JSON, a field missing or of the
// wrong type, another agency) is refused with the reason. Pure.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "daemon/core/status.h"

namespace lifeline::fleet {

struct ParseLimits {
  std::string agency;               // the only agency this view accepts
  size_t max_bytes = 64 * 1024;     // a payload larger than this is refused unread
};

struct UnitMessage {
  std::string unit;
  std::string kind;       // report | notice | health | drill | heartbeat
  int64_t seq = 0;        // the box's journal sequence; 0 for a heartbeat
  std::string at;         // the box's journal time
  std::string type;       // the journal entry's type ("" for a heartbeat)
  std::string report_id;  // for report and notice
  std::string category;
  int level = 0;          // 0 = not carried
  bool drill = false;
  nlohmann::json detail;  // the entry's payload (an object)
  // No entry the agency hears lies between after_seq and seq (entries); the
  // last heard entry the box published (heartbeats). -1 when not carried.
  int64_t after_seq = -1, heard_seq = -1;
  std::string payload;    // the message as received, kept for the record
};

// kInvalidArgument with the reason for anything not a well-formed message of `limits.agency`.
Result<UnitMessage> ParseUnitMessage(std::string_view topic, std::string_view payload, const ParseLimits& limits);

}  // namespace lifeline::fleet
