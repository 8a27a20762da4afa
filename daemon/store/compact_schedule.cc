#include "daemon/store/compact_schedule.h"

namespace lifeline {
namespace {

using nlohmann::json;

struct Part {
  const char* list;     // "deadlines" | "obligations"
  const char* instant;  // "at" | "due"
};
constexpr Part kParts[] = {{"deadlines", "at"}, {"obligations", "due"}};

}  // namespace

std::optional<CompactSchedule> SplitSchedule(const json& schedule) {
  if (!schedule.is_object()) return std::nullopt;
  json shape = schedule;
  json times = json::array();
  for (const Part& p : kParts) {
    auto list = shape.find(p.list);
    if (list == shape.end() || !list->is_array()) return std::nullopt;
    for (json& item : *list) {
      auto at = item.is_object() ? item.find(p.instant) : item.end();
      if (at == item.end() || !at->is_string()) return std::nullopt;
      times.push_back(std::move(*at));
      *at = nullptr;
    }
  }
  return CompactSchedule{shape.dump(), times.dump()};
}

json JoinSchedule(const std::string& shape_text, const std::string& times_text) {
  json shape = json::parse(shape_text, nullptr, false);
  json times = json::parse(times_text, nullptr, false);
  if (!shape.is_object() || !times.is_array()) return json(json::value_t::discarded);
  size_t next = 0;
  for (const Part& p : kParts) {
    for (json& item : shape[p.list]) {
      if (next == times.size()) return json(json::value_t::discarded);
      item[p.instant] = std::move(times[next++]);
    }
  }
  if (next != times.size()) return json(json::value_t::discarded);
  return shape;
}

}  // namespace lifeline
