// site-sim's HTTP vocabulary on top of the tree's one HTTP/1.1 layer
// (daemon/http): the request and response types, the site API's JSON error
// body, and a writer that gives JSON as the default content type.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "daemon/http/http.h"

namespace sitesim {

using HttpRequest = lifeline::http::Request;
using HttpResponse = lifeline::http::Response;

// A report and its envelope fit in this; anything larger is refused with 413.
inline constexpr size_t kMaxBodyBytes = 4 * 1024 * 1024;

// The whole response on the wire; Content-Type defaults to application/json.
std::string SerializeResponse(HttpResponse r, bool keep_alive);

// {"error": code, "message": message} with the given status.
HttpResponse ErrorResponse(int status, std::string_view code, std::string_view message);

}  // namespace sitesim
