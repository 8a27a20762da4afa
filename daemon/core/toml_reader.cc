// The TOML reader over toml++ (Debian's libtomlplusplus-dev, built with
// exceptions: they stop at Parse).
#include "daemon/core/toml_reader.h"

#include <algorithm>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <toml++/toml.h>

namespace lifeline {

struct TomlTable::Doc {
  toml::table root;
  std::string origin;
  // Values an Overlay copied in, with the file and line they came from: a
  // copied toml++ node loses its source region.
  std::map<const toml::node*, std::pair<std::string, int>> overlaid;
};

namespace {

const toml::table& AsTable(const void* p) { return *static_cast<const toml::table*>(p); }

std::string_view TypeName(const toml::node& n) {
  return toml::impl::node_type_friendly_names[static_cast<size_t>(n.type())];
}

// nullopt when `n` is or holds a date, a time or a date-time.
std::optional<nlohmann::json> NodeToJson(const toml::node& n) {
  if (n.is_string()) return nlohmann::json(n.as_string()->get());
  if (n.is_integer()) return nlohmann::json(n.as_integer()->get());
  if (n.is_floating_point()) return nlohmann::json(n.as_floating_point()->get());
  if (n.is_boolean()) return nlohmann::json(n.as_boolean()->get());
  if (const toml::array* a = n.as_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const toml::node& e : *a) {
      auto v = NodeToJson(e);
      if (!v) return std::nullopt;
      out.push_back(std::move(*v));
    }
    return out;
  }
  if (const toml::table* t = n.as_table()) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [k, v] : *t) {
      auto j = NodeToJson(v);
      if (!j) return std::nullopt;
      out[std::string(k.str())] = std::move(*j);
    }
    return out;
  }
  return std::nullopt;
}

}  // namespace

const void* TomlTable::Node(std::string_view key) const { return AsTable(table_).get(key); }

std::string TomlTable::Name(std::string_view key) const {
  if (path_.empty()) return std::string(key);
  return key.empty() ? path_ : path_ + "." + std::string(key);
}

std::string TomlTable::OriginOf(std::string_view key) const {
  const toml::node* n = key.empty() ? nullptr : static_cast<const toml::node*>(Node(key));
  if (auto it = doc_->overlaid.find(n); n && it != doc_->overlaid.end()) return it->second.first;
  const auto& src = (n ? *n : static_cast<const toml::node&>(AsTable(table_))).source();
  return src.path && !src.path->empty() ? *src.path : doc_->origin;
}

int TomlTable::LineOf(std::string_view key) const {
  const toml::node* n = key.empty() ? nullptr : static_cast<const toml::node*>(Node(key));
  if (auto it = doc_->overlaid.find(n); n && it != doc_->overlaid.end()) return it->second.second;
  return static_cast<int>((n ? *n : static_cast<const toml::node&>(AsTable(table_))).source().begin.line);
}

std::string TomlTable::Where(std::string_view key) const {
  return OriginOf(key) + ":" + std::to_string(LineOf(key)) + ": " + Name(key);
}

Status TomlTable::Error(std::string_view key, std::string_view message) const {
  return InvalidArgument(Where(key) + ": " + std::string(message));
}

Status TomlTable::TypeError(std::string_view key, std::string_view wanted) const {
  const auto* n = static_cast<const toml::node*>(Node(key));
  return Error(key, "must be " + std::string(wanted) + " (found " + std::string(TypeName(*n)) + ")");
}

bool TomlTable::Has(std::string_view key) const { return Node(key) != nullptr; }

std::vector<std::string> TomlTable::Keys() const {
  std::vector<std::string> keys;
  for (const auto& [k, v] : AsTable(table_)) keys.emplace_back(k.str());
  return keys;
}

Status TomlTable::OnlyKeys(std::initializer_list<std::string_view> allowed) const {
  for (const auto& [k, v] : AsTable(table_)) {
    if (std::find(allowed.begin(), allowed.end(), k.str()) == allowed.end()) return Error(k.str(), "unknown key");
  }
  return Status::Ok();
}

// The value of `key`, or nullptr with *absent saying whether that is an error.
const void* TomlTable::Present(std::string_view key, Need need, Status* absent) const {
  const void* n = Node(key);
  *absent = n || need == Need::kOptional ? Status::Ok() : Error(key, "missing");
  return n;
}

Status TomlTable::Get(std::string_view key, std::string* out, Need need) const {
  Status absent;
  const auto* n = static_cast<const toml::node*>(Present(key, need, &absent));
  if (!n) return absent;
  if (!n->is_string()) return TypeError(key, "a string");
  *out = n->as_string()->get();
  return Status::Ok();
}

Status TomlTable::Get(std::string_view key, int64_t* out, Need need) const {
  Status absent;
  const auto* n = static_cast<const toml::node*>(Present(key, need, &absent));
  if (!n) return absent;
  if (!n->is_integer()) return TypeError(key, "an integer");
  *out = n->as_integer()->get();
  return Status::Ok();
}

Status TomlTable::Get(std::string_view key, int* out, Need need) const {
  int64_t v = *out;
  LIFELINE_RETURN_IF_ERROR(Get(key, &v, need));
  if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max()) {
    return Error(key, "is out of range");
  }
  *out = static_cast<int>(v);
  return Status::Ok();
}

Status TomlTable::Get(std::string_view key, bool* out, Need need) const {
  Status absent;
  const auto* n = static_cast<const toml::node*>(Present(key, need, &absent));
  if (!n) return absent;
  if (!n->is_boolean()) return TypeError(key, "true or false");
  *out = n->as_boolean()->get();
  return Status::Ok();
}

Status TomlTable::Get(std::string_view key, double* out, Need need) const {
  Status absent;
  const auto* n = static_cast<const toml::node*>(Present(key, need, &absent));
  if (!n) return absent;
  if (n->is_integer()) *out = static_cast<double>(n->as_integer()->get());
  else if (n->is_floating_point()) *out = n->as_floating_point()->get();
  else return TypeError(key, "a number");
  return Status::Ok();
}

Status TomlTable::Get(std::string_view key, std::vector<std::string>* out, Need need) const {
  Status absent;
  const auto* n = static_cast<const toml::node*>(Present(key, need, &absent));
  if (!n) return absent;
  const toml::array* a = n->as_array();
  if (!a) return TypeError(key, "a list of strings");
  std::vector<std::string> v;
  for (const auto& e : *a) {
    if (!e.is_string()) return Error(key, "every element must be a string");
    v.push_back(e.as_string()->get());
  }
  *out = std::move(v);
  return Status::Ok();
}

Status TomlTable::Get(std::string_view key, std::vector<int64_t>* out, Need need) const {
  Status absent;
  const auto* n = static_cast<const toml::node*>(Present(key, need, &absent));
  if (!n) return absent;
  const toml::array* a = n->as_array();
  if (!a) return TypeError(key, "a list of integers");
  std::vector<int64_t> v;
  for (const auto& e : *a) {
    if (!e.is_integer()) return Error(key, "every element must be an integer");
    v.push_back(e.as_integer()->get());
  }
  *out = std::move(v);
  return Status::Ok();
}

Status TomlTable::NonEmpty(std::string_view key, std::string* out, Need need) const {
  std::string v = *out;
  LIFELINE_RETURN_IF_ERROR(Get(key, &v, need));
  if (Has(key) && v.empty()) return Error(key, "must not be empty");
  *out = std::move(v);
  return Status::Ok();
}

Status TomlTable::Text(std::string_view key, size_t max_bytes, std::string* out, Need need) const {
  std::string v = *out;
  LIFELINE_RETURN_IF_ERROR(Get(key, &v, need));
  if (Has(key) && (v.empty() || v.size() > max_bytes)) {
    return Error(key, "must be 1-" + std::to_string(max_bytes) + " bytes of text");
  }
  *out = std::move(v);
  return Status::Ok();
}

Status TomlTable::InRange(std::string_view key, int64_t min, int64_t max, int64_t* out, Need need) const {
  int64_t v = *out;
  LIFELINE_RETURN_IF_ERROR(Get(key, &v, need));
  if (Has(key) && (v < min || v > max)) {
    return Error(key, "must be " + std::to_string(min) + "-" + std::to_string(max));
  }
  *out = v;
  return Status::Ok();
}

Status TomlTable::InRange(std::string_view key, int min, int max, int* out, Need need) const {
  int64_t v = *out;
  LIFELINE_RETURN_IF_ERROR(InRange(key, min, max, &v, need));
  *out = static_cast<int>(v);
  return Status::Ok();
}

Result<std::optional<TomlTable>> TomlTable::Table(std::string_view key, Need need) const {
  const auto* n = static_cast<const toml::node*>(Node(key));
  if (!n) {
    if (need == Need::kRequired) return Error(key, "missing");
    return std::optional<TomlTable>();
  }
  if (!n->is_table()) return TypeError(key, "a table");
  return std::optional<TomlTable>(TomlTable(doc_, n->as_table(), Name(key)));
}

Result<std::vector<TomlTable>> TomlTable::Tables(std::string_view key, Need need, Numbering numbering) const {
  const auto* n = static_cast<const toml::node*>(Node(key));
  std::vector<TomlTable> out;
  if (!n) {
    if (need == Need::kRequired) return Error(key, "missing");
    return out;
  }
  const toml::array* a = n->as_array();
  if (!a || !std::all_of(a->begin(), a->end(), [](const toml::node& e) { return e.is_table(); })) {
    return Error(key, "must be a list of tables ([[" + std::string(key) + "]] or [{...}, ...])");
  }
  const size_t first = numbering == Numbering::kFromOne ? 1 : 0;
  for (size_t i = 0; i < a->size(); ++i) {
    out.push_back(TomlTable(doc_, a->get(i)->as_table(), Name(key) + "[" + std::to_string(first + i) + "]"));
  }
  return out;
}

Result<nlohmann::json> TomlTable::ToJson(std::string_view key) const {
  Status absent;
  const auto* n = static_cast<const toml::node*>(Present(key, Need::kRequired, &absent));
  if (!n) return absent;
  std::optional<nlohmann::json> j = NodeToJson(*n);
  if (!j) return Error(key, "dates and times must be written as RFC 3339 strings with an offset");
  return std::move(*j);
}

Result<TomlDocument> TomlDocument::Parse(std::string_view text, std::string_view origin) {
  auto doc = std::make_shared<TomlTable::Doc>();
  doc->origin = std::string(origin);
  try {
    doc->root = toml::parse(text, doc->origin);
  } catch (const toml::parse_error& e) {
    return InvalidArgument(doc->origin + ":" + std::to_string(e.source().begin.line) + ": " +
                           std::string(e.description()));
  }
  return TomlDocument(std::move(doc));
}

Result<TomlDocument> TomlDocument::ParseFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return Parse(ss.str(), path);
}

TomlTable TomlDocument::root() const { return TomlTable(doc_, &doc_->root, ""); }

namespace {

using Overlaid = std::map<const toml::node*, std::pair<std::string, int>>;

Status OverlayTable(toml::table& base, const toml::table& over, const std::string& origin, const std::string& prefix,
                    Overlaid* overlaid) {
  for (const auto& [k, v] : over) {
    std::string key = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    std::string where = origin + ":" + std::to_string(v.source().begin.line) + ": " + key;
    toml::node* target = base.get(k.str());
    if (!target) return InvalidArgument(where + ": unknown key");
    if (target->type() != v.type()) {
      return InvalidArgument(where + ": wrong type (expected " + std::string(TypeName(*target)) + ")");
    }
    if (v.is_table()) {
      LIFELINE_RETURN_IF_ERROR(OverlayTable(*target->as_table(), *v.as_table(), origin, key, overlaid));
    } else {
      overlaid->erase(target);
      base.insert_or_assign(k.str(), v);
      (*overlaid)[base.get(k.str())] = {origin, static_cast<int>(v.source().begin.line)};
    }
  }
  return Status::Ok();
}

}  // namespace

Status TomlDocument::Overlay(const TomlDocument& over) {
  return OverlayTable(doc_->root, over.doc_->root, over.doc_->origin, "", &doc_->overlaid);
}

}  // namespace lifeline
