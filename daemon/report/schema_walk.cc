#include "daemon/report/schema_walk.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace lifeline::report_internal {
namespace {

using nlohmann::json;

// No form nests deeper than a dozen levels; anything far deeper is refused
// before parsing, so neither the parser nor a message can exhaust the stack.
constexpr int kMaxDepth = 64;
// Every patterned field has a maxLength well below this (schema lint test);
// the regex never sees more, whatever the schema says.
constexpr size_t kMaxPatternBytes = 4096;

size_t CodePoints(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string TypeOf(const json& v) {
  if (v.is_string()) return "string";
  if (v.is_boolean()) return "boolean";
  if (IsInteger(v)) return "integer";
  if (v.is_number()) return "number";
  if (v.is_object()) return "object";
  if (v.is_array()) return "array";
  return "null";
}

bool TypeMatches(const std::string& want, const json& v) {
  if (want == "number") return v.is_number();
  return TypeOf(v) == want;
}

std::string TypeZh(const std::string& t) {
  if (t == "string") return "文字";
  if (t == "boolean") return "是/否 (true/false)";
  if (t == "integer") return "整數";
  if (t == "number") return "數字";
  if (t == "object") return "物件";
  if (t == "array") return "清單";
  return t;
}

std::string Number(const json& n) {
  return IsInteger(n) ? std::to_string(static_cast<long long>(n.get<double>())) : n.dump();
}

std::string Replace(std::string s, std::string_view from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

// std::regex reports a match it could not finish (complexity, stack) by
// throwing; such a value does not have the expected form.
bool Matches(const std::string& s, const std::regex& re) {
  try {
    return std::regex_search(s, re);
  } catch (const std::regex_error&) {
    return false;
  }
}

std::string Paren(const std::string& title) { return title.empty() ? "" : "（" + title + "）"; }

class Walk {
 public:
  // A loud walk (`out` set) records every problem; a silent one stops at the first.
  Walk(const CompiledSchema& s, std::vector<ValidationProblem>* out) : s_(s), out_(out) {}

  bool Eval(const json& node, const json& v, const std::string& path, const std::string& title);

 private:
  bool silent() const { return out_ == nullptr; }
  bool Fail(const std::string& path, std::string zh, std::string en) {
    if (out_) out_->push_back({path, std::move(zh), std::move(en)});
    return false;
  }
  bool Test(const json& node, const json& v) const { return Walk(s_, nullptr).Eval(node, v, "", ""); }
  std::string TitleOf(const json& sub, const std::string& key, const SchemaNode& parent) const;

  using Step = bool (Walk::*)(const SchemaNode&, const json&, const std::string&, const std::string&);
  bool Keywords(const SchemaNode& n, const json& v, const std::string& path, const std::string& title);
  bool Type(const SchemaNode& n, const json& v, const std::string& path, const std::string& title);
  bool Value(const SchemaNode& n, const json& v, const std::string& path, const std::string& title);
  bool String(const SchemaNode& n, const json& v, const std::string& path, const std::string& title);
  bool Range(const SchemaNode& n, const json& v, const std::string& path, const std::string& title);
  bool Object(const SchemaNode& n, const json& v, const std::string& path, const std::string& title);
  bool Array(const SchemaNode& n, const json& v, const std::string& path, const std::string& title);
  bool Combined(const SchemaNode& n, const json& v, const std::string& path, const std::string& title);
  void Rewrite(size_t mark, const json& message, const json& v, const std::string& path,
               const std::string& title);

  const CompiledSchema& s_;
  std::vector<ValidationProblem>* out_;
};

bool Walk::Eval(const json& node, const json& v, const std::string& path, const std::string& title) {
  if (node.is_boolean()) {
    return node.get<bool>() || Fail(path, "此情形下不可填寫此欄位" + Paren(title), "not allowed here");
  }
  if (!node.is_object()) return true;
  const SchemaNode& n = s_.Info(node);
  size_t mark = out_ ? out_->size() : 0;
  bool ok = Keywords(n, v, path, title);
  if (!ok && out_ && n.message) Rewrite(mark, *n.message, v, path, title);
  return ok;
}

// Each group of keywords in turn; a silent walk stops at the first failure, a
// loud one goes on so that every problem is found. A value of the wrong type
// stops here: nothing else said about it would help.
bool Walk::Keywords(const SchemaNode& n, const json& v, const std::string& path, const std::string& title) {
  bool ok = true;
  if (n.ref) {
    ok = Eval(*n.ref, v, path, title);
    if (!ok && silent()) return false;
  }
  if (!Type(n, v, path, title)) return false;
  static constexpr Step kSteps[] = {&Walk::Value, &Walk::String, &Walk::Range, &Walk::Object, &Walk::Array,
                                    &Walk::Combined};
  for (Step step : kSteps) {
    ok = (this->*step)(n, v, path, title) && ok;
    if (!ok && silent()) return false;
  }
  return ok;
}

bool Walk::Type(const SchemaNode& n, const json& v, const std::string& path, const std::string& title) {
  if (!n.type || !n.type->is_string()) return true;
  const std::string& want = n.type->get_ref<const std::string&>();
  if (TypeMatches(want, v)) return true;
  return Fail(path, "應為" + TypeZh(want) + Paren(title), "must be " + want + ", not " + TypeOf(v));
}

bool Walk::Value(const SchemaNode& n, const json& v, const std::string& path, const std::string& title) {
  if (n.const_value && v != *n.const_value) {
    return Fail(path, "應為 " + n.const_value->dump() + Paren(title), "must be " + n.const_value->dump());
  }
  const json* e = n.enum_values;
  if (!e || std::find(e->begin(), e->end(), v) != e->end()) return true;
  std::string allowed;
  for (const auto& option : *e) allowed += (allowed.empty() ? "" : ", ") + option.dump();
  return Fail(path, Quote(v) + "不是" + (title.empty() ? "此欄位" : title) + "的選項",
              "not one of: " + allowed);
}

bool Walk::String(const SchemaNode& n, const json& v, const std::string& path, const std::string& title) {
  if (!v.is_string() || (!n.min_length && !n.max_length && !n.pattern)) return true;
  const std::string& s = v.get_ref<const std::string&>();
  size_t count = CodePoints(s);
  if (n.min_length && count < *n.min_length) {
    size_t m = *n.min_length;
    return m == 1 ? Fail(path, title + "不可空白", "must not be empty")
                  : Fail(path, title + "至少 " + std::to_string(m) + " 字",
                         "shorter than " + std::to_string(m) + " characters");
  }
  if (n.max_length && count > *n.max_length) {
    std::string m = std::to_string(*n.max_length);
    return Fail(path, title + "超過 " + m + " 字（目前 " + std::to_string(count) + " 字）",
                "longer than " + m + " characters (" + std::to_string(count) + " given)");
  }
  if (!n.pattern) return true;
  if (s.size() <= kMaxPatternBytes && Matches(s, *n.pattern)) return true;
  return Fail(path, title + "格式不正確：" + Quote(v),
              "does not have the expected form" + (n.description.empty() ? "" : " (" + n.description + ")"));
}

bool Walk::Range(const SchemaNode& n, const json& v, const std::string& path, const std::string& title) {
  if (!v.is_number() || (!n.minimum && !n.maximum)) return true;
  bool low = n.minimum && v.get<double>() < n.minimum->get<double>();
  bool high = n.maximum && v.get<double>() > n.maximum->get<double>();
  if (!low && !high) return true;
  std::string zh = title + "超出範圍", en = "out of range";
  if (n.minimum) zh += "（最小 " + Number(*n.minimum), en += " (minimum " + Number(*n.minimum);
  if (n.maximum) {
    zh += std::string(n.minimum ? "，" : "（") + "最大 " + Number(*n.maximum);
    en += std::string(n.minimum ? ", " : " (") + "maximum " + Number(*n.maximum);
  }
  return Fail(path, zh + "）", en + ")");
}

std::string Walk::TitleOf(const json& sub, const std::string& key, const SchemaNode& parent) const {
  if (sub.is_object()) {
    const SchemaNode& n = s_.Info(sub);
    if (!n.title.empty()) return n.title;
    if (n.ref && !s_.Info(*n.ref).title.empty()) return s_.Info(*n.ref).title;
  }
  if (!parent.labels.empty()) {
    std::string label = Label(s_, parent.labels, key, "zh");
    if (label != key) return label;
  }
  return key;
}

bool Walk::Object(const SchemaNode& n, const json& v, const std::string& path, const std::string& title) {
  if (!v.is_object()) return true;
  static const json kEmpty = json::object();
  const json& props = n.properties ? *n.properties : kEmpty;
  bool ok = true;
  for (const auto& key : n.required ? *n.required : kEmpty) {
    const std::string& k = key.get_ref<const std::string&>();
    if (v.contains(k)) continue;
    auto p = props.find(k);
    ok = Fail(path + "/" + EscapePointerToken(k), "必填欄位未填寫（" + (p != props.end() ? TitleOf(*p, k, n) : k) + "）",
              "required field is missing");
    if (silent()) return false;
  }
  for (const auto& [k, item] : v.items()) {
    std::string at = path + "/" + EscapePointerToken(k);
    auto p = props.find(k);
    if (p != props.end()) {
      ok = Eval(*p, item, at, TitleOf(*p, k, n)) && ok;
    } else if (n.additional && *n.additional == false) {
      ok = Fail(at, "表單沒有此欄位" + Paren(title), "unknown field: the form has no such item");
    } else if (n.additional) {
      ok = Eval(*n.additional, item, at, k) && ok;
    }
    if (!ok && silent()) return false;
  }
  if (n.min_properties && v.size() < *n.min_properties) {
    ok = Fail(path, "請至少選填一項" + Paren(title), "choose at least one item");
  }
  return ok;
}

bool Walk::Array(const SchemaNode& n, const json& v, const std::string& path, const std::string& title) {
  if (!v.is_array()) return true;
  bool ok = true;
  for (size_t i = 0; i < v.size(); ++i) {
    std::string at = path + "/" + std::to_string(i);
    if (n.items) ok = Eval(*n.items, v[i], at, title) && ok;
    if (n.unique_items && std::find(v.begin(), v.begin() + i, v[i]) != v.begin() + i) {
      ok = Fail(at, "重複" + Quote(v[i]), "listed twice");
    }
    if (!ok && silent()) return false;
  }
  if (n.contains && std::none_of(v.begin(), v.end(), [&](const json& e) { return Test(*n.contains, e); })) {
    ok = Fail(path, title + "缺少必要的項目", "has no item of the required kind");
  }
  if (n.min_items && v.size() < *n.min_items) {
    ok = Fail(path, "請至少勾選或填寫 " + std::to_string(*n.min_items) + " 項" + Paren(title),
              "needs at least " + std::to_string(*n.min_items) + " item(s)");
  }
  if (n.max_items && v.size() > *n.max_items) {
    ok = Fail(path, "最多 " + std::to_string(*n.max_items) + " 項" + Paren(title),
              "has more than " + std::to_string(*n.max_items) + " item(s)");
  }
  return ok;
}

bool Walk::Combined(const SchemaNode& n, const json& v, const std::string& path, const std::string& title) {
  bool ok = true;
  if (n.all_of) {
    for (const auto& sub : *n.all_of) {
      ok = Eval(sub, v, path, title) && ok;
      if (!ok && silent()) return false;
    }
  }
  if (n.any_of && std::none_of(n.any_of->begin(), n.any_of->end(), [&](const json& sub) { return Test(sub, v); })) {
    ok = Fail(path, title + "不符合任何允許的填法", "matches none of the allowed forms");
  }
  if (n.one_of) {
    auto count = std::count_if(n.one_of->begin(), n.one_of->end(), [&](const json& sub) { return Test(sub, v); });
    if (count != 1) {
      ok = Fail(path, title + (count == 0 ? "不符合任何允許的填法" : "同時符合多種填法"),
                count == 0 ? "matches none of the allowed forms" : "matches more than one of the forms");
    }
  }
  if (n.not_schema && Test(*n.not_schema, v)) ok = Fail(path, title + "不可為此值", "this value is not allowed here");
  if (!ok && silent()) return false;
  if (!n.if_schema) return ok;
  const json* branch = Test(*n.if_schema, v) ? n.then_schema : n.else_schema;
  if (branch) ok = Eval(*branch, v, path, title) && ok;
  return ok;
}

// The problems found beneath a node with "x-message" take its reasons.
void Walk::Rewrite(size_t mark, const json& message, const json& v, const std::string& path,
                   const std::string& title) {
  for (size_t i = mark; i < out_->size(); ++i) {
    ValidationProblem& p = (*out_)[i];
    const json* at = &v;
    try {
      json::json_pointer rel(p.path.substr(path.size()));
      if (v.contains(rel)) at = &v.at(rel);
    } catch (const json::exception&) {
      // A path that does not resolve keeps the node's own value.
    }
    std::string quoted = Quote(*at);
    std::string inner = quoted.substr(3, quoted.size() - 6);  // without 「」 (3 bytes each)
    std::string plain = at->is_string() ? "\"" + inner + "\"" : inner;
    p.zh = Replace(Replace(message.value("zh", p.zh), "{value}", quoted), "{title}", title);
    p.en = Replace(Replace(message.value("en", p.en), "{value}", plain), "{title}", title);
  }
}

// Depth of brackets outside strings; stops counting past the limit.
bool NestedTooDeep(std::string_view text) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxDepth) return true;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

}  // namespace

bool IsInteger(const json& v) {
  if (v.is_number_integer()) return true;
  return v.is_number_float() && std::isfinite(v.get<double>()) &&
         v.get<double>() == std::floor(v.get<double>());
}

std::string Quote(const json& v) {
  // Containers are named, not printed: a value may be nested deep.
  if (v.is_object()) return "「（物件）」";
  if (v.is_array()) return "「（清單）」";
  std::string s = v.is_string() ? v.get<std::string>() : v.dump();
  // Cut at a character boundary: half a UTF-8 sequence would make the
  // message itself invalid JSON text when the API sends it.
  size_t cut = 0, n = 0;
  for (; cut < s.size(); ++cut) {
    if ((static_cast<unsigned char>(s[cut]) & 0xC0) != 0x80 && n++ == 40) break;
  }
  if (cut < s.size()) s = s.substr(0, cut) + "…";
  return "「" + s + "」";
}

std::vector<ValidationProblem> WalkSchema(const CompiledSchema& schema, const json& doc) {
  std::vector<ValidationProblem> all;
  Walk(schema, &all).Eval(schema.root(), doc, "", schema.root().value("title", std::string()));
  std::vector<ValidationProblem> first_per_path;
  std::set<std::string> seen;
  for (auto& p : all) {
    if (seen.insert(p.path).second) first_per_path.push_back(std::move(p));
  }
  return first_per_path;
}

bool ParseDocument(std::string_view text, json* doc, std::vector<ValidationProblem>* problems) {
  if (NestedTooDeep(text)) {
    problems->push_back({"", "JSON 巢狀層數過深（超過 " + std::to_string(kMaxDepth) + " 層）",
                         "JSON nested deeper than " + std::to_string(kMaxDepth) + " levels"});
    return false;
  }
  try {
    *doc = json::parse(text);
    return true;
  } catch (const json::exception& e) {
    // parse_error knows the byte; out_of_range (a number too large) does not.
    auto* pe = dynamic_cast<const json::parse_error*>(&e);
    std::string where = pe ? " (byte " + std::to_string(pe->byte) + ")" : " (a number is out of range)";
    problems->push_back({"", "不是有效的 JSON 文件" + where, "not a valid JSON document" + where});
    return false;
  }
}

}  // namespace lifeline::report_internal
