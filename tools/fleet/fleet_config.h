// lifeline-fleet's configuration (a TOML file, config/fleet.toml is the
// example): its own store, the agency it supervises and the units it
// expects, how long a unit may be silent, the rule set its review deadlines
// come from, and its broker. Every key is checked; an unknown key is an error.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "daemon/core/status.h"

namespace lifeline::fleet {

struct FleetConfig {
  std::string store_path;
  std::string agency;
  std::vector<std::string> units;  // expected units, flagged silent even before they first speak
  std::chrono::seconds silent_after{900};
  std::chrono::seconds review_reminder{1800};  // a review due within this is reminded of once
  std::chrono::seconds replay_wait{30};  // a unit asked to publish again is not asked again sooner
  size_t max_message_bytes = 64 * 1024;
  std::string rules_file;  // "" = the compiled-in rule set (its review_by deadlines)
  int time_scale = 1;      // divides the rule set's durations (tests and drills only)
  struct Broker {
    std::string host = "127.0.0.1", ca_file, cert_file, key_file, client_id;
    int port = 8883;
  } broker;
  // The agency's own program, run on each alert (a review due soon or late, a
  // unit silent or heard again, a gap asked for again) with the alert as JSON
  // on stdin, the way the box runs its hooks. "" = alerts are logged and kept
  // in the store only.
  struct Hooks {
    std::string program;
    std::chrono::seconds timeout{30};
  } hooks;
};

Result<FleetConfig> LoadFleetConfig(const std::string& path);

}  // namespace lifeline::fleet
