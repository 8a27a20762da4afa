// Which of the agency's reviews to remind of now: one coming within `ahead`
// of its deadline, and one past it unrecorded, each once (`told` remembers).
// Pure but for `told`.
#pragma once

#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "daemon/core/time_format.h"
#include "tools/fleet/fleet_store.h"

namespace lifeline::fleet {

struct ReviewReminder {
  bool late = false;  // past its deadline; else due soon
  const ReportView* report = nullptr;
};

std::vector<ReviewReminder> DueReminders(const std::vector<ReportView>& reports, WallTime now,
                                         std::chrono::seconds ahead, std::set<std::string>* told);

}  // namespace lifeline::fleet
