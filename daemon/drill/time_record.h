// DrillRecord: what happened in a drill, per drilled unit, as the 演練時間紀錄表
// and 演練成果報告 need it (seed 002 5.2.1(三)1 and 7): every step with its time
// (awareness, filing, each site attempt, outage declared, fallback started, each
// recipient notified and confirmed with the channel, recovery, late submission
// accepted) and each deadline with when it was met. The daemon fills it from its
// journal and store; this file is the format (lifeline.drill-record/1, see
// proto/drills.md), its strict parser and the pure evaluation of deadlines.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/status.h"
#include "daemon/core/time_format.h"
#include "daemon/rules/rules.h"

namespace lifeline::drill {

inline constexpr const char* kDrillRecordFormat = "lifeline.drill-record/1";

enum class StepKind {
  kAware,            // 知悉
  kFiled,            // the report filed with lifelined
  kSiteAttempt,      // one submission attempt to the national site (outcome)
  kOutageDeclared,   // the link monitor declared OUTAGE (outcome = the reason)
  kFallbackStarted,  // the escalation fell back to other means
  kNotified,         // a recipient notified on a channel
  kConfirmed,        // a recipient's notification confirmed (SMS report, MCF, who answered)
  kRecovered,        // the link back
  kLateAccepted,     // the late submission (補行通報) accepted (outcome = the receipt)
  kNote,             // anything else the inspection group records
};
std::string_view StepKindName(StepKind k);     // "aware", "site_attempt", ...
std::string_view StepKindLabelZh(StepKind k);  // "知悉", "網站通報嘗試", ...

struct Step {
  OffsetTime at;
  StepKind kind = StepKind::kNote;
  std::string recipient;  // notified / confirmed
  std::string channel;    // site | sms | fax | email | phone
  std::string outcome;    // e.g. "timeout", "MCF", a receipt id
  std::string text;       // free text ("" = none)
};

struct Deadline {
  std::string key;       // the rule's key, e.g. notify_by
  std::string title;     // zh-TW, from the rule set
  OffsetTime due;
  std::optional<OffsetTime> done;  // when it was met; none = not met
};

struct DeadlineResult {
  bool met = false;
  // due - done: positive = that much early, negative = that much late; none
  // when it was never done.
  std::optional<std::chrono::seconds> margin;
};
DeadlineResult Evaluate(const Deadline& d);

struct UnitRecord {
  std::string unit, unit_id;
  std::string scenario_id, scenario_name, category;
  int level = 0;
  std::string report_id;
  std::vector<Step> steps;  // in time order (the parser sorts, stably)
  std::vector<Deadline> deadlines;

  // The awareness step's time, else the first step's; what elapsed times count from.
  std::optional<OffsetTime> Origin() const;
};

struct DrillRecord {
  std::string name, organiser;  // the drill; the organising (reviewing) agency
  std::string plan_commitment;  // the sealed plan's commitment ("" = none)
  OffsetTime started_at, ended_at;
  std::vector<UnitRecord> units;
};

// Strict: unknown keys, wrong types and times without an offset are refused;
// every error names `origin` and the JSON path ("record.json: /units/0/steps/3/at: ...").
Result<DrillRecord> ParseDrillRecord(std::string_view json_text, const std::string& origin);

// When the results are due: the drill's end plus the rule set's
// drill_results_due (seed 003 5.2.1: one month), in the end's own offset.
Result<OffsetTime> ResultsDue(const DrillRecord& r, const RuleSet& rules);

// "2026-09-15 10:05:12" in the time's own offset.
std::string LocalTime(const OffsetTime& t);
// "+00:05:12" (or "-00:01:00") from `origin` to `t`.
std::string Elapsed(const OffsetTime& origin, const OffsetTime& t);
// "提前 12 分 05 秒" / "逾時 3 分 00 秒" / "未完成".
std::string MarginZh(const DeadlineResult& r);

}  // namespace lifeline::drill
