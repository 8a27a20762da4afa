// A compiled-in JSON Schema prepared once for the walk: the parsed document,
// every local "$ref" resolved to its target node, every pattern compiled, and
// the keywords it uses that the walk does not know. Immutable after first use,
// so one instance serves every thread; the three forms' schemas live here.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace lifeline::report_internal {

// One property name as a JSON Pointer token (RFC 6901 §3: "~" as "~0", "/" as "~1").
std::string EscapePointerToken(const std::string& key);

// What the walk needs of one schema node, found once when the schema is
// compiled: pointers into the parsed schema, null when a keyword is absent.
struct SchemaNode {
  const nlohmann::json* ref = nullptr;  // the "$ref" target, resolved
  const nlohmann::json *type = nullptr, *const_value = nullptr, *enum_values = nullptr;
  const nlohmann::json *properties = nullptr, *required = nullptr, *additional = nullptr;
  const nlohmann::json *items = nullptr, *contains = nullptr, *minimum = nullptr, *maximum = nullptr;
  const nlohmann::json *all_of = nullptr, *any_of = nullptr, *one_of = nullptr, *not_schema = nullptr;
  const nlohmann::json *if_schema = nullptr, *then_schema = nullptr, *else_schema = nullptr;
  const nlohmann::json* message = nullptr;  // "x-message"
  std::optional<size_t> min_length, max_length, min_items, max_items, min_properties;
  bool unique_items = false;
  std::optional<std::regex> pattern;
  std::string title, description, labels;  // labels: the "x-labels" group
};

class CompiledSchema {
 public:
  explicit CompiledSchema(std::string_view text);
  CompiledSchema(const CompiledSchema&) = delete;  // holds pointers into itself
  CompiledSchema& operator=(const CompiledSchema&) = delete;

  const nlohmann::json& root() const { return root_; }
  // What the walk needs of `node`, an object node of this schema.
  const SchemaNode& Info(const nlohmann::json& node) const;
  // The target of `node`'s "$ref", or nullptr when it has none.
  const nlohmann::json* RefTarget(const nlohmann::json& node) const;
  // "$defs/labels/<group>", where group may be a path ("records/web_attack");
  // nullptr when absent.
  const nlohmann::json* Labels(std::string_view group) const;
  // Keywords found in the schema that the walk does not implement, and $refs
  // that resolve to nothing, as "<pointer>: <keyword>". Empty for a shipped schema.
  const std::vector<std::string>& defects() const { return defects_; }

 private:
  void Compile(const nlohmann::json& node, const std::string& pointer);
  void Describe(const nlohmann::json& node, const std::string& pointer);

  nlohmann::json root_;
  std::unordered_map<const nlohmann::json*, SchemaNode> nodes_;
  std::vector<std::string> defects_;
};

// The three forms: stage 1 (proto/report.schema.json), stage 2
// (proto/damage-control.schema.json), stage 3 (proto/closing.schema.json).
const CompiledSchema& ReportSchema();
const CompiledSchema& DamageControlSchema();
const CompiledSchema& ClosingSchema();

// The zh-TW ("zh") or English ("en") label of `value` in `group` of `schema`'s
// labels, or the value itself when there is none.
std::string Label(const CompiledSchema& schema, std::string_view group, std::string_view value,
                  const char* lang);

}  // namespace lifeline::report_internal
