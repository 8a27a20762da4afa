// The legal rule set as data (config/rules/*.toml) and the schedule it gives a
// report: every deadline and obligation with its legal source. Loading checks
// every key and names file, line and key on error; computing is pure.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/status.h"
#include "daemon/core/time_format.h"

namespace lifeline {

// "20m", "36h", "1mo": seconds or calendar months, never both.
struct RuleDuration {
  int64_t seconds = 0;
  int months = 0;
  std::string text;
};
Result<RuleDuration> ParseRuleDuration(std::string_view text);

struct DeadlineRule {
  std::string key, title, title_en, anchor, source;
  RuleDuration after;
  std::vector<int> levels;
  std::string when;  // "" or "affects_others"
};

struct ObligationRule {
  std::string key, title, title_en, by, source;
  std::vector<int> levels;
};

struct FigureRule {
  std::string key, value, title, title_en, source;
};

struct RuleSet {
  std::string id, title, title_en, note;
  std::string origin;  // file name, or "embedded:tw-2021"
  std::vector<DeadlineRule> deadlines;
  std::vector<ObligationRule> obligations;
  std::vector<FigureRule> figures;
};

// `origin` names the text in error messages ("config/rules/tw-2021.toml").
Result<RuleSet> LoadRuleSet(std::string_view toml_text, std::string_view origin);
Result<RuleSet> LoadRuleSetFile(const std::string& path);
// The rule set compiled into the binary (config/rules/tw-2021.toml).
Result<RuleSet> DefaultRuleSet();

// The rule set on a short clock for the demo, tests and drills: every
// duration divided by `factor` (a month counts as 30 days first), the id
// suffixed "@1/<factor>" so a scaled schedule can never pass for a real one.
RuleSet ScaleRuleSet(RuleSet rules, int factor);

// What a schedule is computed from (a report's level, awareness and scope).
struct ScheduleInput {
  int level = 1;
  OffsetTime aware_at;
  bool affects_others = false;
};

// What is already done: per deadline key, when that step actually happened
// (the site's receipt of a notification, damage control's completion). A
// deadline anchored on a met step counts from that time, which is never later
// than counting from the step's deadline, as it does without it.
using MetSteps = std::map<std::string, OffsetTime, std::less<>>;

struct ScheduledDeadline {
  std::string key, title, title_en, source, anchor, after;
  OffsetTime at;
  bool anchor_met = false;  // counted from the anchor's actual time (MetSteps)
  OffsetTime anchor_at;     // the time it was counted from
};

struct ScheduledObligation {
  std::string key, title, title_en, source, by;
  OffsetTime due;
};

struct Schedule {
  int level = 0;
  std::vector<ScheduledDeadline> deadlines;  // in rule-file order
  std::vector<ScheduledObligation> obligations;
  // The deadline with `key`, or nullptr.
  const ScheduledDeadline* Find(std::string_view key) const;
};

// Fails only for a level outside 1-4 (the loader has checked every anchor).
Result<Schedule> ComputeSchedule(const RuleSet& rules, const ScheduleInput& input);
Result<Schedule> ComputeSchedule(const RuleSet& rules, const ScheduleInput& input, const MetSteps& met);

// {"level":..,"deadlines":[{key,at,anchor,after,title,title_en,source}..],
//  "obligations":[{key,due,by,title,title_en,source}..]}, times in RFC 3339;
// a deadline counted from a met anchor also has "anchor_met":true, "anchor_at".
nlohmann::json ScheduleToJson(const Schedule& s);

}  // namespace lifeline
