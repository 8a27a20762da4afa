// Fuzzes site-sim's HTTP request parser: any bytes give need-more, an error
// status, or a request that consumed no more than it was given.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tools/site-sim/http_message.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  sitesim::HttpRequest req;
  sitesim::ParseResult r = sitesim::ParseHttpRequest(in, &req);
  if (r.state == sitesim::ParseState::kComplete && r.consumed > size) __builtin_trap();
  if (r.state == sitesim::ParseState::kError && r.error_status < 400) __builtin_trap();
  if (r.state == sitesim::ParseState::kComplete) {
    (void)req.Query("key");
    (void)req.Path();
  }
  return 0;
}
