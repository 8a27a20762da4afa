// Journal entries in words, for the drill timeline and the demo.
#include <cstdio>

#include "daemon/core/text.h"
#include "daemon/drill/drill.h"

namespace lifeline {
namespace {

using nlohmann::json;

std::string S(const json& p, const char* key) {
  if (!p.is_object() || !p.contains(key)) return "";
  const json& v = p[key];
  return v.is_string() ? v.get<std::string>() : DumpJson(v);
}

std::string Describe(const std::string& type, const json& p) {
  if (type == "report.received") return "report received, level " + S(p, "level");
  if (type == "report.revision_added") return "revision " + S(p, "revision") + " received, level " + S(p, "level");
  if (type == "report.state") {
    std::string s = "report " + S(p, "from") + " → " + S(p, "to");
    const json d = p.value("detail", json::object());
    if (d.is_object() && d.contains("reason_zh")) s += ": " + S(d, "reason_zh") + " (" + S(d, "why") + ")";
    if (d.is_object() && d.contains("receipt")) s += ", site receipt " + S(d, "receipt") + " (" + S(d, "kind") + ")";
    return s;
  }
  if (type == "site.submit") return "submitting to the national site (" + S(p, "kind") + ")";
  if (type == "site.attempt.end") {
    return "site attempt " + S(p, "attempt") + ": " + S(p, "outcome") +
           (S(p, "detail").empty() ? "" : " (" + S(p, "detail") + ")");
  }
  if (type == "link.outage") return "LINK OUTAGE (" + S(p, "reason") + ")";
  if (type == "link.recovered") return "LINK RECOVERED";
  if (type == "notification.required") return "must notify " + S(p, "recipient") + " by " + S(p, "due_at");
  if (type == "notification.state") return "notification " + S(p, "notification") + ": " + S(p, "from") + " → " + S(p, "to");
  if (type == "notification.loud") return S(p, "recipient") + ": deadline near, every channel at once";
  if (type == "attempt.start") {
    const json d = p.value("detail", json::object());
    return S(d, "recipient") + ": " + S(p, "channel") + " to " + S(p, "address") + " (attempt " + S(p, "attempt") + ")";
  }
  if (type == "attempt.progress") return "attempt " + S(p, "attempt") + ": " + S(p, "summary");
  if (type == "attempt.end") {
    const json e = p.value("evidence", json::object());
    return "attempt " + S(p, "attempt") + " " + S(p, "outcome") + (S(e, "summary").empty() ? "" : ": " + S(e, "summary"));
  }
  if (type == "phone.task") return "phone task #" + S(p, "task") + ": call " + S(p, "number") + " (" + S(p, "recipient") + ")";
  if (type == "phone.confirmed") {
    return "phone task #" + S(p, "task") + " confirmed: answered by " + S(p, "answered_by") + " at " + S(p, "answered_at");
  }
  if (type == "phone.reminder") return "reminder: phone task #" + S(p, "task") + " still open (call " + S(p, "number") + ")";
  if (type == "phone.cancelled") return "phone task #" + S(p, "task") + " cancelled: " + S(p, "why");
  if (type == "reminder") return "reminder (" + S(p, "kind") + "): " + S(p, "title") + " by " + S(p, "at");
  if (type == "drill.start") return "DRILL \"" + S(p, "name") + "\" started; site simulated lost until " + S(p, "outage_until");
  if (type == "drill.button") return "DRILL started by the supervisor's drill button (scenario " + S(p, "scenario") + ")";
  if (type == "drill.outage_end") return "DRILL: simulated site loss ends";
  if (type == "drill.end") return "DRILL complete";
  if (type == "report.site_receipt") return "site receipt " + S(p, "receipt");
  if (type == "site.attempt.start") return "site attempt " + S(p, "attempt") + " starts";
  return type + " " + DumpJson(p);
}

}  // namespace

std::string TimelineLine(const JournalEntry& e, WallTime origin, int offset_minutes) {
  auto at = ParseRfc3339(e.wall_time);
  WallTime t = at.ok() ? at->instant : origin;
  auto since = std::chrono::duration_cast<std::chrono::seconds>(t - origin).count();
  std::string local = FormatRfc3339(WithOffset(t, offset_minutes)).substr(11, 8);
  char rel[32];
  std::snprintf(rel, sizeof rel, "%s%02lld:%02lld", since < 0 ? "-" : "+", std::llabs(since) / 60,
                std::llabs(since) % 60);
  json p = json::parse(e.payload, nullptr, false);
  return std::string(rel) + "  " + local + "  " + Describe(e.type, p);
}

}  // namespace lifeline
