#include "daemon/rules/rules.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <toml++/toml.h>

namespace lifeline {
namespace embedded {
extern const std::string_view rules_tw_2021;
}  // namespace embedded

namespace {

// Builds "<origin>:<line>: <message>" errors while walking one TOML table.
class TableReader {
 public:
  TableReader(const toml::table& t, std::string origin, std::string where)
      : t_(t), origin_(std::move(origin)), where_(std::move(where)) {}

  Status Error(std::string_view key, std::string_view message) const {
    const toml::node* n = t_.get(key);
    auto line = (n ? n->source() : t_.source()).begin.line;
    return InvalidArgument(origin_ + ":" + std::to_string(line) + ": " + where_ + "." +
                           std::string(key) + ": " + std::string(message));
  }
  Status String(std::string_view key, std::string* out, bool required = true) const {
    const toml::node* n = t_.get(key);
    if (!n) return required ? Error(key, "missing") : Status::Ok();
    if (!n->is_string() || n->as_string()->get().empty()) return Error(key, "must be a non-empty string");
    *out = n->as_string()->get();
    return Status::Ok();
  }
  Status Levels(std::vector<int>* out) const {
    const toml::node* n = t_.get("levels");
    if (!n) return Error("levels", "missing");
    const toml::array* a = n->as_array();
    if (!a || a->empty()) return Error("levels", "must be a non-empty list of levels 1-4");
    for (const auto& e : *a) {
      auto v = e.value<int64_t>();
      if (!v || *v < 1 || *v > 4) return Error("levels", "every level must be an integer 1-4");
      out->push_back(static_cast<int>(*v));
    }
    return Status::Ok();
  }
  Status OnlyKeys(std::initializer_list<std::string_view> allowed) const {
    for (const auto& [k, _] : t_) {
      if (std::find(allowed.begin(), allowed.end(), k.str()) == allowed.end()) {
        return Error(k.str(), "unknown key");
      }
    }
    return Status::Ok();
  }

 private:
  const toml::table& t_;
  std::string origin_, where_;
};

template <typename F>
Status ForEachTable(const toml::table& root, const char* name, const std::string& origin, F f) {
  const toml::node* n = root.get(name);
  if (!n) return Status::Ok();
  const toml::array* a = n->as_array();
  if (!a || !a->is_array_of_tables()) {
    return InvalidArgument(origin + ":" + std::to_string(n->source().begin.line) + ": " + name +
                           ": must be an array of tables ([[" + name + "]])");
  }
  for (size_t i = 0; i < a->size(); ++i) {
    TableReader r(*a->get(i)->as_table(), origin, std::string(name) + "[" + std::to_string(i) + "]");
    LIFELINE_RETURN_IF_ERROR(f(r));
  }
  return Status::Ok();
}

Status ReadDeadline(const TableReader& r, RuleSet* rs, std::set<std::string>* known) {
  LIFELINE_RETURN_IF_ERROR(
      r.OnlyKeys({"key", "title", "title_en", "anchor", "after", "levels", "when", "source"}));
  DeadlineRule d;
  std::string after;
  LIFELINE_RETURN_IF_ERROR(r.String("key", &d.key));
  LIFELINE_RETURN_IF_ERROR(r.String("title", &d.title));
  LIFELINE_RETURN_IF_ERROR(r.String("title_en", &d.title_en));
  LIFELINE_RETURN_IF_ERROR(r.String("anchor", &d.anchor));
  LIFELINE_RETURN_IF_ERROR(r.String("after", &after));
  LIFELINE_RETURN_IF_ERROR(r.String("source", &d.source));
  LIFELINE_RETURN_IF_ERROR(r.String("when", &d.when, /*required=*/false));
  LIFELINE_RETURN_IF_ERROR(r.Levels(&d.levels));
  auto dur = ParseRuleDuration(after);
  if (!dur.ok()) return r.Error("after", dur.status().message());
  d.after = *dur;
  if (d.anchor != "aware_at" && !known->count(d.anchor)) {
    return r.Error("anchor", "'" + d.anchor + "' is neither aware_at nor a deadline defined above");
  }
  if (!d.when.empty() && d.when != "affects_others") return r.Error("when", "must be affects_others");
  for (const auto& other : rs->deadlines) {
    if (other.key != d.key) continue;
    for (int l : d.levels) {
      if (std::count(other.levels.begin(), other.levels.end(), l)) {
        return r.Error("levels", "level " + std::to_string(l) + " already has a '" + d.key + "'");
      }
    }
  }
  known->insert(d.key);
  rs->deadlines.push_back(std::move(d));
  return Status::Ok();
}

Status ReadObligation(const TableReader& r, RuleSet* rs, const std::set<std::string>& known) {
  LIFELINE_RETURN_IF_ERROR(r.OnlyKeys({"key", "title", "title_en", "by", "levels", "source"}));
  ObligationRule o;
  LIFELINE_RETURN_IF_ERROR(r.String("key", &o.key));
  LIFELINE_RETURN_IF_ERROR(r.String("title", &o.title));
  LIFELINE_RETURN_IF_ERROR(r.String("title_en", &o.title_en));
  LIFELINE_RETURN_IF_ERROR(r.String("by", &o.by));
  LIFELINE_RETURN_IF_ERROR(r.String("source", &o.source));
  LIFELINE_RETURN_IF_ERROR(r.Levels(&o.levels));
  if (!known.count(o.by)) return r.Error("by", "'" + o.by + "' is not a deadline of this rule set");
  rs->obligations.push_back(std::move(o));
  return Status::Ok();
}

Status ReadFigure(const TableReader& r, RuleSet* rs) {
  LIFELINE_RETURN_IF_ERROR(r.OnlyKeys({"key", "value", "title", "title_en", "source"}));
  FigureRule f;
  LIFELINE_RETURN_IF_ERROR(r.String("key", &f.key));
  LIFELINE_RETURN_IF_ERROR(r.String("value", &f.value));
  LIFELINE_RETURN_IF_ERROR(r.String("title", &f.title));
  LIFELINE_RETURN_IF_ERROR(r.String("title_en", &f.title_en));
  LIFELINE_RETURN_IF_ERROR(r.String("source", &f.source));
  rs->figures.push_back(std::move(f));
  return Status::Ok();
}

// The rule set must say when to escalate and when the hour ends, for every level.
Status CheckComplete(const RuleSet& rs) {
  for (const char* key : {"escalate_at", "notify_by", "fallback_notify_by"}) {
    for (int level = 1; level <= 4; ++level) {
      bool found = false;
      for (const auto& d : rs.deadlines) {
        found |= d.key == key && std::count(d.levels.begin(), d.levels.end(), level);
      }
      if (!found) {
        return InvalidArgument(rs.origin + ": deadline." + key + ": missing for level " +
                               std::to_string(level));
      }
    }
  }
  return Status::Ok();
}

}  // namespace

Result<RuleDuration> ParseRuleDuration(std::string_view text) {
  size_t i = 0;
  int64_t n = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9' && n < 1000000) {
    n = n * 10 + (text[i++] - '0');
  }
  std::string_view unit = text.substr(i);
  RuleDuration d{0, 0, std::string(text)};
  if (i == 0 || n == 0) return InvalidArgument("'" + d.text + "' must start with a positive number");
  if (unit == "s") d.seconds = n;
  else if (unit == "m") d.seconds = n * 60;
  else if (unit == "h") d.seconds = n * 3600;
  else if (unit == "d") d.seconds = n * 86400;
  else if (unit == "mo") d.months = static_cast<int>(n);
  else return InvalidArgument("'" + d.text + "' needs a unit: s, m, h, d or mo");
  return d;
}

Result<RuleSet> LoadRuleSet(std::string_view toml_text, std::string_view origin_view) {
  std::string origin(origin_view);
  toml::table root;
  try {  // Debian's toml++ is built with exceptions; they stop here.
    root = toml::parse(toml_text, origin);
  } catch (const toml::parse_error& e) {
    return InvalidArgument(origin + ":" + std::to_string(e.source().begin.line) + ": " +
                           std::string(e.description()));
  }
  RuleSet rs;
  rs.origin = origin;
  TableReader top(root, origin, "");
  LIFELINE_RETURN_IF_ERROR(top.OnlyKeys({"ruleset", "deadline", "obligation", "figure"}));
  const toml::table* head = root["ruleset"].as_table();
  if (!head) return top.Error("ruleset", "missing [ruleset] table");
  TableReader h(*head, origin, "ruleset");
  LIFELINE_RETURN_IF_ERROR(h.OnlyKeys({"id", "title", "title_en", "note"}));
  LIFELINE_RETURN_IF_ERROR(h.String("id", &rs.id));
  LIFELINE_RETURN_IF_ERROR(h.String("title", &rs.title));
  LIFELINE_RETURN_IF_ERROR(h.String("title_en", &rs.title_en));
  LIFELINE_RETURN_IF_ERROR(h.String("note", &rs.note, /*required=*/false));
  std::set<std::string> known;
  LIFELINE_RETURN_IF_ERROR(ForEachTable(root, "deadline", origin, [&](const TableReader& r) {
    return ReadDeadline(r, &rs, &known);
  }));
  LIFELINE_RETURN_IF_ERROR(ForEachTable(root, "obligation", origin, [&](const TableReader& r) {
    return ReadObligation(r, &rs, known);
  }));
  LIFELINE_RETURN_IF_ERROR(
      ForEachTable(root, "figure", origin, [&](const TableReader& r) { return ReadFigure(r, &rs); }));
  LIFELINE_RETURN_IF_ERROR(CheckComplete(rs));
  return rs;
}

Result<RuleSet> LoadRuleSetFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read rule file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return LoadRuleSet(ss.str(), path);
}

Result<RuleSet> DefaultRuleSet() {
  return LoadRuleSet(embedded::rules_tw_2021, "embedded:config/rules/tw-2021.toml");
}

RuleSet ScaleRuleSet(RuleSet rules, int factor) {
  if (factor <= 1) return rules;
  for (auto& d : rules.deadlines) {
    int64_t total = d.after.seconds + int64_t{d.after.months} * 30 * 86400;
    d.after.seconds = std::max<int64_t>(1, total / factor);
    d.after.months = 0;
    d.after.text += " /" + std::to_string(factor);
  }
  rules.id += "@1/" + std::to_string(factor);
  rules.note = "time scaled 1/" + std::to_string(factor) + " (demo, test or drill clock). " + rules.note;
  return rules;
}

}  // namespace lifeline
