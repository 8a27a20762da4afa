// A finished drill's record (lifeline.drill-record/1, proto/drills.md §3) from
// what the box holds of its report: the journal in order becomes the steps
// (awareness, filing, each site attempt, the simulated loss, the fallback,
// each recipient notified and confirmed or failed with its channel, the
// recovery, the late submission), and the record's deadlines the hour's
// deadlines with when they were met. `lifeline drill record --drill ID` prints
// the 演練時間紀錄表 from it.
#include "daemon/intake/intake.h"

#include <map>

#include "daemon/core/text.h"
#include "daemon/core/time_format.h"

namespace lifeline {
namespace {

using nlohmann::json;

std::string PayloadText(const json& p, const char* key) {
  if (!p.is_object() || !p.contains(key)) return "";
  const json& v = p[key];
  return v.is_string() ? v.get<std::string>() : DumpJson(v);
}

// A time of the box (UTC) as the report states its times.
std::string InRecordOffset(const std::string& utc, int offset) {
  auto t = ParseRfc3339(utc);
  return t.ok() ? FormatRfc3339(WithOffset(t->instant, offset)) : "";
}

// What confirmed a channel, in the record's words.
std::string DrillConfirmedBy(const std::string& channel, bool by_hand) {
  if (by_hand) return "by hand";
  if (channel == "sms") return "delivered";
  if (channel == "fax") return "MCF";
  if (channel == "phone") return "answered";
  return "accepted";
}

bool IsDrillRecordChannel(const std::string& c) {
  return c == "sms" || c == "fax" || c == "email" || c == "phone";
}

// The scenario's id as its file gives it (`id = "network-loss"` in
// [drill]); the desk keeps the scenario's text. "ad-hoc" when it has none.
std::string ScenarioIdOf(const std::string& text) {
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find('\n', at);
    std::string_view line(text.data() + at, (end == std::string::npos ? text.size() : end) - at);
    at = end == std::string::npos ? text.size() : end + 1;
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.substr(0, 2) != "id") continue;
    line.remove_prefix(2);
    while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    if (line.empty() || line.front() != '=') continue;
    size_t open = line.find('"'), close = open == std::string_view::npos ? open : line.find('"', open + 1);
    if (close == std::string_view::npos) continue;
    std::string id(line.substr(open + 1, close - open - 1));
    bool plain = !id.empty() && id.size() <= 64;
    for (char c : id) plain = plain && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-');
    if (plain) return id;
  }
  return "ad-hoc";
}

struct DrillAttemptInfo {
  std::string recipient, channel;
  bool by_hand = false;
};

// One pass over the journal in order, one branch per entry type: the table in
// proto/drills.md §3 read top to bottom. Kept together so that table and this
// code can be compared line by line.
json DrillSteps(const record::RecordView& r, const DrillRecordNames& names, int offset) {
  json steps = json::array();
  auto name_of = [&](const std::string& key) {
    auto it = names.recipients.find(key);
    return it == names.recipients.end() || it->second.empty() ? key : it->second;
  };
  auto add = [&](const std::string& at, const char* kind, json extra) {
    if (at.empty()) return;
    extra["at"] = at;
    extra["kind"] = kind;
    steps.push_back(std::move(extra));
  };
  auto aware = ParseRfc3339(r.revisions.front().aware_at);
  if (aware.ok()) add(FormatRfc3339(*aware), "aware", json::object());
  std::map<int64_t, DrillAttemptInfo> attempts;
  bool fell_back = false;
  for (const auto& e : r.journal) {
    const json p = json::parse(e.payload, nullptr, false);
    const std::string at = InRecordOffset(e.wall_time, offset);
    if (e.type == "report.received" || e.type == "report.revision_added") {
      add(at, "filed", {{"text", "revision " + PayloadText(p, "revision") + ", level " + PayloadText(p, "level")}});
    } else if (e.type == "site.attempt.end") {
      json s = {{"channel", "site"}, {"outcome", PayloadText(p, "outcome")}};
      if (!PayloadText(p, "detail").empty()) s["text"] = SafeText(PayloadText(p, "detail"));
      add(at, "site_attempt", std::move(s));
    } else if (e.type == "drill.start") {
      add(at, "outage_declared",
          {{"outcome", "site"}, {"text", "simulated for this drill: the site lost until " + InRecordOffset(PayloadText(p, "outage_until"), offset)}});
    } else if (e.type == "report.state" && PayloadText(p, "to") == "fallback") {
      fell_back = true;
      const json d = p.value("detail", json::object());
      add(at, "fallback_started", {{"text", d.is_object() ? PayloadText(d, "reason_zh") : ""}});
    } else if (e.type == "attempt.start") {
      const json d = p.value("detail", json::object());
      DrillAttemptInfo info{d.is_object() ? PayloadText(d, "recipient") : "", PayloadText(p, "channel"),
                       d.is_object() && d.value("by_hand", false)};
      if (!IsDrillRecordChannel(info.channel) || info.recipient.empty()) continue;
      attempts[p.value("attempt", int64_t{0})] = info;
      add(at, "notified", {{"recipient", name_of(info.recipient)}, {"channel", info.channel},
                           {"text", "attempt " + PayloadText(p, "attempt") + " to " + PayloadText(p, "address") +
                                        (info.by_hand ? " (sent by hand)" : "")}});
    } else if (e.type == "attempt.end") {
      auto it = attempts.find(p.value("attempt", int64_t{0}));
      if (it == attempts.end()) continue;
      const std::string outcome = PayloadText(p, "outcome");
      const json ev = p.value("evidence", json::object());
      const std::string summary = ev.is_object() ? SafeText(PayloadText(ev, "summary")) : "";
      json s = {{"recipient", name_of(it->second.recipient)}, {"channel", it->second.channel}};
      if (!summary.empty()) s["text"] = summary;
      if (outcome == "confirmed") {
        s["outcome"] = DrillConfirmedBy(it->second.channel, it->second.by_hand);
        add(at, "confirmed", std::move(s));
      } else {
        s["outcome"] = outcome;  // failed, sent (not confirmed), cancelled
        add(at, "note", std::move(s));
      }
    } else if (e.type == "notification.deadline_missed") {
      add(at, "note", {{"outcome", "missed"},
                       {"text", name_of(PayloadText(p, "recipient")) + ": due " + InRecordOffset(PayloadText(p, "due_at"), offset) +
                                    ", passed unconfirmed"}});
    } else if (e.type == "drill.outage_end" || e.type == "link.recovered") {
      add(at, "recovered", json::object());
    } else if (e.type == "report.site_receipt") {
      if (fell_back) {
        add(at, "late_accepted", {{"channel", "site"}, {"outcome", PayloadText(p, "receipt")}, {"text", "補行通報 late submission"}});
      } else {
        add(at, "site_attempt", {{"channel", "site"}, {"outcome", "accepted"}, {"text", "receipt " + PayloadText(p, "receipt")}});
      }
    }
  }
  return steps;
}

// The hour's deadlines as the record has them met, and the superior's phone
// call at levels 3-4 (met by its first confirmed phone attempt).
json DrillDeadlines(const record::RecordView& r, const RuleSet& rules, WallTime now, const DrillRecordNames& names,
               int offset) {
  json out = json::array();
  auto states = record::Deadlines(r, rules, now);
  if (!states.ok()) return out;
  for (const auto& d : *states) {
    if (d.key != "notify_by" && d.key != "fallback_notify_by" && d.key != "affected_agency_notify_by") continue;
    if (d.state == "not_needed") continue;
    auto due = ParseRfc3339(d.at);
    if (!due.ok()) continue;
    json j = {{"key", d.key}, {"title", d.title}, {"due_at", FormatRfc3339(WithOffset(due->instant, offset))}};
    j["done_at"] = d.met_at.empty() ? json(nullptr) : json(InRecordOffset(d.met_at, offset));
    out.push_back(std::move(j));
  }
  const json& schedule = r.latest().schedule;
  const json obligations = schedule.is_object() ? schedule.value("obligations", json::array()) : json::array();
  for (const auto& o : obligations) {
    if (!o.is_object() || o.value("key", "") != "phone_superior") continue;
    auto due = ParseRfc3339(o.value("due", ""));
    if (!due.ok()) continue;
    std::map<int64_t, std::string> recipient_of;
    for (const auto& n : r.notifications) recipient_of[n.id] = n.recipient;
    std::string done;
    for (const auto& a : r.attempts) {
      if (a.channel != "phone" || a.outcome != "confirmed" || !names.superiors.count(recipient_of[a.notification_id])) continue;
      if (done.empty() || a.ended_at < done) done = a.ended_at;
    }
    json j = {{"key", "phone_superior"}, {"title", o.value("title", "")},
              {"due_at", FormatRfc3339(WithOffset(due->instant, offset))}};
    j["done_at"] = done.empty() ? json(nullptr) : json(InRecordOffset(done, offset));
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace

json DrillRecordJson(const DrillRow& drill, const record::RecordView& r, const RuleSet& rules, WallTime now,
                     const DrillRecordNames& names, const std::string& plan_commitment) {
  const int offset = r.OffsetMinutes();
  const json& doc = r.latest().document;
  const json agency = doc.is_object() ? doc.value("agency", json::object()) : json::object();
  const std::string unit = agency.is_object() ? SafeText(agency.value("name", "")) : "";
  json d = {{"name", drill.name.empty() ? "演練 drill " + drill.id : drill.name},
            {"organiser", names.organiser.empty() ? unit : names.organiser},
            {"started_at", InRecordOffset(drill.started_at, offset)},
            {"ended_at", InRecordOffset(drill.ended_at, offset)}};
  if (!plan_commitment.empty()) d["plan_commitment"] = plan_commitment;
  json u = {{"unit", unit.empty() ? "(unnamed agency)" : unit},
            {"report_id", r.latest().id},
            {"scenario", {{"id", ScenarioIdOf(drill.scenario)},
                          {"name", drill.name.empty() ? ScenarioIdOf(drill.scenario) : drill.name},
                          {"level", r.latest().level},
                          {"category", doc.is_object() ? doc.value("category", "other") : "other"}}},
            {"steps", DrillSteps(r, names, offset)},
            {"deadlines", DrillDeadlines(r, rules, now, names, offset)}};
  if (!names.unit_id.empty()) u["unit_id"] = names.unit_id;
  return {{"format", "lifeline.drill-record/1"}, {"drill", d}, {"units", json::array({u})}};
}

}  // namespace lifeline
