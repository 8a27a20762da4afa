// Logging for lifeline's programs: spdlog to stderr (which systemd's journal
// captures), with a level chosen by configuration. Secrets are never passed here.
#pragma once

#include <spdlog/spdlog.h>

#include <string_view>

#include "daemon/core/status.h"

namespace lifeline {

// Accepts "trace", "debug", "info", "warn", "error", "off".
Status InitLogging(std::string_view level, std::string_view program);

}  // namespace lifeline
