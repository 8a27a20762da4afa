#include "daemon/core/log.h"

#include <spdlog/sinks/daily_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <filesystem>

namespace lifeline {

Status InitLogging(std::string_view level, std::string_view program) {
  auto parsed = spdlog::level::from_str(std::string(level));
  if (parsed == spdlog::level::off && level != "off") {
    return InvalidArgument("unknown log level '" + std::string(level) +
                           "' (use trace, debug, info, warn, error or off)");
  }
  auto logger = spdlog::stderr_color_mt(std::string(program));
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %n[%P] %l: %v");
  logger->set_level(parsed);
  spdlog::set_default_logger(logger);
  return Status::Ok();
}

Status AddDailyLogFile(const std::string& dir, std::string_view program, int retention_days) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return IoError("cannot create log directory " + dir + ": " + ec.message());
  try {
    // A new file at midnight; spdlog deletes the oldest beyond max_files.
    auto sink = std::make_shared<spdlog::sinks::daily_file_sink_mt>(dir + "/" + std::string(program) + ".log", 0, 0,
                                                                    false, static_cast<uint16_t>(retention_days));
    sink->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %n[%P] %l: %v");
    spdlog::default_logger()->sinks().push_back(sink);
  } catch (const spdlog::spdlog_ex& e) {
    return IoError(std::string("cannot open the log file in ") + dir + ": " + e.what());
  }
  return Status::Ok();
}

}  // namespace lifeline
