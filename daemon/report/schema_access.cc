#include "daemon/report/schema_access.h"

#include <set>

#include "daemon/report/report.h"

namespace lifeline {
namespace embedded {
extern const std::string_view report_schema;
extern const std::string_view damage_control_schema;
extern const std::string_view closing_schema;
}  // namespace embedded

std::string_view ReportSchemaText() { return embedded::report_schema; }
std::string_view DamageControlSchemaText() { return embedded::damage_control_schema; }
std::string_view ClosingSchemaText() { return embedded::closing_schema; }

namespace report_internal {
namespace {

using nlohmann::json;

// The keywords the walk (schema_walk.cc) implements or may ignore. Anything
// else in a schema is a defect: python3-jsonschema would apply it and the walk
// would not, and the two would disagree on some document.
const std::set<std::string, std::less<>>& KnownKeywords() {
  static const std::set<std::string, std::less<>> known = {
      "$schema", "$id", "$defs", "$comment", "$ref", "title", "description", "default",
      "type", "enum", "const", "properties", "required", "additionalProperties",
      "minProperties", "items", "contains", "minItems", "maxItems", "uniqueItems",
      "minLength", "maxLength", "pattern", "minimum", "maximum", "allOf", "anyOf", "oneOf",
      "if", "then", "else", "not", "x-message", "x-labels"};
  return known;
}

bool IsSchemaValued(std::string_view k) {
  return k == "items" || k == "additionalProperties" || k == "if" || k == "then" || k == "else" ||
         k == "not" || k == "contains";
}

}  // namespace

std::string EscapePointerToken(const std::string& key) {
  std::string out;
  for (char c : key) out += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
  return out;
}

CompiledSchema::CompiledSchema(std::string_view text) : root_(json::parse(text)) {
  Compile(root_, "");
}

void CompiledSchema::Compile(const json& node, const std::string& ptr) {
  if (!node.is_object()) return;  // true/false schemas need nothing
  Describe(node, ptr);
  for (const auto& [k, v] : node.items()) {
    if (!KnownKeywords().count(k)) defects_.push_back(ptr + ": " + k);
    if (k == "properties" || k == "$defs") {
      for (const auto& [name, sub] : v.items()) {
        if (k == "$defs" && name == "labels") continue;  // data, not a schema
        Compile(sub, ptr + "/" + k + "/" + EscapePointerToken(name));
      }
    } else if (k == "allOf" || k == "anyOf" || k == "oneOf") {
      for (size_t i = 0; i < v.size(); ++i) Compile(v[i], ptr + "/" + k + "/" + std::to_string(i));
    } else if (IsSchemaValued(k)) {
      Compile(v, ptr + "/" + k);
    }
  }
}

// Records what the walk needs of one node, and whatever about it is malformed.
void CompiledSchema::Describe(const json& node, const std::string& ptr) {
  SchemaNode& n = nodes_[&node];
  auto at = [&](const char* key) -> const json* {
    auto it = node.find(key);
    return it == node.end() ? nullptr : &*it;
  };
  auto size = [&](const char* key) -> std::optional<size_t> {
    const json* v = at(key);
    if (v && !v->is_number_unsigned()) defects_.push_back(ptr + ": " + key + " is not a whole number");
    return v && v->is_number_unsigned() ? std::optional<size_t>(v->get<size_t>()) : std::nullopt;
  };
  auto text = [&](const char* key) { return at(key) && at(key)->is_string() ? at(key)->get<std::string>() : ""; };
  n.type = at("type"), n.const_value = at("const"), n.enum_values = at("enum");
  n.properties = at("properties"), n.required = at("required"), n.additional = at("additionalProperties");
  n.items = at("items"), n.contains = at("contains"), n.minimum = at("minimum"), n.maximum = at("maximum");
  n.all_of = at("allOf"), n.any_of = at("anyOf"), n.one_of = at("oneOf"), n.not_schema = at("not");
  n.if_schema = at("if"), n.then_schema = at("then"), n.else_schema = at("else"), n.message = at("x-message");
  n.min_length = size("minLength"), n.max_length = size("maxLength"), n.min_items = size("minItems");
  n.max_items = size("maxItems"), n.min_properties = size("minProperties");
  n.unique_items = at("uniqueItems") && *at("uniqueItems") == true;
  n.title = text("title"), n.description = text("description"), n.labels = text("x-labels");
  if (const json* p = at("pattern")) {
    if (p->is_string()) n.pattern.emplace(p->get<std::string>(), std::regex::ECMAScript);
    else defects_.push_back(ptr + ": pattern is not a string");
  }
  if (const json* r = at("$ref")) {
    std::string ref = r->is_string() ? r->get<std::string>() : "";
    json::json_pointer target(ref.rfind("#/", 0) == 0 ? ref.substr(1) : "/nonexistent~");
    if (ref.rfind("#/", 0) == 0 && root_.contains(target)) {
      n.ref = &root_.at(target);
    } else {
      defects_.push_back(ptr + ": $ref " + ref + " resolves to nothing");
    }
  }
}

const SchemaNode& CompiledSchema::Info(const json& node) const {
  static const SchemaNode kNothing;
  auto it = nodes_.find(&node);
  return it == nodes_.end() ? kNothing : it->second;
}

const json* CompiledSchema::RefTarget(const json& node) const { return Info(node).ref; }

const json* CompiledSchema::Labels(std::string_view group) const {
  auto defs = root_.find("$defs");
  if (defs == root_.end()) return nullptr;
  auto labels = defs->find("labels");
  if (labels == defs->end()) return nullptr;
  const json* at = &*labels;
  size_t start = 0;
  while (start <= group.size()) {
    size_t slash = std::min(group.find('/', start), group.size());
    auto it = at->find(std::string(group.substr(start, slash - start)));
    if (it == at->end()) return nullptr;
    at = &*it;
    start = slash + 1;
  }
  return at;
}

const CompiledSchema& ReportSchema() {
  static const CompiledSchema schema(embedded::report_schema);
  return schema;
}
const CompiledSchema& DamageControlSchema() {
  static const CompiledSchema schema(embedded::damage_control_schema);
  return schema;
}
const CompiledSchema& ClosingSchema() {
  static const CompiledSchema schema(embedded::closing_schema);
  return schema;
}

std::string Label(const CompiledSchema& schema, std::string_view group, std::string_view value,
                  const char* lang) {
  const json* g = schema.Labels(group);
  if (g == nullptr || !g->is_object()) return std::string(value);
  auto v = g->find(std::string(value));
  if (v == g->end() || !v->is_object() || !v->contains(lang)) return std::string(value);
  return (*v)[lang].get<std::string>();
}

}  // namespace report_internal

std::string LabelZh(std::string_view group, std::string_view value) {
  return report_internal::Label(report_internal::ReportSchema(), group, value, "zh");
}
std::string LabelEn(std::string_view group, std::string_view value) {
  return report_internal::Label(report_internal::ReportSchema(), group, value, "en");
}

}  // namespace lifeline
