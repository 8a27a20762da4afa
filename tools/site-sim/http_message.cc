#include "tools/site-sim/http_message.h"

#include <nlohmann/json.hpp>

namespace sitesim {

std::string SerializeResponse(HttpResponse r, bool keep_alive) {
  if (!r.headers.Has("content-type")) r.headers.Add("content-type", "application/json");
  r.close = !keep_alive;
  return lifeline::http::SerializeResponse(r);
}

HttpResponse ErrorResponse(int status, std::string_view code, std::string_view message) {
  HttpResponse r;
  r.status = status;
  r.headers.Add("content-type", "application/json");
  r.body = nlohmann::json{{"error", code}, {"message", message}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

}  // namespace sitesim
