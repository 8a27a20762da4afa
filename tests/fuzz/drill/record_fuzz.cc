// Any bytes as a drill record yield a record (then printed as HTML and CSV) or
// an error naming the JSON path, never a crash.
#include <cstdint>
#include <string_view>

#include "daemon/drill/drill_documents.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto r = lifeline::drill::ParseDrillRecord(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.json");
  if (r.ok()) {
    (void)lifeline::print::RenderHtml(lifeline::drill::TimeRecordDocument(*r));
    (void)lifeline::print::Csv(lifeline::drill::TimeRecordRows(*r));
  }
  return 0;
}
