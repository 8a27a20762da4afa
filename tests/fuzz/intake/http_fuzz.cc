// Any bytes fed to the HTTP request parser, whole or split at any point, give a
// request, a need for more, or an error — never a crash or a runaway buffer.
#include <cstdint>
#include <string_view>

#include "daemon/intake/http.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t split = size ? data[0] % (size + 1) : 0;
  lifeline::http::RequestParser p;
  size_t used = p.Feed(in.substr(0, split));
  if (p.state() == lifeline::http::RequestParser::State::kNeedMore) used += p.Feed(in.substr(used));
  if (used > size) __builtin_trap();
  if (p.state() == lifeline::http::RequestParser::State::kComplete &&
      p.request().body.size() > lifeline::http::kMaxBodyBytes) {
    __builtin_trap();
  }
  return 0;
}
