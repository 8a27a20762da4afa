// Fuzzes lifelined's configuration loader with arbitrary bytes as the override
// file (TOML over the embedded defaults). It must never crash or throw; the
// same bytes must give the same outcome twice; a refusal must name the file it
// refuses; an accepted configuration must hold the bounds the loader promises.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "daemon/config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto first = lifeline::LoadConfig(text, "fuzz.toml");
  auto second = lifeline::LoadConfig(text, "fuzz.toml");
  if (first.ok() != second.ok()) __builtin_trap();
  if (!first.ok()) {
    if (first.status().ToString() != second.status().ToString()) __builtin_trap();
    if (first.status().ToString().find("fuzz.toml") == std::string::npos) __builtin_trap();
    return 0;
  }
  const lifeline::Config& c = *first;
  if (c.time_scale < 1 || c.time_scale > 3600) __builtin_trap();
  if (c.fax.max_attempts < 1 || c.fax.max_attempts > 20) __builtin_trap();
  if (c.state_dir.empty() || c.socket_path.empty()) __builtin_trap();
  return 0;
}
