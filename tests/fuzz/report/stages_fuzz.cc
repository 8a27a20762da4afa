// Any byte string handed to the stage 2 and stage 3 validators yields a
// verdict, never a crash: each input is checked as both stages, against a
// report of the category the document names (so its pages are walked) and of
// another category.
#include <cstdint>
#include <string_view>

#include "daemon/report/report.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  std::string category = "other";
  if (doc.is_object() && doc.contains("category") && doc["category"].is_string()) {
    category = doc["category"].get<std::string>();
  }
  for (auto stage : {lifeline::Stage::kDamageControl, lifeline::Stage::kClosing}) {
    for (const std::string& c : {category, std::string("dos")}) {
      auto outcome = lifeline::ValidateStage(stage, text, {c, std::nullopt, 1});
      if (outcome.ok()) (void)outcome.record->at;
      (void)outcome.ToJson().dump();
    }
  }
  return 0;
}
