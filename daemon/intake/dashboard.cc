// GET /v1/dashboard: the console's first page in one answer. The box's health
// (site link with the reason of an outage, power, each channel), and every
// report still in hand with its deadlines and, per required recipient, the
// notification's state, its channels and their latest evidence.
#include "daemon/intake/intake.h"

namespace lifeline {
namespace {

using nlohmann::json;

json AttemptToJson(const AttemptRow& a) {
  json j = {{"id", a.id}, {"channel", a.channel}, {"address", a.address}, {"started_at", a.started_at},
            {"ended_at", a.ended_at}, {"outcome", a.outcome}};
  if (a.evidence.is_object() && a.evidence.contains("summary")) j["summary"] = a.evidence["summary"];
  return j;
}

struct InHand {
  StoredRevision rev;
  std::vector<NotificationRow> notifications;
  std::vector<AttemptRow> attempts;
};

json RecipientsOf(const InHand& r, const std::map<std::string, std::string>& names) {
  json out = json::array();
  for (const auto& n : r.notifications) {
    if (n.revision != r.rev.revision) continue;
    json attempts = json::array();
    for (const auto& a : r.attempts) {
      if (a.notification_id == n.id) attempts.push_back(AttemptToJson(a));
    }
    auto name = names.find(n.recipient);
    out.push_back({{"key", n.recipient}, {"name", name == names.end() ? n.recipient : name->second},
                   {"state", n.state}, {"due_at", n.due_at}, {"loud", n.loud}, {"attempts", attempts}});
  }
  return out;
}

json ReportToJson(const InHand& r, const std::map<std::string, std::string>& names) {
  const json& doc = r.rev.document;
  json j = RevisionToJson(r.rev, false);
  j["category"] = doc.value("category", "");
  j["category_zh"] = LabelZh("categories", doc.value("category", ""));
  j["agency"] = doc.is_object() && doc.contains("agency") && doc["agency"].is_object()
                    ? doc["agency"].value("name", "")
                    : "";
  j["recipients"] = RecipientsOf(r, names);
  return j;
}

}  // namespace

void IntakeApi::Dashboard(Reply reply) {
  auto reports = std::make_shared<std::vector<InHand>>();
  auto tasks = std::make_shared<std::vector<PhoneTask>>();
  const WallTime now = clock_.Now();
  const WallTime since = now - std::chrono::hours(24 * 35);
  store_.Run(
      [reports, tasks, since](Store& st) -> Status {
        auto open = st.OpenReports(since, 100);
        if (!open.ok()) return open.status();
        for (auto& rev : *open) {
          auto n = st.Notifications(rev.id);
          auto a = st.Attempts(rev.id);
          if (!n.ok()) return n.status();
          if (!a.ok()) return a.status();
          reports->push_back({std::move(rev), std::move(*n), std::move(*a)});
        }
        auto open_tasks = st.PhoneTasks(true);
        if (!open_tasks.ok()) return open_tasks.status();
        *tasks = std::move(*open_tasks);
        return Status::Ok();
      },
      [this, reports, tasks, now, reply](Status s) {
        if (!s.ok()) return reply(ResponseFromStatus(s));
        json channels = json::object();
        for (const auto& [kind, h] : health_.channels) channels[kind] = h;
        json list = json::array();
        for (const auto& r : *reports) list.push_back(ReportToJson(r, recipient_names_));
        json box = {{"site", {{"state", health_.site_state}, {"reason", health_.site_reason}, {"since", health_.site_since}}},
                    {"power", health_.power},
                    {"channels", channels},
                    {"contact_alerts", health_.contact_alerts}};
        json open_tasks = json::array();
        for (const auto& t : *tasks) {
          open_tasks.push_back({{"id", t.id}, {"report_id", t.report_id}, {"recipient_name", t.recipient_name},
                                {"number", t.number}, {"due_at", t.due_at}, {"drill", t.drill}});
        }
        reply(JsonResponse(200, {{"now", FormatUtcMicros(now)},
                                 {"outage", health_.site_state == "outage"},
                                 {"box", box},
                                 {"reports", list},
                                 {"phone_tasks_open", tasks->size()},
                                 {"phone_tasks", open_tasks}}));
      });
}

}  // namespace lifeline
