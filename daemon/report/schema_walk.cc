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

std::string Escape(const std::string& key) {
  std::string out;
  for (char c : key) out += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
  return out;
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
  std::string TitleOf(const json& sub, const std::string& key, const json& parent) const;

  bool Keywords(const json& node, const json& v, const std::string& path, const std::string& title);
  bool Type(const json& node, const json& v, const std::string& path, const std::string& title);
  bool Value(const json& node, const json& v, const std::string& path, const std::string& title);
  bool String(const json& node, const std::string& s, const std::string& path, const std::string& title);
  bool Range(const json& node, const json& v, const std::string& path, const std::string& title);
  bool Object(const json& node, const json& v, const std::string& path, const std::string& title);
  bool Array(const json& node, const json& v, const std::string& path, const std::string& title);
  bool Combined(const json& node, const json& v, const std::string& path, const std::string& title);
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
  size_t mark = out_ ? out_->size() : 0;
  bool ok = Keywords(node, v, path, title);
  auto message = node.find("x-message");
  if (!ok && out_ && message != node.end()) Rewrite(mark, *message, v, path, title);
  return ok;
}

// Each group of keywords in turn; a silent walk stops at the first failure, a
// loud one goes on so that every problem is found. A value of the wrong type
// stops here: nothing else said about it would help.
bool Walk::Keywords(const json& node, const json& v, const std::string& path, const std::string& title) {
  bool ok = true;
  if (const json* target = s_.RefTarget(node)) {
    ok = Eval(*target, v, path, title);
    if (!ok && silent()) return false;
  }
  if (!Type(node, v, path, title)) return false;
  for (auto step : {&Walk::Value, &Walk::Range, &Walk::Object, &Walk::Array, &Walk::Combined}) {
    ok = (this->*step)(node, v, path, title) && ok;
    if (!ok && silent()) return false;
  }
  auto pattern = node.find("minLength") != node.end() || node.find("maxLength") != node.end() ||
                 node.find("pattern") != node.end();
  if (pattern && v.is_string()) ok = String(node, v.get_ref<const std::string&>(), path, title) && ok;
  return ok;
}

bool Walk::Type(const json& node, const json& v, const std::string& path, const std::string& title) {
  auto t = node.find("type");
  if (t == node.end() || !t->is_string() || TypeMatches(t->get<std::string>(), v)) return true;
  std::string want = t->get<std::string>();
  return Fail(path, "應為" + TypeZh(want) + Paren(title), "must be " + want + ", not " + TypeOf(v));
}

bool Walk::Value(const json& node, const json& v, const std::string& path, const std::string& title) {
  auto c = node.find("const");
  if (c != node.end() && v != *c) {
    return Fail(path, "應為 " + c->dump() + Paren(title), "must be " + c->dump());
  }
  auto e = node.find("enum");
  if (e == node.end() || std::find(e->begin(), e->end(), v) != e->end()) return true;
  std::string allowed;
  for (const auto& option : *e) allowed += (allowed.empty() ? "" : ", ") + option.dump();
  return Fail(path, Quote(v) + "不是" + (title.empty() ? "此欄位" : title) + "的選項",
              "not one of: " + allowed);
}

bool Walk::String(const json& node, const std::string& s, const std::string& path,
                  const std::string& title) {
  size_t n = CodePoints(s);
  auto min = node.find("minLength"), max = node.find("maxLength"), pattern = node.find("pattern");
  if (min != node.end() && n < min->get<size_t>()) {
    size_t m = min->get<size_t>();
    return m == 1 ? Fail(path, title + "不可空白", "must not be empty")
                  : Fail(path, title + "至少 " + std::to_string(m) + " 字",
                         "shorter than " + std::to_string(m) + " characters");
  }
  if (max != node.end() && n > max->get<size_t>()) {
    std::string m = std::to_string(max->get<size_t>());
    return Fail(path, title + "超過 " + m + " 字（目前 " + std::to_string(n) + " 字）",
                "longer than " + m + " characters (" + std::to_string(n) + " given)");
  }
  if (pattern == node.end()) return true;
  if (s.size() <= kMaxPatternBytes && Matches(s, s_.Pattern(node))) return true;
  std::string desc = node.value("description", std::string());
  return Fail(path, title + "格式不正確：" + Quote(s),
              "does not have the expected form" + (desc.empty() ? "" : " (" + desc + ")"));
}

bool Walk::Range(const json& node, const json& v, const std::string& path, const std::string& title) {
  if (!v.is_number()) return true;
  auto min = node.find("minimum"), max = node.find("maximum");
  bool low = min != node.end() && v.get<double>() < min->get<double>();
  bool high = max != node.end() && v.get<double>() > max->get<double>();
  if (!low && !high) return true;
  std::string zh = title + "超出範圍", en = "out of range";
  if (min != node.end()) zh += "（最小 " + Number(*min), en += " (minimum " + Number(*min);
  if (max != node.end()) {
    zh += std::string(min != node.end() ? "，" : "（") + "最大 " + Number(*max);
    en += std::string(min != node.end() ? ", " : " (") + "maximum " + Number(*max);
  }
  return Fail(path, zh + "）", en + ")");
}

std::string Walk::TitleOf(const json& sub, const std::string& key, const json& parent) const {
  if (sub.is_object()) {
    if (sub.contains("title")) return sub["title"].get<std::string>();
    const json* target = s_.RefTarget(sub);
    if (target && target->contains("title")) return (*target)["title"].get<std::string>();
  }
  auto group = parent.find("x-labels");
  if (group != parent.end() && group->is_string()) {
    std::string label = Label(s_, group->get<std::string>(), key, "zh");
    if (label != key) return label;
  }
  return key;
}

bool Walk::Object(const json& node, const json& v, const std::string& path, const std::string& title) {
  if (!v.is_object()) return true;
  static const json kEmpty = json::object();
  auto pit = node.find("properties");
  const json& props = pit != node.end() ? *pit : kEmpty;
  bool ok = true;
  auto required = node.find("required");
  for (const auto& key : required != node.end() ? *required : kEmpty) {
    const std::string& k = key.get_ref<const std::string&>();
    if (v.contains(k)) continue;
    std::string child = props.contains(k) ? TitleOf(props[k], k, node) : k;
    ok = Fail(path + "/" + Escape(k), "必填欄位未填寫（" + child + "）", "required field is missing");
    if (silent()) return false;
  }
  auto extra = node.find("additionalProperties");
  for (const auto& [k, item] : v.items()) {
    std::string at = path + "/" + Escape(k);
    if (props.contains(k)) {
      ok = Eval(props[k], item, at, TitleOf(props[k], k, node)) && ok;
    } else if (extra != node.end() && *extra == false) {
      ok = Fail(at, "表單沒有此欄位" + Paren(title), "unknown field: the form has no such item");
    } else if (extra != node.end()) {
      ok = Eval(*extra, item, at, k) && ok;
    }
    if (!ok && silent()) return false;
  }
  auto min = node.find("minProperties");
  if (min != node.end() && v.size() < min->get<size_t>()) {
    ok = Fail(path, "請至少選填一項" + Paren(title), "choose at least one item");
  }
  return ok;
}

bool Walk::Array(const json& node, const json& v, const std::string& path, const std::string& title) {
  if (!v.is_array()) return true;
  bool ok = true;
  auto items = node.find("items");
  for (size_t i = 0; i < v.size(); ++i) {
    std::string at = path + "/" + std::to_string(i);
    if (items != node.end()) ok = Eval(*items, v[i], at, title) && ok;
    if (node.value("uniqueItems", false) && std::find(v.begin(), v.begin() + i, v[i]) != v.begin() + i) {
      ok = Fail(at, "重複" + Quote(v[i]), "listed twice");
    }
    if (!ok && silent()) return false;
  }
  auto contains = node.find("contains");
  if (contains != node.end() && std::none_of(v.begin(), v.end(), [&](const json& e) { return Test(*contains, e); })) {
    ok = Fail(path, title + "缺少必要的項目", "has no item of the required kind");
  }
  auto min = node.find("minItems"), max = node.find("maxItems");
  if (min != node.end() && v.size() < min->get<size_t>()) {
    ok = Fail(path, "請至少勾選或填寫 " + std::to_string(min->get<size_t>()) + " 項" + Paren(title),
              "needs at least " + std::to_string(min->get<size_t>()) + " item(s)");
  }
  if (max != node.end() && v.size() > max->get<size_t>()) {
    ok = Fail(path, "最多 " + std::to_string(max->get<size_t>()) + " 項" + Paren(title),
              "has more than " + std::to_string(max->get<size_t>()) + " item(s)");
  }
  return ok;
}

bool Walk::Combined(const json& node, const json& v, const std::string& path, const std::string& title) {
  bool ok = true;
  if (auto all = node.find("allOf"); all != node.end()) {
    for (const auto& sub : *all) {
      ok = Eval(sub, v, path, title) && ok;
      if (!ok && silent()) return false;
    }
  }
  if (auto any = node.find("anyOf"); any != node.end()) {
    if (std::none_of(any->begin(), any->end(), [&](const json& sub) { return Test(sub, v); })) {
      ok = Fail(path, title + "不符合任何允許的填法", "matches none of the allowed forms");
    }
  }
  if (auto one = node.find("oneOf"); one != node.end()) {
    auto n = std::count_if(one->begin(), one->end(), [&](const json& sub) { return Test(sub, v); });
    if (n != 1) {
      ok = Fail(path, title + (n == 0 ? "不符合任何允許的填法" : "同時符合多種填法"),
                n == 0 ? "matches none of the allowed forms" : "matches more than one of the forms");
    }
  }
  if (auto no = node.find("not"); no != node.end() && Test(*no, v)) {
    ok = Fail(path, title + "不可為此值", "this value is not allowed here");
  }
  if (!ok && silent()) return false;
  auto cond = node.find("if");
  if (cond == node.end()) return ok;
  auto branch = node.find(Test(*cond, v) ? "then" : "else");
  if (branch != node.end()) ok = Eval(*branch, v, path, title) && ok;
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
