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

// The same for an answer that is not JSON (a PDF, a bundle): its bytes as sent.
struct RawResponse {
  long status = 0;
  std::string body, content_type, bundle_sha256;  // the last from X-Bundle-SHA256
};
Result<RawResponse> CallDaemonRaw(const std::string& socket_path, const std::string& method, const std::string& path);

}  // namespace lifeline::cli
