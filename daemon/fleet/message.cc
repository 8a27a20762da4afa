// Journal entries as the supervising agency reads them (proto/fleet.md): the
// entry's own fields and payload, under a topic by what it is about. The
// sequence number is the journal's, so the subscriber drops a repeat by
// (unit, seq) however often the wire delivers it.
#include <array>
#include <string_view>

#include "daemon/core/text.h"
#include "daemon/fleet/fleet.h"

namespace lifeline {

using nlohmann::json;

namespace {

struct Route {
  std::string_view type;
  std::string_view kind;  // report | health | drill
};

constexpr std::array kRoutes = {
    Route{"report.received", "report"},        Route{"report.revision_added", "report"},
    Route{"report.state", "report"},           Route{"report.site_receipt", "report"},
    Route{"report.stage_receipt", "report"},   Route{"report.signoff", "report"},
    Route{"notification.required", "report"},  Route{"notification.state", "report"},
    Route{"notification.deadline_missed", "report"}, Route{"attempt.end", "report"},
    Route{"power.change", "health"},           Route{"link.outage", "health"},
    Route{"link.recovered", "health"},         Route{"channel.health", "health"},
    Route{"supervisor.link", "health"},        Route{"contact.down", "health"},
    Route{"contact.restored", "health"},       Route{"daemon.started", "health"},
    Route{"daemon.stopped", "health"},         Route{"drill.start", "drill"},
    Route{"drill.end", "drill"},
};

std::string_view KindOf(std::string_view type) {
  for (const Route& r : kRoutes) {
    if (r.type == type) return r.kind;
  }
  return {};
}

std::string Base(const FleetOptions& box) { return "lifeline/" + box.agency + "/" + box.unit + "/"; }

}  // namespace

std::optional<FleetMessage> FleetMessageFor(const FleetOptions& box, const JournalEntry& e,
                                            const ReportContext& report, int64_t after_seq) {
  std::string kind(KindOf(e.type));
  if (kind.empty()) return std::nullopt;
  json detail = json::parse(e.payload, nullptr, false);
  if (detail.is_discarded()) detail = TextEvidence(e.payload);
  // A report's fall back is the notice the supervising agency receives in an outage (001 陸.六).
  if (e.type == "report.state" && detail.is_object() && detail.value("to", "") == "fallback") kind = "notice";
  json m = {{"schema", kFleetSchema}, {"agency", box.agency}, {"unit", box.unit}, {"seq", e.seq},
            {"at", e.wall_time},      {"kind", kind},         {"type", e.type},     {"detail", detail}};
  if (after_seq >= 0) m["after_seq"] = after_seq;
  std::string topic = Base(box) + kind;
  if (!e.report_id.empty()) m["report_id"] = e.report_id;
  if ((kind == "report" || kind == "notice") && !e.report_id.empty()) {
    topic += "/" + e.report_id;
    if (!report.category.empty()) m["category"] = report.category;
    if (report.level > 0) m["level"] = report.level;
    m["drill"] = report.drill;
  }
  return FleetMessage{std::move(topic), DumpJson(m)};
}

FleetMessage FleetHeartbeat(const FleetOptions& box, WallTime now, int64_t acked_seq, int64_t heard_seq) {
  json m = {{"schema", kFleetSchema}, {"agency", box.agency}, {"unit", box.unit}, {"kind", "heartbeat"},
            {"at", FormatUtcMicros(now)}, {"acked_seq", acked_seq}};
  if (heard_seq >= 0) m["heard_seq"] = heard_seq;
  return FleetMessage{Base(box) + "health", DumpJson(m)};
}

FleetMessage FleetReplayRequest(const std::string& agency, const std::string& unit, int64_t from_seq) {
  json m = {{"schema", kFleetSchema}, {"from_seq", from_seq}};
  return FleetMessage{"lifeline/" + agency + "/" + unit + "/replay", DumpJson(m)};
}

Result<int64_t> ParseFleetReplayRequest(std::string_view payload) {
  if (payload.size() > 1024) return InvalidArgument("replay request of " + std::to_string(payload.size()) + " bytes");
  if (!IsValidUtf8(payload)) return InvalidArgument("replay request not UTF-8");
  json m = json::parse(payload, nullptr, false);
  if (!m.is_object()) return InvalidArgument("replay request not a JSON object");
  if (m.value("schema", json()) != kFleetSchema) return InvalidArgument("replay request schema is not lifeline.fleet/1");
  const json from = m.value("from_seq", json());
  if (!from.is_number_integer() || from.get<int64_t>() < 1) {
    return InvalidArgument("replay request from_seq is not an integer >= 1");
  }
  return from.get<int64_t>();
}

}  // namespace lifeline
