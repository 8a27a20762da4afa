// A blocking HTTP client for lifelined's Unix socket (libcurl), for the CLI.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "daemon/core/status.h"

namespace lifeline::cli {

struct ApiResponse {
  long status = 0;
  nlohmann::json body;  // discarded value when the body is not JSON
};

// `method` GET or POST; `body` sent as JSON when not empty.
Result<ApiResponse> CallDaemon(const std::string& socket_path, const std::string& method,
                               const std::string& path, const std::string& body);

}  // namespace lifeline::cli
