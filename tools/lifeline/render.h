// Text the CLI prints for people: validation problems, a report's level and its
// schedule, the rule set. Plain functions over values; no I/O.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "daemon/journal/journal.h"
#include "daemon/report/report.h"
#include "daemon/rules/rules.h"

namespace lifeline::cli {

std::string RenderProblems(const ValidationOutcome& outcome);
std::string RenderProblems(const std::vector<ValidationProblem>& problems);
// A valid stage 2 or 3 document: what it records, and its time against
// `deadline` (the report's damage_control_by or report_by) when known.
std::string RenderStage(const StageRecord& record, const std::optional<ScheduledDeadline>& deadline);
std::string RenderLevel(const Report& report);
// `schedule` as ScheduleToJson makes it (also what the API returns).
std::string RenderSchedule(const std::string& rules_id, const nlohmann::json& schedule);
// A stored revision as the API returns it (one line per field people need).
std::string RenderStored(const nlohmann::json& revision);
std::string RenderJournalEntry(const JournalEntry& e);
std::string RenderRuleSet(const RuleSet& rules);

}  // namespace lifeline::cli
