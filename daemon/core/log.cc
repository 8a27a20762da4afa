#include "daemon/core/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>

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

}  // namespace lifeline
