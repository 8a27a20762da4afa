// Any byte string handed to the evidence bundle reader yields a verdict with
// a reason, never a crash: as a whole bundle, as a bare ustar archive, and
// (when it looks like one) as a manifest.
#include <cstdint>
#include <string_view>

#include "daemon/evidence/evidence.h"
#include "daemon/evidence/ustar.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto verdict = lifeline::evidence::VerifyBundle(bytes, {});
  if (!verdict.ok && verdict.en.empty()) __builtin_trap();  // every refusal says why
  (void)lifeline::evidence::ReadUstar(bytes);
  if (!bytes.empty() && bytes[0] == '{') (void)lifeline::evidence::ParseManifest(bytes);
  return 0;
}
