#include "tools/lifeline/render.h"

namespace lifeline::cli {
namespace {

std::string Impact(const ImpactLevel& i) { return i ? std::to_string(*i) : "none"; }

std::string Levels(const std::vector<int>& levels) {
  std::string s;
  for (int l : levels) s += (s.empty() ? "" : ",") + std::to_string(l);
  return s;
}

}  // namespace

std::string RenderProblems(const ValidationOutcome& outcome) {
  std::string s = std::to_string(outcome.problems.size()) + " problem(s) / 共 " +
                  std::to_string(outcome.problems.size()) + " 項問題:\n";
  for (const auto& p : outcome.problems) {
    s += "  " + (p.path.empty() ? std::string("(document)") : p.path) + "\n";
    s += "      " + p.zh + "\n      " + p.en + "\n";
  }
  return s;
}

std::string RenderLevel(const Report& r) {
  std::string s = "Report " + r.id + " revision " + std::to_string(r.revision) +
                  (r.drill ? "  [DRILL 演練]" : "") + "\n";
  s += "  Agency 機關: " + r.agency_name + "\n";
  s += "  Category 事件分類: " + LabelZh("categories", r.category) + " (" + r.category + ")\n";
  s += "  Level 事件等級: " + std::to_string(r.Level()) + "  (max of C=" + Impact(r.confidentiality) +
       ", I=" + Impact(r.integrity) + ", A=" + Impact(r.availability) + ")\n";
  s += "  Aware 知悉時間: " + FormatHuman(r.aware_at) + "\n";
  return s;
}

std::string RenderSchedule(const RuleSet& rules, const Schedule& schedule) {
  std::string s = "Deadlines 期限 (rule set " + rules.id + ": " + rules.title + "):\n";
  for (const auto& d : schedule.deadlines) {
    s += "  " + FormatHuman(d.at) + "  " + d.key + " (" + d.anchor + " + " + d.after + ")\n";
    s += "      " + d.title + "\n      " + d.title_en + "\n      source 依據: " + d.source + "\n";
  }
  if (!schedule.obligations.empty()) s += "Obligations 應辦事項:\n";
  for (const auto& o : schedule.obligations) {
    s += "  by " + FormatHuman(o.due) + "  " + o.key + "\n";
    s += "      " + o.title + "\n      " + o.title_en + "\n      source 依據: " + o.source + "\n";
  }
  return s;
}

std::string RenderRuleSet(const RuleSet& rules) {
  std::string s = "Rule set " + rules.id + " (" + rules.origin + ")\n  " + rules.title + "\n  " +
                  rules.title_en + "\n";
  if (!rules.note.empty()) s += "  Note: " + rules.note + "\n";
  s += "Deadlines:\n";
  for (const auto& d : rules.deadlines) {
    s += "  " + d.key + "  levels " + Levels(d.levels) + ": " + d.anchor + " + " + d.after.text +
         (d.when.empty() ? "" : "  (when " + d.when + ")") + "\n      " + d.title + "\n      source: " +
         d.source + "\n";
  }
  s += "Obligations:\n";
  for (const auto& o : rules.obligations) {
    s += "  " + o.key + "  levels " + Levels(o.levels) + ", by " + o.by + "\n      " + o.title +
         "\n      source: " + o.source + "\n";
  }
  s += "Other figures:\n";
  for (const auto& f : rules.figures) {
    s += "  " + f.key + " = " + f.value + "\n      " + f.title + "\n      source: " + f.source + "\n";
  }
  return s;
}

}  // namespace lifeline::cli
