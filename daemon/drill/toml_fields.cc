#include "daemon/drill/toml_fields.h"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace lifeline::drill {

Result<toml::table> ParseToml(std::string_view text, const std::string& origin) {
  try {
    return toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    return InvalidArgument(origin + ":" + std::to_string(e.source().begin.line) + ": " +
                           std::string(e.description()));
  }
}

Result<std::string> ReadTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot open " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return IoError("cannot read " + path);
  return ss.str();
}

bool IsSlugId(std::string_view s) {
  if (s.empty() || s.size() > 64 || s.front() == '-') return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

TomlFields::TomlFields(const toml::table& table, std::string origin, std::string prefix)
    : table_(table), origin_(std::move(origin)), prefix_(std::move(prefix)) {}

std::string TomlFields::KeyPath(std::string_view key) const {
  return prefix_.empty() ? std::string(key) : prefix_ + "." + std::string(key);
}

std::string TomlFields::Where(std::string_view key) const {
  const toml::node* n = table_.get(key);
  const auto line = (n != nullptr ? n->source() : table_.source()).begin.line;
  return origin_ + ":" + std::to_string(line) + ": " + KeyPath(key);
}

Status TomlFields::Error(std::string_view key, const std::string& why) const {
  return InvalidArgument(Where(key) + ": " + why);
}

const toml::node* TomlFields::Node(std::string_view key) {
  read_.insert(std::string(key));
  return table_.get(key);
}

Result<const toml::table*> TomlFields::Table(std::string_view key) {
  const toml::node* n = Node(key);
  if (n == nullptr) return Error(key, "missing: a [" + KeyPath(key) + "] table is required");
  if (!n->is_table()) return Error(key, "must be a table");
  return n->as_table();
}

Result<const toml::array*> TomlFields::TableArray(std::string_view key) {
  static const toml::array kEmpty;
  const toml::node* n = Node(key);
  if (n == nullptr) return &kEmpty;
  if (!n->is_array_of_tables()) return Error(key, "must be a list of tables ([[" + KeyPath(key) + "]])");
  return n->as_array();
}

Result<std::optional<std::string>> TomlFields::OptionalString(std::string_view key, size_t max_len) {
  const toml::node* n = Node(key);
  if (n == nullptr) return std::optional<std::string>();
  if (!n->is_string()) return Error(key, "must be a string");
  std::string v = **n->as_string();
  if (v.empty() || v.size() > max_len) {
    return Error(key, "must be 1-" + std::to_string(max_len) + " bytes of text");
  }
  return std::optional<std::string>(std::move(v));
}

Result<std::string> TomlFields::String(std::string_view key, size_t max_len) {
  auto v = OptionalString(key, max_len);
  if (!v.ok()) return v.status();
  if (!*v) return Error(key, "missing: a string is required");
  return **v;
}

Result<std::optional<int64_t>> TomlFields::OptionalInt(std::string_view key, int64_t min, int64_t max) {
  const toml::node* n = Node(key);
  if (n == nullptr) return std::optional<int64_t>();
  if (!n->is_integer()) return Error(key, "must be an integer");
  const int64_t v = **n->as_integer();
  if (v < min || v > max) {
    return Error(key, std::to_string(v) + " is out of range " + std::to_string(min) + "-" + std::to_string(max));
  }
  return std::optional<int64_t>(v);
}

Result<int64_t> TomlFields::Int(std::string_view key, int64_t min, int64_t max) {
  auto v = OptionalInt(key, min, max);
  if (!v.ok()) return v.status();
  if (!*v) return Error(key, "missing: an integer " + std::to_string(min) + "-" + std::to_string(max) + " is required");
  return **v;
}

Status TomlFields::Finish() const {
  for (const auto& [k, v] : table_) {
    if (!read_.count(k.str())) return Error(k.str(), "unknown key");
  }
  return Status::Ok();
}

}  // namespace lifeline::drill
