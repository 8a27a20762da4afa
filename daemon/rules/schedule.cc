#include <algorithm>

#include "daemon/rules/rules.h"

namespace lifeline {
namespace {

bool Applies(const std::vector<int>& levels, int level) {
  return std::find(levels.begin(), levels.end(), level) != levels.end();
}

OffsetTime Add(const OffsetTime& from, const RuleDuration& d) {
  if (d.months) return AddCalendarMonths(from, d.months);
  return OffsetTime{from.instant + std::chrono::seconds(d.seconds), from.offset_minutes};
}

}  // namespace

const ScheduledDeadline* Schedule::Find(std::string_view key) const {
  for (const auto& d : deadlines) {
    if (d.key == key) return &d;
  }
  return nullptr;
}

Result<Schedule> ComputeSchedule(const RuleSet& rules, const ScheduleInput& in) {
  return ComputeSchedule(rules, in, MetSteps());
}

Result<Schedule> ComputeSchedule(const RuleSet& rules, const ScheduleInput& in, const MetSteps& met_steps) {
  if (in.level < 1 || in.level > 4) {
    return InvalidArgument("incident level must be 1-4, not " + std::to_string(in.level));
  }
  Schedule s;
  s.level = in.level;
  for (const auto& rule : rules.deadlines) {
    if (!Applies(rule.levels, in.level)) continue;
    if (rule.when == "affects_others" && !in.affects_others) continue;
    OffsetTime anchor = in.aware_at;
    bool met = false;
    if (rule.anchor != "aware_at") {
      const ScheduledDeadline* a = s.Find(rule.anchor);
      if (!a) continue;  // its anchor does not apply at this level
      auto done = met_steps.find(rule.anchor);
      met = done != met_steps.end();
      // Months count in the report's own offset, whatever offset the step was recorded in.
      anchor = met ? WithOffset(done->second.instant, in.aware_at.offset_minutes) : a->at;
    }
    s.deadlines.push_back({rule.key, rule.title, rule.title_en, rule.source, rule.anchor,
                           rule.after.text, Add(anchor, rule.after), met, anchor});
  }
  for (const auto& rule : rules.obligations) {
    if (!Applies(rule.levels, in.level)) continue;
    const ScheduledDeadline* by = s.Find(rule.by);
    if (!by) continue;
    s.obligations.push_back({rule.key, rule.title, rule.title_en, rule.source, rule.by, by->at});
  }
  return s;
}

nlohmann::json ScheduleToJson(const Schedule& s) {
  // Built field by field: an initializer list would copy every string twice,
  // and this runs for every report the intake stores.
  using nlohmann::json;
  json deadlines = json::array(), obligations = json::array();
  for (const auto& d : s.deadlines) {
    json& item = deadlines.emplace_back(json::object());
    item["key"] = d.key;
    item["at"] = FormatRfc3339(d.at);
    item["anchor"] = d.anchor;
    item["after"] = d.after;
    item["title"] = d.title;
    item["title_en"] = d.title_en;
    item["source"] = d.source;
    if (d.anchor_met) {
      item["anchor_met"] = true;
      item["anchor_at"] = FormatRfc3339(d.anchor_at);
    }
  }
  for (const auto& o : s.obligations) {
    json& item = obligations.emplace_back(json::object());
    item["key"] = o.key;
    item["due"] = FormatRfc3339(o.due);
    item["by"] = o.by;
    item["title"] = o.title;
    item["title_en"] = o.title_en;
    item["source"] = o.source;
  }
  json out = json::object();
  out["level"] = s.level;
  out["deadlines"] = std::move(deadlines);
  out["obligations"] = std::move(obligations);
  return out;
}

}  // namespace lifeline
