// Read-only access to the compiled-in report schema: resolved property nodes,
// compiled patterns and labels. Parsed once, on first use; thread-safe after.
#pragma once

#include <nlohmann/json.hpp>

#include <regex>
#include <string>
#include <string_view>

namespace lifeline::report_internal {

const nlohmann::json& Schema();
// The node at a JSON Pointer into the schema, with a "$ref" at that node
// replaced by its target merged under the node's own keywords. Resolved once
// per pointer and kept: validation looks the same few nodes up for every report.
const nlohmann::json& Node(std::string_view pointer);
// ECMAScript regex for a schema pattern; compiled once per pattern.
const std::regex& Pattern(const std::string& pattern);

}  // namespace lifeline::report_internal
