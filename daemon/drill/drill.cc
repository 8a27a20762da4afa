#include "daemon/drill/drill.h"

#include "daemon/core/log.h"
#include "daemon/core/uuid.h"

namespace lifeline {
namespace {

using nlohmann::json;

http::Response Problems(const json& problems) {
  return JsonResponse(422, {{"error", "invalid_drill"},
                            {"message", "the drill was not started: fix every problem listed"},
                            {"message_zh", "演練設定有誤，未啟動；請修正下列每一項問題"},
                            {"problems", problems}});
}

json Problem(const std::string& path, const std::string& zh, const std::string& en) {
  return {{"path", path}, {"zh", zh}, {"en", en}};
}

json DrillToJson(const DrillRow& d) {
  return {{"id", d.id}, {"report_id", d.report_id}, {"name", d.name}, {"started_at", d.started_at},
          {"outage_until", d.outage_until}, {"ended_at", d.ended_at}, {"complete", !d.ended_at.empty()}};
}

}  // namespace

DrillDesk::DrillDesk(asio::io_context& io, AsyncStore& store, const Clock& clock, IntakeApi& api,
                     EscalationEngine& engine, OnlinePath& online)
    : io_(io), store_(store), clock_(clock), api_(api), engine_(engine), online_(online) {}

DrillDesk::~DrillDesk() {
  for (auto& t : timers_) t.cancel();
}

void DrillDesk::Start() {
  api_.AddCollection("drills", [this](const http::Request& req, const std::vector<std::string>& p,
                                      IntakeApi::Reply reply) { Handle(req, p, std::move(reply)); });
  auto drills = std::make_shared<std::vector<DrillRow>>();
  store_.Run(
      [drills](Store& st) {
        auto r = st.Drills();
        if (r.ok()) *drills = std::move(*r);
        return r.status();
      },
      [this, drills, alive = std::weak_ptr<int>(alive_)](Status s) {
        if (alive.expired() || !s.ok()) return;
        for (const auto& d : *drills) {
          auto until = ParseRfc3339(d.outage_until);
          if (d.ended_at.empty() && until.ok() && until->instant > clock_.Now()) Hold(d.report_id, until->instant);
        }
      });
}

// The report is held back from the site and the engine sees the site lost,
// until `until`; then the replay sends it as a late submission.
void DrillDesk::Hold(const std::string& report_id, WallTime until) {
  engine_.SetDrillOutage(report_id, until);
  auto left = std::chrono::duration_cast<std::chrono::steady_clock::duration>(until - clock_.Now());
  online_.HoldUntil(report_id, std::chrono::steady_clock::now() + left);
  auto& timer = timers_.emplace_back(io_);
  timer.expires_after(left);
  timer.async_wait([this, report_id, alive = std::weak_ptr<int>(alive_)](const std::error_code& ec) {
    if (ec || alive.expired()) return;
    store_.Run([report_id](Store& st) { return st.RecordEvent("drill.outage_end", report_id, json::object()); },
               [this, report_id, alive](Status) {
                 if (alive.expired()) return;
                 spdlog::info("[drill] report {}: the simulated loss of the site ends; replaying", report_id);
                 online_.Drain();
               });
  });
}

void DrillDesk::Release(const std::string& report_id) {
  engine_.SetDrillOutage(report_id, clock_.Now());
  online_.HoldUntil(report_id, std::chrono::steady_clock::now());
}

void DrillDesk::OnAccepted(const std::string& report_id) {
  auto drills = std::make_shared<std::vector<DrillRow>>();
  store_.Run(
      [report_id](Store& st) -> Status {
        auto all = st.Drills();
        if (!all.ok()) return all.status();
        for (const auto& d : *all) {
          if (d.report_id == report_id && d.ended_at.empty()) LIFELINE_RETURN_IF_ERROR(st.EndDrill(d.id));
        }
        return Status::Ok();
      },
      [](Status) {});
}

void DrillDesk::Handle(const http::Request& req, const std::vector<std::string>& p, IntakeApi::Reply reply) {
  if (p.size() == 2 && req.method == "POST") return Begin(req, std::move(reply));
  if (p.size() == 2 && req.method == "GET") return List(std::move(reply));
  if (p.size() == 3 && req.method == "GET") return Show(p[2], std::move(reply));
  reply(ErrorResponse(405, "method_not_allowed", req.method + " is not allowed on " + req.target, "不支援此方法"));
}

void DrillDesk::Begin(const http::Request& req, IntakeApi::Reply reply) {
  json body = json::parse(req.body, nullptr, false);
  if (!body.is_object()) return reply(Problems(json::array({Problem("", "須為 JSON 物件", "must be a JSON object")})));
  json problems = json::array();
  std::string name, scenario;
  int64_t outage_seconds = 0;
  if (!body.contains("name") || !body["name"].is_string() || body["name"].get<std::string>().empty() ||
      body["name"].get<std::string>().size() > 200) {
    problems.push_back(Problem("/name", "須為 1 至 200 字之字串", "must be a string of 1-200 characters"));
  } else {
    name = body["name"].get<std::string>();
  }
  if (body.contains("scenario") && body["scenario"].is_string()) scenario = body["scenario"].get<std::string>();
  else if (body.contains("scenario")) problems.push_back(Problem("/scenario", "須為字串", "must be a string"));
  if (!body.contains("outage_seconds") || !body["outage_seconds"].is_number_integer() ||
      body["outage_seconds"].get<int64_t>() < 1 || body["outage_seconds"].get<int64_t>() > 86400) {
    problems.push_back(Problem("/outage_seconds", "須為 1 至 86400 之整數", "must be an integer from 1 to 86400"));
  } else {
    outage_seconds = body["outage_seconds"].get<int64_t>();
  }
  const json* report = body.contains("report") && body["report"].is_object() ? &body["report"] : nullptr;
  if (!report) {
    problems.push_back(Problem("/report", "須為通報單物件", "must be a report object"));
  } else if (!report->contains("drill") || (*report)["drill"] != true) {
    problems.push_back(Problem("/report/drill", "演練通報單須標示 drill: true", "a drill report must carry drill: true"));
  }
  if (report && (!report->contains("id") || !(*report)["id"].is_string() ||
                 !IsUuid((*report)["id"].get<std::string>()))) {
    problems.push_back(Problem("/report/id", "須為 UUID", "must be a UUID"));
  }
  if (!problems.empty()) return reply(Problems(problems));
  std::string report_id = report->value("id", "");
  WallTime until = clock_.Now() + std::chrono::seconds(outage_seconds);
  // Held before it is stored: intake hands a stored report to the site at once.
  Hold(report_id, until);
  http::Request forward;
  forward.method = "POST";
  forward.target = "/v1/reports";
  forward.body = report->dump();
  auto drill_id = NewUuidV4();
  if (!drill_id.ok()) return reply(ResponseFromStatus(drill_id.status()));
  DrillRow row{*drill_id, report_id, name, scenario, FormatUtcMicros(clock_.Now()), FormatUtcMicros(until), ""};
  api_.Handle(forward, [this, row, reply, alive = std::weak_ptr<int>(alive_)](http::Response stored) {
    if (alive.expired()) return;
    if (stored.status != 201) {
      Release(row.report_id);
      if (stored.status == 200) {
        return reply(ErrorResponse(409, "report_exists",
                                   "report " + row.report_id + " is already stored; a drill needs a fresh report id",
                                   "此通報單已存在；演練須使用新的通報單識別碼"));
      }
      return reply(stored);
    }
    store_.Run([row](Store& st) { return st.StartDrill(row); },
               [row, reply, stored](Status s) {
                 if (!s.ok()) return reply(ResponseFromStatus(s));
                 spdlog::warn("[drill] \"{}\" started: report {}; the site is simulated lost until {}", row.name,
                              row.report_id, row.outage_until);
                 json out = DrillToJson(row);
                 out["report"] = json::parse(stored.body, nullptr, false);
                 reply(JsonResponse(201, out));
               });
  });
}

void DrillDesk::List(IntakeApi::Reply reply) {
  auto drills = std::make_shared<std::vector<DrillRow>>();
  store_.Run(
      [drills](Store& st) {
        auto r = st.Drills();
        if (r.ok()) *drills = std::move(*r);
        return r.status();
      },
      [drills, reply](Status s) {
        if (!s.ok()) return reply(ResponseFromStatus(s));
        json list = json::array();
        for (const auto& d : *drills) list.push_back(DrillToJson(d));
        reply(JsonResponse(200, {{"drills", list}}));
      });
}

void DrillDesk::Show(const std::string& id, IntakeApi::Reply reply) {
  struct Found {
    std::optional<DrillRow> drill;
    std::vector<JournalEntry> entries;
    std::string state;
  };
  auto found = std::make_shared<Found>();
  store_.Run(
      [id, found](Store& st) -> Status {
        auto all = st.Drills();
        if (!all.ok()) return all.status();
        for (const auto& d : *all) {
          if (d.id == id || d.report_id == id) found->drill = d;
        }
        if (!found->drill) return NotFound("no drill " + id);
        auto entries = ReadJournal(st.db(), found->drill->report_id);
        if (!entries.ok()) return entries.status();
        found->entries = std::move(*entries);
        auto revisions = st.GetReport(found->drill->report_id);
        if (revisions.ok() && !revisions->empty()) found->state = revisions->back().state;
        return Status::Ok();
      },
      [found, reply](Status s) {
        if (!s.ok()) return reply(ResponseFromStatus(s));
        auto origin = ParseRfc3339(found->drill->started_at);
        WallTime start = origin.ok() ? origin->instant : WallTime{};
        json steps = json::array();
        for (const auto& e : found->entries) {
          steps.push_back({{"seq", e.seq}, {"at", e.wall_time}, {"type", e.type},
                           {"text", TimelineLine(e, start, 8 * 60)},
                           {"payload", json::parse(e.payload, nullptr, false)}});
        }
        json out = DrillToJson(*found->drill);
        out["report_state"] = found->state;
        out["timeline"] = steps;
        reply(JsonResponse(200, out));
      });
}

}  // namespace lifeline
