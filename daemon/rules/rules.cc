#include "daemon/rules/rules.h"

#include "daemon/core/toml_reader.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

namespace lifeline {
namespace embedded {
extern const std::string_view rules_tw_2021;
}  // namespace embedded

namespace {

// Levels 1-4, at least one.
Status ReadLevels(const TomlTable& t, std::vector<int>* out) {
  std::vector<int64_t> levels;
  LIFELINE_RETURN_IF_ERROR(t.Get("levels", &levels));
  if (levels.empty()) return t.Error("levels", "must be a non-empty list of levels 1-4");
  for (int64_t v : levels) {
    if (v < 1 || v > 4) return t.Error("levels", "every level must be an integer 1-4");
    out->push_back(static_cast<int>(v));
  }
  return Status::Ok();
}

Status ReadDeadline(const TomlTable& r, RuleSet* rs, std::set<std::string>* known) {
  LIFELINE_RETURN_IF_ERROR(
      r.OnlyKeys({"key", "title", "title_en", "anchor", "after", "levels", "when", "source"}));
  DeadlineRule d;
  std::string after;
  LIFELINE_RETURN_IF_ERROR(r.NonEmpty("key", &d.key));
  LIFELINE_RETURN_IF_ERROR(r.NonEmpty("title", &d.title));
  LIFELINE_RETURN_IF_ERROR(r.NonEmpty("title_en", &d.title_en));
  LIFELINE_RETURN_IF_ERROR(r.NonEmpty("anchor", &d.anchor));
  LIFELINE_RETURN_IF_ERROR(r.NonEmpty("after", &after));
  LIFELINE_RETURN_IF_ERROR(r.NonEmpty("source", &d.source));
  LIFELINE_RETURN_IF_ERROR(r.NonEmpty("when", &d.when, Need::kOptional));
  LIFELINE_RETURN_IF_ERROR(ReadLevels(r, &d.levels));
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

Status ReadObligation(const TomlTable& r, RuleSet* rs, const std::set<std::string>& known) {
  LIFELINE_RETURN_IF_ERROR(r.OnlyKeys({"key", "title", "title_en", "by", "levels", "source"}));
  ObligationRule o;
  LIFELINE_RETURN_IF_ERROR(r.NonEmpty("key", &o.key));
  LIFELINE_RETURN_IF_ERROR(r.NonEmpty("title", &o.title));
  LIFELINE_RETURN_IF_ERROR(r.NonEmpty("title_en", &o.title_en));
  LIFELINE_RETURN_IF_ERROR(r.NonEmpty("by", &o.by));
  LIFELINE_RETURN_IF_ERROR(r.NonEmpty("source", &o.source));
  LIFELINE_RETURN_IF_ERROR(ReadLevels(r, &o.levels));
  if (!known.count(o.by)) return r.Error("by", "'" + o.by + "' is not a deadline of this rule set");
  rs->obligations.push_back(std::move(o));
  return Status::Ok();
}

Status ReadFigure(const TomlTable& r, RuleSet* rs) {
  LIFELINE_RETURN_IF_ERROR(r.OnlyKeys({"key", "value", "title", "title_en", "source"}));
  FigureRule f;
  LIFELINE_RETURN_IF_ERROR(r.NonEmpty("key", &f.key));
  LIFELINE_RETURN_IF_ERROR(r.NonEmpty("value", &f.value));
  LIFELINE_RETURN_IF_ERROR(r.NonEmpty("title", &f.title));
  LIFELINE_RETURN_IF_ERROR(r.NonEmpty("title_en", &f.title_en));
  LIFELINE_RETURN_IF_ERROR(r.NonEmpty("source", &f.source));
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

Result<RuleSet> LoadRuleSet(std::string_view toml_text, std::string_view origin) {
  auto doc = TomlDocument::Parse(toml_text, origin);
  if (!doc.ok()) return doc.status();
  const TomlTable top = doc->root();
  RuleSet rs;
  rs.origin = std::string(origin);
  LIFELINE_RETURN_IF_ERROR(top.OnlyKeys({"ruleset", "deadline", "obligation", "figure"}));
  auto head = top.Table("ruleset");
  if (!head.ok()) return head.status();
  const TomlTable& h = **head;
  LIFELINE_RETURN_IF_ERROR(h.OnlyKeys({"id", "title", "title_en", "note"}));
  LIFELINE_RETURN_IF_ERROR(h.NonEmpty("id", &rs.id));
  LIFELINE_RETURN_IF_ERROR(h.NonEmpty("title", &rs.title));
  LIFELINE_RETURN_IF_ERROR(h.NonEmpty("title_en", &rs.title_en));
  LIFELINE_RETURN_IF_ERROR(h.NonEmpty("note", &rs.note, Need::kOptional));
  std::set<std::string> known;
  auto deadlines = top.Tables("deadline", Need::kOptional);
  auto obligations = top.Tables("obligation", Need::kOptional);
  auto figures = top.Tables("figure", Need::kOptional);
  if (!deadlines.ok()) return deadlines.status();
  if (!obligations.ok()) return obligations.status();
  if (!figures.ok()) return figures.status();
  for (const TomlTable& t : *deadlines) LIFELINE_RETURN_IF_ERROR(ReadDeadline(t, &rs, &known));
  for (const TomlTable& t : *obligations) LIFELINE_RETURN_IF_ERROR(ReadObligation(t, &rs, known));
  for (const TomlTable& t : *figures) LIFELINE_RETURN_IF_ERROR(ReadFigure(t, &rs));
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
