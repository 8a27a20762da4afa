// Any bytes into the daemon's frame decoder, and every frame it yields through
// every payload parser: none may crash; an encode of a decoded frame decodes back.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "daemon/supervisor/wire.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lifeline::supervisor;
  FrameDecoder d;
  for (auto& r : d.Feed(data, size)) {
    if (!r.ok()) continue;
    (void)ParseHello(r->payload).ok();
    (void)ParseStatus(r->payload).ok();
    (void)ParseRtc(r->payload).ok();
    (void)ParseConfig(r->payload).ok();
    (void)ParseLog(r->payload).ok();
    (void)DescribeError(r->payload);
    auto again = EncodeFrame(*r);
    if (!again.ok()) std::abort();
    auto back = DecodeFrame(again->data(), again->size() - 1);
    if (!back.ok() || !(*back == *r)) std::abort();
  }
  return 0;
}
