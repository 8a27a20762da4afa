// /v1/drills: start a drill (its report filed through the intake, the site
// simulated lost for it by the drill desk), list drills, show one with its
// timeline; /v1/drill-scenarios: the scenario library the drills page starts
// them from (proto/console-api.yaml).
#include <filesystem>
#include <set>
#include <fstream>
#include <sstream>

#include "daemon/core/text.h"
#include "daemon/core/time_format.h"
#include "daemon/core/log.h"
#include "daemon/core/uuid.h"
#include "daemon/drill/scenario.h"
#include "daemon/intake/intake.h"

namespace lifeline {
namespace {

using nlohmann::json;

http::Response DrillProblems(const json& problems) {
  return ProblemListResponse("invalid_drill", problems, "the drill was not started: fix every problem listed",
                             "演練設定有誤，未啟動；請修正下列每一項問題");
}

json DrillToJson(const DrillRow& d) {
  return {{"id", d.id}, {"report_id", d.report_id}, {"name", d.name}, {"started_at", d.started_at},
          {"outage_until", d.outage_until}, {"ended_at", d.ended_at}, {"complete", !d.ended_at.empty()}};
}

// A finished drill's results (演練時間紀錄表 and 成果報告) are due the rule
// set's drill_results_due after it (seed 003 5.2.1: one month), in +08:00;
// "" while it runs or when the rule set has no such figure.
std::string ResultsDueAt(const DrillRow& d, const RuleSet& rules) {
  auto ended = ParseRfc3339(d.ended_at);
  if (!ended.ok()) return "";
  for (const auto& f : rules.figures) {
    if (f.key != "drill_results_due") continue;
    auto span = ParseRuleDuration(f.value);
    if (!span.ok()) return "";
    OffsetTime due = AddCalendarMonths(WithOffset(ended->instant, 8 * 60), span->months);
    due.instant += std::chrono::seconds(span->seconds);
    return FormatRfc3339(due);
  }
  return "";
}

json DrillToJson(const DrillRow& d, const RuleSet& rules) {
  json j = DrillToJson(d);
  if (std::string due = ResultsDueAt(d, rules); !due.empty()) j["results_due_at"] = due;
  return j;
}

// What POST /v1/drills carries, checked field by field.
struct DrillRequest {
  std::string name, scenario;
  int64_t outage_seconds = 0;
  json faults = json::array();  // DeskPlan::faults
  json report;
};

// The desk's faults as drill::PlanForDesk gives them; each problem named.
void CheckDrillFaults(const json& body, json* problems, json* out) {
  if (!body.contains("faults")) return;
  const json& faults = body["faults"];
  if (!faults.is_array() || faults.size() > 32) {
    problems->push_back(FieldProblem("/faults", "須為至多 32 項之陣列", "must be an array of at most 32 faults"));
    return;
  }
  static const std::set<std::string> kChannels = {"site", "mains", "sms", "fax"};
  static const std::set<std::string> kLinks = {"", "connect", "timeout", "http_5xx", "dns", "tls", "transport"};
  for (size_t i = 0; i < faults.size(); ++i) {
    const std::string at = "/faults/" + std::to_string(i);
    const json& f = faults[i];
    auto integer = [&](const char* key, int64_t lo, int64_t hi, bool required) {
      if (!f.contains(key)) {
        if (required) problems->push_back(FieldProblem(at + "/" + key, "必填", "required"));
        return;
      }
      if (!f[key].is_number_integer() || f[key].get<int64_t>() < lo || f[key].get<int64_t>() > hi) {
        problems->push_back(FieldProblem(at + "/" + key, "須為 " + std::to_string(lo) + " 至 " + std::to_string(hi) + " 之整數",
                                         "must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi)));
      }
    };
    auto text = [&](const char* key, size_t max, const std::set<std::string>* allowed) {
      if (!f.contains(key)) return;
      if (!f[key].is_string() || f[key].get<std::string>().size() > max ||
          (allowed && !allowed->count(f[key].get<std::string>()))) {
        problems->push_back(FieldProblem(at + "/" + key, "值不正確", "is not a valid value"));
      }
    };
    if (!f.is_object()) {
      problems->push_back(FieldProblem(at, "須為物件", "must be an object"));
      continue;
    }
    if (!f.contains("channel")) problems->push_back(FieldProblem(at + "/channel", "必填", "required"));
    text("channel", 8, &kChannels);
    text("link_class", 16, &kLinks);
    text("kind", 40, nullptr);
    text("summary", 300, nullptr);
    integer("start_seconds", 0, 172800, true);
    integer("duration_seconds", 1, 86400, true);
    integer("battery_minutes", 0, 10000, false);
    for (const auto& [key, value] : f.items()) {
      static const std::set<std::string> kKnown = {"channel", "link_class", "kind", "summary", "start_seconds",
                                                   "duration_seconds", "battery_minutes"};
      if (!kKnown.count(key)) problems->push_back(FieldProblem(at + "/" + key, "不支援此欄位", "is not a field of a fault"));
    }
  }
  *out = faults;
}

json CheckDrillRequest(const json& body, DrillRequest* out) {
  json problems = json::array();
  if (!body.contains("name") || !body["name"].is_string() || body["name"].get<std::string>().empty() ||
      body["name"].get<std::string>().size() > 200) {
    problems.push_back(FieldProblem("/name", "須為 1 至 200 字之字串", "must be a string of 1-200 characters"));
  } else {
    out->name = body["name"].get<std::string>();
  }
  if (body.contains("scenario") && body["scenario"].is_string()) out->scenario = body["scenario"].get<std::string>();
  else if (body.contains("scenario")) problems.push_back(FieldProblem("/scenario", "須為字串", "must be a string"));
  if (!body.contains("outage_seconds") || !body["outage_seconds"].is_number_integer() ||
      body["outage_seconds"].get<int64_t>() < 1 || body["outage_seconds"].get<int64_t>() > 86400) {
    problems.push_back(FieldProblem("/outage_seconds", "須為 1 至 86400 之整數", "must be an integer from 1 to 86400"));
  } else {
    out->outage_seconds = body["outage_seconds"].get<int64_t>();
  }
  CheckDrillFaults(body, &problems, &out->faults);
  const json* report = body.contains("report") && body["report"].is_object() ? &body["report"] : nullptr;
  if (!report) {
    problems.push_back(FieldProblem("/report", "須為通報單物件", "must be a report object"));
    return problems;
  }
  if (!report->contains("drill") || (*report)["drill"] != true) {
    problems.push_back(FieldProblem("/report/drill", "演練通報單須標示 drill: true", "a drill report must carry drill: true"));
  }
  if (!report->contains("id") || !(*report)["id"].is_string() || !IsUuid((*report)["id"].get<std::string>())) {
    problems.push_back(FieldProblem("/report/id", "須為 UUID", "must be a UUID"));
  }
  out->report = *report;
  return problems;
}

void StartDrill(IntakeApi& api, DrillDesk& desk, const Clock& clock, const http::Request& req, const Principal& who,
                http::Reply reply) {
  json body = json::parse(req.body, nullptr, false);
  if (!body.is_object()) return reply(DrillProblems(json::array({FieldProblem("", "須為 JSON 物件", "must be a JSON object")})));
  DrillRequest d;
  json problems = CheckDrillRequest(body, &d);
  if (!problems.empty()) return reply(DrillProblems(problems));
  auto drill_id = NewUuidV4();
  if (!drill_id.ok()) return reply(ResponseFromStatus(drill_id.status()));
  const std::string report_id = d.report.value("id", "");
  WallTime until = clock.Now() + std::chrono::seconds(d.outage_seconds);
  DrillRow row{*drill_id, report_id, d.name, d.scenario, FormatUtcMicros(clock.Now()), FormatUtcMicros(until), ""};
  desk.Hold(report_id, until);
  desk.SimulateFaults(report_id, d.faults, clock.Now());
  api.FileReport(DumpJson(d.report), "", who, [&desk, row, faults = d.faults, reply, actor = who.name](http::Response stored) {
    if (stored.status != 201) {
      desk.Release(row.report_id);
      if (stored.status == 200) {
        return reply(ErrorResponse(409, "report_exists",
                                   "report " + row.report_id + " is already stored; a drill needs a fresh report id",
                                   "此通報單已存在；演練須使用新的通報單識別碼"));
      }
      return reply(stored);
    }
    desk.Record(row, faults, actor, [row, reply, stored](Status s) {
      if (!s.ok()) return reply(ResponseFromStatus(s));
      json out = DrillToJson(row);
      out["report"] = json::parse(stored.body, nullptr, false);
      reply(JsonResponse(201, out));
    });
  });
}

void ShowDrill(IntakeApi& api, DrillDesk& desk, const std::string& id, http::Reply reply) {
  desk.Show(id, [&api, reply](Result<DrillView> view) {
    if (!view.ok()) return reply(ResponseFromStatus(view.status()));
    auto origin = ParseRfc3339(view->drill.started_at);
    WallTime start = origin.ok() ? origin->instant : WallTime{};
    json steps = json::array();
    for (const auto& e : view->entries) {
      steps.push_back({{"seq", e.seq}, {"at", e.wall_time}, {"type", e.type},
                       {"text", TimelineLine(e, start, 8 * 60)},
                       {"payload", json::parse(e.payload, nullptr, false)}});
    }
    json out = DrillToJson(view->drill, api.rules());
    out["report_state"] = view->report_state;
    out["timeline"] = steps;
    reply(JsonResponse(200, out));
  });
}

void ShowDrillRecord(IntakeApi& api, DrillDesk& desk, AsyncStore& store, const std::string& id,
                     std::shared_ptr<const DrillRecordNames> names, http::Reply reply) {
  desk.Show(id, [&api, &store, names, reply](Result<DrillView> view) {
    if (!view.ok()) return reply(ResponseFromStatus(view.status()));
    if (view->drill.ended_at.empty()) {
      return reply(ErrorResponse(409, "drill_running",
                                 "drill " + view->drill.id + " is still running; its record is made once it ends",
                                 "演練尚未結束；結束後方可產生演練時間紀錄"));
    }
    auto row = std::make_shared<DrillRow>(view->drill);
    auto loaded = std::make_shared<Result<record::RecordView>>(NotFound(""));
    auto commitment = std::make_shared<std::string>();
    store.Run(
        [row, loaded, commitment](Store& st) -> Status {
          *loaded = record::LoadRecord(st, row->report_id);
          if (!loaded->ok()) return loaded->status();
          // The plan this drill was dealt from: the last seal journaled before it began.
          auto seals = JournaledSeals(st);
          if (!seals.ok()) return seals.status();
          auto began = ParseRfc3339(row->started_at);
          for (const auto& s : *seals) {
            auto at = ParseRfc3339(s.journaled_at);
            if (began.ok() && at.ok() && at->instant <= began->instant) *commitment = s.seal.value("commitment", "");
          }
          return Status::Ok();
        },
        [&api, row, loaded, commitment, names, reply](Status s) {
          if (!s.ok()) return reply(ResponseFromStatus(s));
          reply(JsonResponse(200, DrillRecordJson(*row, **loaded, api.rules(), api.clock().Now(), *names, *commitment)));
        });
  });
}

// One scenario as the drills page needs it to start a drill the way `lifeline
// drill start` does: the report to file, the file's text, the desk's plan.
json ScenarioEntry(const drill::Scenario& s, int time_scale) {
  json j = drill::ScenarioToJson(s);
  j["description"] = s.description;
  j["file"] = std::filesystem::path(s.origin).filename().string();
  j["sha256"] = s.sha256;
  j["report"] = s.report;
  std::ifstream in(s.origin, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  j["text"] = text.str();
  auto plan = drill::PlanForDesk(s, time_scale);
  if (plan.ok()) {
    j["desk"] = {{"outage_seconds", plan->outage_seconds}, {"approximated", plan->approximated},
                 {"not_simulated", plan->not_simulated}, {"faults", plan->faults}};
  } else {
    j["desk"] = {{"error", plan.status().message()}};
  }
  return j;
}

// A few small files, read on the io thread when the drills page asks.
void ListScenarios(const std::string& dir, int time_scale, http::Reply reply) {
  if (dir.empty()) return reply(JsonResponse(200, {{"configured", false}, {"scenarios", json::array()}}));
  auto library = drill::LoadScenarioLibrary(dir);
  if (!library.ok()) {
    return reply(ErrorResponse(500, "scenario_library", library.status().message(),
                               "演練情境庫有誤：" + library.status().message()));
  }
  json list = json::array();
  for (const auto& s : *library) list.push_back(ScenarioEntry(s, time_scale));
  reply(JsonResponse(200, {{"configured", true}, {"time_scale", time_scale}, {"scenarios", list}}));
}

// The POST /v1/drills body that starts scenario `s` now, as `lifeline drill start` sends it.
Result<json> DrillBody(const drill::Scenario& s, int time_scale, const Clock& clock) {
  auto desk = drill::PlanForDesk(s, time_scale);
  if (!desk.ok()) return desk.status();
  if (!desk->not_simulated.empty()) {
    return FailedPrecondition("the drill desk cannot simulate all of scenario " + s.id + ": " +
                              desk->not_simulated.front());
  }
  auto id = NewUuidV4();
  if (!id.ok()) return id.status();
  auto written = ParseRfc3339(s.report.value("aware_at", ""));
  int offset = written.ok() ? written->offset_minutes : 8 * 60;
  std::ifstream in(s.origin, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return json{{"name", s.name}, {"scenario", text.str()}, {"outage_seconds", desk->outage_seconds},
              {"faults", desk->faults},
              {"report", drill::DrillReport(s, *id, FormatRfc3339(WithOffset(clock.Now(), offset)))},
              {"scenario_spec", drill::ScenarioToJson(s)}};
}

Result<json> LibraryDrillBody(const std::string& dir, const std::string& scenario_id, int time_scale,
                              const Clock& clock) {
  if (scenario_id.empty()) return FailedPrecondition("no scenario is named for it");
  if (dir.empty()) return FailedPrecondition("no scenario library is configured (console.drill_scenarios)");
  auto library = drill::LoadScenarioLibrary(dir);
  if (!library.ok()) return library.status();
  for (const auto& s : *library) {
    if (s.id == scenario_id) return DrillBody(s, time_scale, clock);
  }
  return NotFound("no scenario " + scenario_id + " in " + dir);
}

}  // namespace

void StartLibraryDrill(IntakeApi& api, DrillDesk& desk, const Clock& clock, const std::string& dir,
                       const std::string& scenario_id, int time_scale, const Principal& who,
                       std::function<void(Result<json>)> done) {
  desk.List([&api, &desk, &clock, dir, scenario_id, time_scale, who, done](Result<std::vector<DrillRow>> drills) {
    if (!drills.ok()) return done(drills.status());
    for (const DrillRow& d : *drills) {
      if (d.ended_at.empty()) return done(FailedPrecondition("drill " + d.id + " (" + d.name + ") is still running"));
    }
    auto body = LibraryDrillBody(dir, scenario_id, time_scale, clock);
    if (!body.ok()) return done(body.status());
    http::Request req;
    req.method = "POST";
    req.target = "/v1/drills";
    req.body = DumpJson(*body);
    StartDrill(api, desk, clock, req, who, [done](http::Response r) {
      json answer = json::parse(r.body, nullptr, false);
      if (r.status == 201 && answer.is_object()) return done(answer);
      done(Internal("the drill was not started (" + std::to_string(r.status) + "): " + r.body));
    });
  });
}

void AddDrillScenarioRoutes(IntakeApi& api, std::string dir, int time_scale) {
  api.AddCollection("drill-scenarios", [dir = std::move(dir), time_scale](const http::Request& req,
                                                                          const std::vector<std::string>& p,
                                                                          const Principal&, http::Reply reply) {
    if (p.size() == 2 && req.method == "GET") return ListScenarios(dir, time_scale, std::move(reply));
    reply(ErrorResponse(405, "method_not_allowed", req.method + " is not allowed on " + req.target, "不支援此方法"));
  });
}

void AddDrillRoutes(IntakeApi& api, DrillDesk& desk, const Clock& clock, AsyncStore& store, DrillRecordNames names) {
  auto shared_names = std::make_shared<const DrillRecordNames>(std::move(names));
  api.AddCollection("drills", [&api, &desk, &clock, &store, shared_names](const http::Request& req,
                                                                         const std::vector<std::string>& p,
                                                                         const Principal& who, http::Reply reply) {
    if (p.size() == 2 && req.method == "POST") return StartDrill(api, desk, clock, req, who, std::move(reply));
    if (p.size() == 4 && p[3] == "record" && req.method == "GET") {
      return ShowDrillRecord(api, desk, store, p[2], shared_names, std::move(reply));
    }
    if (p.size() == 3 && req.method == "GET") return ShowDrill(api, desk, p[2], std::move(reply));
    if (p.size() == 2 && req.method == "GET") {
      return desk.List([&api, reply](Result<std::vector<DrillRow>> drills) {
        if (!drills.ok()) return reply(ResponseFromStatus(drills.status()));
        json list = json::array();
        for (const auto& d : *drills) list.push_back(DrillToJson(d, api.rules()));
        reply(JsonResponse(200, {{"drills", list}}));
      });
    }
    reply(ErrorResponse(405, "method_not_allowed", req.method + " is not allowed on " + req.target, "不支援此方法"));
  });
}

}  // namespace lifeline
