// Logging for lifeline's programs: spdlog to stderr (which systemd's journal
// captures), and optionally to a daily file kept for a configured number of
// days, with a level chosen by configuration. Secrets are never passed here.
#pragma once

#include <spdlog/spdlog.h>

#include <string_view>

#include "daemon/core/status.h"

namespace lifeline {

// Accepts "trace", "debug", "info", "warn", "error", "off".
Status InitLogging(std::string_view level, std::string_view program);

// Also writes the log to DIR/PROGRAM_YYYY-MM-DD.log, a new file each day,
// deleting files older than `retention_days`. Call after InitLogging.
Status AddDailyLogFile(const std::string& dir, std::string_view program, int retention_days);

}  // namespace lifeline
