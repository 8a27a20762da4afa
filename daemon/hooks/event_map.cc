// Journal entries to hook events: which facts a site's program hears, and
// what it reads of each. The entry's payload is passed on as it is under
// "detail", so a program sees what the auditor sees.
#include <algorithm>

#include "daemon/hooks/hooks.h"

namespace lifeline {

using nlohmann::json;

bool IsHookEvent(std::string_view name) {
  return std::any_of(std::begin(kHookEvents), std::end(kHookEvents), [&](const char* e) { return name == e; });
}

namespace {

std::optional<HookEvent> Event(const JournalEntry& e, std::string name, const json& payload) {
  json j = {{"event", name}, {"seq", e.seq}, {"at", e.wall_time}, {"journal_type", e.type}, {"detail", payload}};
  if (!e.report_id.empty()) j["report_id"] = e.report_id;
  return HookEvent{std::move(name), std::move(j)};
}

std::optional<HookEvent> FromReportState(const JournalEntry& e, const json& p) {
  const std::string to = p.value("to", "");
  if (to == "accepted") return Event(e, "report_accepted", p);
  if (to == "fallback") return Event(e, "fallback_started", p);
  if (to == "accepted_late") return Event(e, "late_submission_accepted", p);
  return std::nullopt;
}

std::optional<HookEvent> Power(const JournalEntry& e, const json& p, std::optional<bool>* on_battery) {
  if (!p.value("known", false)) return std::nullopt;
  const bool now = p.value("on_battery", false);
  const std::optional<bool> before = *on_battery;
  *on_battery = now;
  if (before.value_or(false) == now) return std::nullopt;  // no change of mains (charge, runtime)
  auto ev = Event(e, now ? "outage" : "recovery", p);
  ev->event["cause"] = "power";
  return ev;
}

}  // namespace

std::optional<HookEvent> HookEventFor(const JournalEntry& e, std::optional<bool>* on_battery) {
  json p = json::parse(e.payload, nullptr, false);
  if (!p.is_object()) return std::nullopt;
  if (e.type == "report.state") return FromReportState(e, p);
  if (e.type == "notification.state" && p.value("to", "") == "confirmed") return Event(e, "recipient_confirmed", p);
  if (e.type == "notification.deadline_missed") return Event(e, "recipient_missed_deadline", p);
  if (e.type == "power.change") return Power(e, p, on_battery);
  if (e.type == "link.outage" || e.type == "link.recovered") {
    auto ev = Event(e, e.type == "link.outage" ? "outage" : "recovery", p);
    ev->event["cause"] = "network";
    return ev;
  }
  if (e.type == "contact.down") return Event(e, "contact_channel_down", p);
  if (e.type == "contact.restored") return Event(e, "contact_channel_restored", p);
  return std::nullopt;
}

}  // namespace lifeline
