// Runs Debian's python3-gammu decoder (gammu_decode.py) over PDUs, so tests
// compare our encoder against a decoder we did not write. Fails loudly, never
// skips, when /usr/bin/python3 or its gammu module is missing.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "daemon/core/status.h"

namespace lifeline::sms::testing {

// One JSON object per PDU, in order (see gammu_decode.py for the fields).
Result<std::vector<nlohmann::json>> GammuDecode(const std::vector<std::string>& pdus_hex);

}  // namespace lifeline::sms::testing
