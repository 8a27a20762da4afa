// The drill's printable outputs, built from a DrillRecord: the 演練時間紀錄表
// (every step with its time and elapsed time since awareness; each deadline met
// or missed with its margin), the 演練成果報告 (units drilled, scenarios, per
// unit met/missed and margins, and when the results themselves are due) and the
// time record as CSV rows. Pure; print them with daemon/print.
#pragma once

#include <string>
#include <vector>

#include "daemon/core/time_format.h"
#include "daemon/drill/time_record.h"
#include "daemon/print/print.h"

namespace lifeline::drill {

print::Document TimeRecordDocument(const DrillRecord& r);
// `results_due` from ResultsDue(); `due_rule` is that rule in words with its
// source, as the rule set gives them (e.g. "…於演練後一個月內提交；seed 003 5.2.1").
print::Document ResultsDocument(const DrillRecord& r, const OffsetTime& results_due, const std::string& due_rule);
// One row per step and per deadline, under a header row; for print::Csv.
std::vector<std::vector<std::string>> TimeRecordRows(const DrillRecord& r);

}  // namespace lifeline::drill
