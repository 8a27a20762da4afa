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

namespace {

void AppendKeyed(std::string& key, std::string_view text) {
  key += 's' + std::to_string(text.size()) + ':';
  key += text;
}

void AppendKeyed(std::string& key, const json& value) {
  if (value.is_string()) {
    AppendKeyed(key, std::string_view(value.get_ref<const std::string&>()));
  } else {
    std::string text = value.dump();
    key += 'v' + std::to_string(text.size()) + ':';
    key += text;
  }
}

}  // namespace

std::optional<ScheduleParts> DescribeSchedule(const json& schedule) {
  if (!schedule.is_object()) return std::nullopt;
  ScheduleParts parts;
  parts.shape_key.reserve(4096);
  json times = json::array();
  for (const Part& p : kParts) {
    auto list = schedule.find(p.list);
    if (list == schedule.end() || !list->is_array()) return std::nullopt;
  }
  // Object keys come in the same (sorted) order as in SplitSchedule's shape.
  for (const auto& [name, value] : schedule.items()) {
    AppendKeyed(parts.shape_key, std::string_view(name));
    const Part* part = nullptr;
    for (const Part& p : kParts) {
      if (name == p.list) part = &p;
    }
    if (!part) {
      AppendKeyed(parts.shape_key, value);
      continue;
    }
    parts.shape_key += '[' + std::to_string(value.size()) + ':';
    for (const json& item : value) {
      if (!item.is_object()) return std::nullopt;
      auto at = item.find(part->instant);
      if (at == item.end() || !at->is_string()) return std::nullopt;
      times.push_back(*at);
      parts.shape_key += '{' + std::to_string(item.size()) + ':';
      for (const auto& [field, v] : item.items()) {
        AppendKeyed(parts.shape_key, std::string_view(field));
        if (field == part->instant) parts.shape_key += 'n';
        else AppendKeyed(parts.shape_key, v);
      }
    }
  }
  parts.times = times.dump();
  return parts;
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
