// Any bytes as a revealed sealed plan: the seal check answers, never crashes.
#include <nlohmann/json.hpp>

#include <cstdint>

#include "daemon/drill/plan.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto j = nlohmann::json::parse(data, data + size, nullptr, false);
  if (j.is_discarded()) return 0;
  (void)lifeline::drill::CheckSeal(j, "").ok();
  return 0;
}
