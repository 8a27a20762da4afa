// The record's deadlines: when the steps they count from actually happened
// (from the journal and the stages), the schedule recomputed with them, and
// each deadline's state for people.
#include <algorithm>
#include <set>

#include "daemon/record/record.h"

namespace lifeline::record {
namespace {

using nlohmann::json;

std::optional<OffsetTime> At(const std::string& text, int offset) {
  auto t = ParseRfc3339(text);
  if (!t.ok()) return std::nullopt;
  return WithOffset(t->instant, offset);
}

json Payload(const JournalEntry& e) { return json::parse(e.payload, nullptr, false); }

// The first time the site accepted a revision of the report (in time or late).
std::optional<OffsetTime> FirstAcceptance(const RecordView& r, int offset) {
  for (const auto& e : r.journal) {
    if (e.type != "report.state") continue;
    json p = Payload(e);
    std::string to = p.is_object() ? p.value("to", "") : "";
    if (to == "accepted" || to == "accepted_late") return At(e.wall_time, offset);
  }
  return std::nullopt;
}

// When the last recipient of the first revision that fell back was confirmed,
// if every one of them was.
std::optional<OffsetTime> AllConfirmed(const RecordView& r, int offset) {
  std::optional<int> fell_back;  // notifications exist only for revisions that fell back
  for (const auto& n : r.notifications) {
    if (!fell_back || n.revision < *fell_back) fell_back = n.revision;
  }
  if (!fell_back) return std::nullopt;
  std::set<int64_t> ids;
  for (const auto& n : r.notifications) {
    if (n.revision != *fell_back) continue;
    if (n.state != "confirmed") return std::nullopt;
    ids.insert(n.id);
  }
  std::optional<OffsetTime> last;
  for (const auto& e : r.journal) {
    if (e.type != "notification.state") continue;
    json p = Payload(e);
    if (!p.is_object() || p.value("to", "") != "confirmed" || !ids.count(p.value("notification", int64_t{0}))) continue;
    last = At(e.wall_time, offset);
  }
  return last;
}

std::string StateOf(const std::string& key, const json& d, const std::optional<std::string>& met_at,
                    bool notified_in_time, WallTime now) {
  if (key == "escalate_at") return met_at ? "met" : "internal";
  if (key == "review_by") return "by_reviewer";
  if (key == "affected_agency_notify_by") return "not_tracked";
  auto at = ParseRfc3339(d.value("at", ""));
  if (met_at) {
    auto met = ParseRfc3339(*met_at);
    return at.ok() && met.ok() && met->instant > at->instant ? "met_late" : "met";
  }
  if (key == "fallback_notify_by" && notified_in_time) return "not_needed";
  return at.ok() && now > at->instant ? "overdue" : "open";
}

}  // namespace

MetSteps MetStepsOf(const RecordView& r) {
  const int offset = r.OffsetMinutes();
  MetSteps met;
  if (auto t = FirstAcceptance(r, offset)) met.emplace("notify_by", *t);
  if (auto t = AllConfirmed(r, offset)) met.emplace("fallback_notify_by", *t);
  if (const StoredStage* dc = r.LatestStage("damage-control")) {
    if (auto t = At(dc->at, offset)) met.emplace("damage_control_by", *t);
  }
  if (const StoredStage* closing = r.LatestStage("closing")) {
    if (auto t = At(closing->at, offset)) met.emplace("report_by", *t);
  }
  return met;
}

Result<json> ScheduleWithMet(const RuleSet& rules, const Report& report, const MetSteps& met) {
  auto schedule = ComputeSchedule(rules, {report.Level(), report.aware_at, report.affects_others}, met);
  if (!schedule.ok()) return schedule.status();
  json out = ScheduleToJson(*schedule);
  for (auto& d : out["deadlines"]) {
    auto done = met.find(d.value("key", ""));
    if (done == met.end()) continue;
    d["met"] = true;
    d["met_at"] = FormatRfc3339(done->second);
  }
  return out;
}

Result<std::vector<DeadlineState>> Deadlines(const RecordView& r, const RuleSet& rules, WallTime now) {
  auto report = LatestReport(r);
  if (!report.ok()) return report.status();
  auto schedule = ScheduleWithMet(rules, *report, MetStepsOf(r));
  if (!schedule.ok()) return schedule.status();
  bool notified_in_time = false;
  for (const auto& d : (*schedule)["deadlines"]) {
    if (d.value("key", "") == "notify_by" && d.value("met", false)) {
      auto at = ParseRfc3339(d.value("at", "")), met = ParseRfc3339(d.value("met_at", ""));
      notified_in_time = at.ok() && met.ok() && met->instant <= at->instant;
    }
  }
  std::vector<DeadlineState> out;
  for (const auto& d : (*schedule)["deadlines"]) {
    std::optional<std::string> met_at;
    if (d.value("met", false)) met_at = d.value("met_at", "");
    const std::string key = d.value("key", "");
    out.push_back({key, d.value("title", ""), d.value("title_en", ""), d.value("source", ""), d.value("at", ""),
                   StateOf(key, d, met_at, notified_in_time, now), met_at.value_or("")});
  }
  return out;
}

}  // namespace lifeline::record
