#include "daemon/report/schema_access.h"

#include <map>
#include <mutex>
#include <string_view>
#include <unordered_map>

#include "daemon/report/report.h"

namespace lifeline {
namespace embedded {
extern const std::string_view report_schema;
}  // namespace embedded

std::string_view ReportSchemaText() { return embedded::report_schema; }

namespace report_internal {

const nlohmann::json& Schema() {
  static const nlohmann::json schema = nlohmann::json::parse(embedded::report_schema);
  return schema;
}

static nlohmann::json Resolve(std::string_view pointer) {
  nlohmann::json node = Schema().at(nlohmann::json::json_pointer(std::string(pointer)));
  auto ref = node.find("$ref");
  if (ref != node.end()) {
    std::string target = ref->get<std::string>().substr(1);  // "#/$defs/x" -> "/$defs/x"
    nlohmann::json merged = Schema().at(nlohmann::json::json_pointer(target));
    for (auto& [k, v] : node.items()) {
      if (k != "$ref") merged[k] = v;
    }
    return merged;
  }
  return node;
}

namespace {

// Schema pointers share long prefixes ("/properties/incident/properties/..."):
// hashing them is cheaper than the comparisons of an ordered map.
struct PointerHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

}  // namespace

const nlohmann::json& Node(std::string_view pointer) {
  static std::mutex mu;  // guards cache: validation may run on several threads
  static std::unordered_map<std::string, nlohmann::json, PointerHash, std::equal_to<>> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(pointer);
  if (it == cache.end()) it = cache.emplace(std::string(pointer), Resolve(pointer)).first;
  return it->second;  // unordered_map nodes never move, so the reference stays valid
}

const std::regex& Pattern(const std::string& pattern) {
  // The schema has a handful of patterns; this cache never grows past them.
  static std::mutex mu;  // guards cache: validation may run on the worker and the CLI
  static std::map<std::string, std::regex> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(pattern);
  if (it == cache.end()) {
    it = cache.emplace(pattern, std::regex(pattern, std::regex::ECMAScript)).first;
  }
  return it->second;
}

}  // namespace report_internal

static std::string Label(std::string_view group, std::string_view value, const char* lang) {
  const auto& labels = report_internal::Schema()["$defs"]["labels"];
  auto g = labels.find(std::string(group));
  if (g == labels.end()) return std::string(value);
  auto v = g->find(std::string(value));
  if (v == g->end() || !v->contains(lang)) return std::string(value);
  return (*v)[lang].get<std::string>();
}

std::string LabelZh(std::string_view group, std::string_view value) {
  return Label(group, value, "zh");
}
std::string LabelEn(std::string_view group, std::string_view value) {
  return Label(group, value, "en");
}

}  // namespace lifeline
