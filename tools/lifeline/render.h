// Text the CLI prints for people: validation problems, a report's level and its
// schedule, the rule set. Plain functions over values; no I/O.
#pragma once

#include <string>

#include "daemon/report/report.h"
#include "daemon/rules/rules.h"

namespace lifeline::cli {

std::string RenderProblems(const ValidationOutcome& outcome);
std::string RenderLevel(const Report& report);
std::string RenderSchedule(const RuleSet& rules, const Schedule& schedule);
std::string RenderRuleSet(const RuleSet& rules);

}  // namespace lifeline::cli
