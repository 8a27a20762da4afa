// lifeline-fleet's commands, each returning the exit status: 0 done,
// 1 refused (bad input, no such report), 2 configuration or environment error.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include "daemon/core/status.h"
#include "daemon/core/time_format.h"

namespace lifeline::fleet {

// Subscribes and keeps the view until SIGINT or SIGTERM; logs a unit gone silent once per silence.
int RunSubscriber(const std::string& config_file);
// The view: units, their reports with the time left to each review, refused messages.
int ShowStatus(const std::string& config_file, bool as_json);
// The view as one JSON object (what `status --json` prints), read from the
// store named by `config_file` without writing to it: for the box's console
// on the agency's own machine, beside a running `lifeline-fleet run`.
Result<nlohmann::json> ReadView(const std::string& config_file, WallTime now);
struct ReviewArgs {
  std::string unit, report_id, reason, by;
  std::optional<int> level;  // nullopt: kept
};
int RecordReview(const std::string& config_file, const ReviewArgs& args);

}  // namespace lifeline::fleet
