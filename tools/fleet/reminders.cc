#include "tools/fleet/reminders.h"

namespace lifeline::fleet {

std::vector<ReviewReminder> DueReminders(const std::vector<ReportView>& reports, WallTime now,
                                         std::chrono::seconds ahead, std::set<std::string>* told) {
  std::vector<ReviewReminder> out;
  for (const ReportView& r : reports) {
    auto due = ParseRfc3339(r.review_due);
    if (!r.reviewed_at.empty() || !due.ok()) continue;
    // Per revision: a new revision (a level change by the unit) is a new review.
    const std::string key = r.unit + "/" + r.report_id + "/" + std::to_string(r.revision);
    if (due->instant <= now) {
      if (told->insert(key + "/late").second) out.push_back({true, &r});
    } else if (due->instant - ahead <= now && told->insert(key + "/ahead").second) {
      out.push_back({false, &r});
    }
  }
  return out;
}

}  // namespace lifeline::fleet
