// Any bytes fed to the HTTP parsers, whole or split at any point, give a
// message, a need for more, or an error — never a crash or a runaway buffer.
// Properties: the verdict does not depend on where the bytes were split; a
// parsed request written back out parses to the same request; a body never
// exceeds its cap.
#include <cstdint>
#include <string_view>

#include "daemon/http/http.h"

namespace {

using lifeline::http::RequestParser;

constexpr size_t kCap = 4096;

RequestParser ParseSplit(std::string_view in, size_t split, size_t* used) {
  RequestParser p([](const lifeline::http::Request&) { return kCap; });
  *used = p.Feed(in.substr(0, split));
  if (p.state() == RequestParser::State::kNeedMore) *used += p.Feed(in.substr(*used));
  return p;
}

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

void RoundTrip(const lifeline::http::Request& r) {
  lifeline::http::Request copy = r;
  copy.headers = {};
  for (const auto& [name, value] : r.headers.fields()) {
    if (name != "content-length" && name != "transfer-encoding") copy.headers.Add(name, value);
  }
  std::string wire = lifeline::http::SerializeRequest(copy, "fuzz");
  size_t used = 0;
  RequestParser again = ParseSplit(wire, wire.size(), &used);
  if (r.minor_version == 0) return;  // written back as 1.1; Host rules differ
  Check(again.state() == RequestParser::State::kComplete);
  Check(again.request().method == r.method && again.request().target == r.target);
  Check(again.request().body == r.body && used == wire.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t split = size ? data[0] % (size + 1) : 0;
  size_t used_split = 0, used_whole = 0;
  RequestParser a = ParseSplit(in, split, &used_split);
  RequestParser b = ParseSplit(in, in.size(), &used_whole);
  Check(used_split <= size && a.state() == b.state());
  if (a.state() == RequestParser::State::kError) Check(a.error_status() == b.error_status());
  if (a.state() == RequestParser::State::kComplete) {
    Check(used_split == used_whole && a.request().body == b.request().body);
    Check(a.request().body.size() <= kCap);
    RoundTrip(a.request());
  }
  lifeline::http::ResponseParser response(kCap);
  Check(response.Feed(in) <= size);
  response.Finish();
  if (response.state() == lifeline::http::ResponseParser::State::kComplete) {
    Check(response.response().body.size() <= kCap);
  }
  return 0;
}
