#include "tools/lifeline/render.h"

#include <chrono>
#include <cstdio>

namespace lifeline::cli {
namespace {

std::string Impact(const ImpactLevel& i) { return i ? std::to_string(*i) : "none"; }

std::string Levels(const std::vector<int>& levels) {
  std::string s;
  for (int l : levels) s += (s.empty() ? "" : ",") + std::to_string(l);
  return s;
}

}  // namespace

std::string RenderProblems(const ValidationOutcome& outcome) { return RenderProblems(outcome.problems); }

std::string RenderProblems(const std::vector<ValidationProblem>& problems) {
  std::string s = std::to_string(problems.size()) + " problem(s) / 共 " +
                  std::to_string(problems.size()) + " 項問題:\n";
  for (const auto& p : problems) {
    s += "  " + (p.path.empty() ? std::string("(document)") : p.path) + "\n";
    s += "      " + p.zh + "\n      " + p.en + "\n";
  }
  return s;
}

namespace {

// "3 h 05 min" for people; whole minutes are enough beside a deadline.
std::string HoursMinutes(std::chrono::microseconds d) {
  auto minutes = std::chrono::duration_cast<std::chrono::minutes>(d).count();
  char buf[48];
  std::snprintf(buf, sizeof buf, "%lld h %02lld min", static_cast<long long>(minutes / 60),
                static_cast<long long>(minutes % 60));
  return buf;
}

}  // namespace

std::string RenderStage(const StageRecord& r, const std::optional<ScheduledDeadline>& deadline) {
  bool dc = r.stage == Stage::kDamageControl;
  std::string s = std::string(dc ? "貳、損害控制或復原" : "參、調查、處理及改善報告") + " (" +
                  std::string(StageName(r.stage)) + ") for report " + r.report_id + " revision " +
                  std::to_string(r.report_revision) + "\n";
  s += "  Category 事件分類: " + StageLabelZh(r.stage, "categories", r.category) + " (" + r.category + ")\n";
  if (dc) {
    s += "  " + StageLabelZh(r.stage, "completion", r.status) + " (" + r.status + ")\n";
    s += "  完成損害控制或復原時間 completed: " + FormatHuman(r.at) + "\n";
  } else {
    s += "  登錄結報時間 submitted: " + FormatHuman(r.at) + "\n";
  }
  if (!deadline) return s;
  auto margin = deadline->at.instant - r.at.instant;
  s += "  Deadline 期限 " + deadline->key + ": " + FormatHuman(deadline->at) + " — " +
       (margin.count() >= 0 ? "met 如期 (" + HoursMinutes(margin) + " before)"
                            : "LATE 逾期 by " + HoursMinutes(-margin)) +
       "\n      source 依據: " + deadline->source + "\n";
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

std::string RenderSchedule(const std::string& rules_id, const nlohmann::json& schedule) {
  std::string s = "Deadlines 期限 (rule set " + rules_id + "):\n";
  for (const auto& d : schedule.value("deadlines", nlohmann::json::array())) {
    auto at = ParseRfc3339(d.value("at", ""));
    s += "  " + (at.ok() ? FormatHuman(*at) : d.value("at", "")) + "  " + d.value("key", "") + " (" +
         d.value("anchor", "") + " + " + d.value("after", "") + ")\n";
    s += "      " + d.value("title", "") + "\n      " + d.value("title_en", "") +
         "\n      source 依據: " + d.value("source", "") + "\n";
  }
  auto obligations = schedule.value("obligations", nlohmann::json::array());
  if (!obligations.empty()) s += "Obligations 應辦事項:\n";
  for (const auto& o : obligations) {
    auto due = ParseRfc3339(o.value("due", ""));
    s += "  by " + (due.ok() ? FormatHuman(*due) : o.value("due", "")) + "  " + o.value("key", "") + "\n";
    s += "      " + o.value("title", "") + "\n      " + o.value("title_en", "") +
         "\n      source 依據: " + o.value("source", "") + "\n";
  }
  return s;
}

std::string RenderStored(const nlohmann::json& r) {
  std::string s = "Report " + r.value("id", "") + " revision " + std::to_string(r.value("revision", 0)) +
                  (r.value("drill", false) ? "  [DRILL 演練]" : "") + "\n";
  s += "  Level 事件等級: " + std::to_string(r.value("level", 0)) + "   State 狀態: " + r.value("state", "") + "\n";
  s += "  Aware 知悉時間: " + r.value("aware_at", "") + "   Received 收件: " + r.value("received_at", "") + "\n";
  s += "  Idempotency key: " + r.value("idempotency_key", "") + "\n";
  if (r.contains("site_receipt")) s += "  Site receipt 通報編號: " + r.value("site_receipt", "") + "\n";
  return s;
}

std::string RenderJournalEntry(const JournalEntry& e) {
  return "#" + std::to_string(e.seq) + "  " + e.wall_time + " [" + e.clock_source + "]  " + e.type +
         (e.report_id.empty() ? "" : "  report " + e.report_id) + "\n      " + e.payload + "\n";
}

std::string RenderRuleSet(const RuleSet& rules) {
  std::string s = "Rule set " + rules.id + " (" + rules.origin + ")\n  " + rules.title + "\n  " +
                  rules.title_en + "\n";
  if (!rules.note.empty()) s += "  Note: " + rules.note + "\n";
  s += "Deadlines:\n";
  for (const auto& d : rules.deadlines) {
    s += "  " + d.key + "  levels " + Levels(d.levels) + ": " + d.anchor + " + " + d.after.text +
         (d.when.empty() ? "" : "  (when " + d.when + ")") + "\n      " + d.title + "\n      " + d.title_en +
         "\n      source: " + d.source + "\n";
  }
  s += "Obligations:\n";
  for (const auto& o : rules.obligations) {
    s += "  " + o.key + "  levels " + Levels(o.levels) + ", by " + o.by + "\n      " + o.title + "\n      " +
         o.title_en + "\n      source: " + o.source + "\n";
  }
  s += "Other figures:\n";
  for (const auto& f : rules.figures) {
    s += "  " + f.key + " = " + f.value + "\n      " + f.title + "\n      " + f.title_en + "\n      source: " +
         f.source + "\n";
  }
  return s;
}

}  // namespace lifeline::cli
