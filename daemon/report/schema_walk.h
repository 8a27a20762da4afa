// The validator's one walk: a JSON document against a compiled schema (the
// Draft 2020-12 keywords CompiledSchema knows), every problem with its JSON
// Pointer and a reason in zh-TW and English. Reasons come from the schema: a
// node's "title" names the field, its "x-message" {zh, en} replaces the
// reasons of everything that fails beneath it ("{value}" becomes the value).
// Pure; never throws on any document.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "daemon/report/report.h"
#include "daemon/report/schema_access.h"

namespace lifeline::report_internal {

// Every problem of `doc`, at most one per path (the first found), in walk order.
std::vector<ValidationProblem> WalkSchema(const CompiledSchema& schema, const nlohmann::json& doc);

// Parses `text` as JSON; on failure `problems` gets the one reason, path "".
bool ParseDocument(std::string_view text, nlohmann::json* doc, std::vector<ValidationProblem>* problems);

// "「value」", cut at 40 characters, for messages.
std::string Quote(const nlohmann::json& v);

// True for an integral number, including 1.0 (as JSON Schema counts it).
bool IsInteger(const nlohmann::json& v);

}  // namespace lifeline::report_internal
