// Any bytes as a scenario file (its report base is the sample report) yield a
// scenario or an error naming file and line, never a crash.
#include <cstdint>
#include <string>

#include "daemon/drill/scenario.h"

namespace {
const char* kReport = R"({"schema_version":"lifeline.report/1","id":"7c1e2f40-5b7a-4d3e-9a51-2f0c8e6d4b10",
"revision":1,"filed_at":"2026-11-21T10:05:00+08:00","aware_at":"2026-11-21T09:58:00+08:00",
"agency":{"name":"a","reviewing_agency":"b"},"reporter":{"name":"c","phone":"07-7995678","email":"x@example.gov.tw"},
"on_behalf_of":{"is_on_behalf":false},"soc":{"type":"none"},"maintenance_vendor":"無",
"discovered_at":"2026-11-21T09:41:00+08:00","category":"intrusion","anomalies":["malware_implanted"],
"description":"d","affects_others":{"affected":false,"sectors":[]},"source":{"type":"self_discovered"},
"impact":{"confidentiality":2,"integrity":3,"availability":1},"support":{"requested":false}})";
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto read = [](const std::string&) -> lifeline::Result<std::string> { return std::string(kReport); };
  auto s = lifeline::drill::ParseScenario(std::string(reinterpret_cast<const char*>(data), size), "fuzz.toml", read);
  if (s.ok()) (void)lifeline::drill::ScenarioToJson(*s).dump();
  return 0;
}
