// A compiled-in JSON Schema prepared once for the walk: the parsed document,
// every local "$ref" resolved to its target node, every pattern compiled, and
// the keywords it uses that the walk does not know. Immutable after first use,
// so one instance serves every thread; the three forms' schemas live here.
#pragma once

#include <nlohmann/json.hpp>

#include <regex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace lifeline::report_internal {

class CompiledSchema {
 public:
  explicit CompiledSchema(std::string_view text);
  CompiledSchema(const CompiledSchema&) = delete;  // holds pointers into itself
  CompiledSchema& operator=(const CompiledSchema&) = delete;

  const nlohmann::json& root() const { return root_; }
  // The target of `node`'s "$ref", or nullptr when it has none.
  const nlohmann::json* RefTarget(const nlohmann::json& node) const;
  // The compiled "pattern" of `node` (which must have one).
  const std::regex& Pattern(const nlohmann::json& node) const;
  // "$defs/labels/<group>", where group may be a path ("records/web_attack");
  // nullptr when absent.
  const nlohmann::json* Labels(std::string_view group) const;
  // Keywords found in the schema that the walk does not implement, and $refs
  // that resolve to nothing, as "<pointer>: <keyword>". Empty for a shipped schema.
  const std::vector<std::string>& defects() const { return defects_; }

 private:
  void Compile(const nlohmann::json& node, const std::string& pointer);

  nlohmann::json root_;
  std::unordered_map<const nlohmann::json*, const nlohmann::json*> refs_;
  std::unordered_map<const nlohmann::json*, std::regex> patterns_;
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
