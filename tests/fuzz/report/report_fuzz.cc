// Any byte string handed to the report validator yields a verdict, never a crash.
#include <cstdint>
#include <string_view>

#include "daemon/report/report.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto outcome = lifeline::ValidateReport(std::string_view(reinterpret_cast<const char*>(data), size));
  if (outcome.ok()) (void)outcome.report->Level();
  return 0;
}
