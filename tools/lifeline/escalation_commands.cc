// `lifeline phone ...` and `lifeline drill ...`: the operators' side of phone
// tasks and drills, over lifelined's API.

#include <chrono>
#include <filesystem>
#include <iostream>
#include <set>
#include <thread>

#include "daemon/core/time_format.h"
#include "daemon/core/uuid.h"
#include "daemon/drill/scenario.h"
#include "tools/lifeline/commands.h"

namespace lifeline::cli {

using nlohmann::json;

int PhonePending(const Context& ctx, bool all) {
  auto r = Call(ctx, "GET", all ? "/v1/phone-tasks?state=all" : "/v1/phone-tasks", "");
  if (!r.ok()) return EnvError(r.status());
  if (r->status != 200) return PrintApiError(*r);
  auto tasks = r->body.value("tasks", json::array());
  std::cout << tasks.size() << (all ? " phone task(s) 電話任務\n" : " open phone task(s) 待撥電話任務\n");
  for (const auto& t : tasks) std::cout << t.value("card", "") << "\n";
  return 0;
}

int PhoneConfirm(const Context& ctx, const std::string& task, const std::string& answered_by,
                 const std::string& answered_at, const std::string& note) {
  json body = {{"answered_by", answered_by}, {"answered_at", answered_at}};
  if (!note.empty()) body["note"] = note;
  auto r = Call(ctx, "POST", "/v1/phone-tasks/" + task + "/confirm", body.dump());
  if (!r.ok()) return EnvError(r.status());
  if (r->status != 200) return PrintApiError(*r);
  std::cout << "CONFIRMED 已確認: phone task #" << r->body.value("id", 0) << " to " << r->body.value("number", "")
            << " answered by " << r->body.value("answered_by", "") << " at " << r->body.value("answered_at", "")
            << " (recorded as evidence)\n";
  return 0;
}

namespace {

// Prints the steps not printed yet; true when the drill is complete.
bool PrintNewSteps(const json& drill, std::set<int64_t>& printed) {
  for (const auto& step : drill.value("timeline", json::array())) {
    int64_t seq = step.value("seq", int64_t{0});
    if (printed.insert(seq).second) std::cout << "  " << step.value("text", "") << "\n" << std::flush;
  }
  return drill.value("complete", false);
}

}  // namespace

int DrillStart(const Context& ctx, const std::string& scenario_file, bool follow, int follow_seconds,
               bool allow_partial) {
  auto scenario = drill::LoadScenarioFile(scenario_file);
  if (!scenario.ok()) return EnvError(scenario.status());
  auto config = LoadCliConfig(ctx);
  if (!config.ok()) return EnvError(config.status());
  auto desk = drill::PlanForDesk(*scenario, config->time_scale);
  if (!desk.ok()) return EnvError(desk.status());
  for (const auto& a : desk->approximated) std::cout << "  note: " << a << "\n";
  for (const auto& n : desk->not_simulated) std::cout << "  not simulated by this lifelined: " << n << "\n";
  if (!desk->not_simulated.empty() && !allow_partial) {
    std::cerr << "lifeline: the drill desk cannot simulate all of " << scenario_file
              << "; run it anyway with --allow-partial\n";
    return 1;
  }
  // A drill runs now, on a report of its own: a fresh id, aware this minute, marked DRILL.
  auto id = NewUuidV4();
  if (!id.ok()) return EnvError(id.status());
  auto written = ParseRfc3339(scenario->report.value("aware_at", ""));
  int offset = written.ok() ? written->offset_minutes : 8 * 60;
  auto now = std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
  json report = drill::DrillReport(*scenario, *id, FormatRfc3339(WithOffset(now, offset)));
  auto text = ReadFile(scenario_file);
  if (!text.ok()) return EnvError(text.status());
  json body = {{"name", scenario->name}, {"scenario", *text}, {"outage_seconds", desk->outage_seconds},
               {"faults", desk->faults}, {"report", report}, {"scenario_spec", drill::ScenarioToJson(*scenario)}};
  auto r = Call(ctx, "POST", "/v1/drills", body.dump());
  if (!r.ok()) return EnvError(r.status());
  if (r->status != 201) return PrintApiError(*r);
  std::string drill_id = r->body.value("id", "");
  std::cout << "DRILL STARTED 演練開始: " << scenario->name << "\n  drill  " << drill_id << "\n  report " << *id
            << " (DRILL; drill recipients only)\n  the national site is treated as unreachable for "
            << desk->outage_seconds << " s; nothing on the host's network changes\n";
  for (const auto& f : desk->faults) {
    if (f.value("channel", "") == "site") continue;
    std::cout << "  simulated for this report: " << f.value("kind", "") << " from +" << f.value("start_seconds", 0)
              << " s for " << f.value("duration_seconds", 0) << " s\n";
  }
  if (!follow) {
    std::cout << "  lifeline drill timeline " << drill_id << "   prints the steps so far\n";
    return 0;
  }
  std::set<int64_t> printed;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(follow_seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    auto d = Call(ctx, "GET", "/v1/drills/" + drill_id, "");
    if (!d.ok()) return EnvError(d.status());
    if (d->status != 200) return PrintApiError(*d);
    if (PrintNewSteps(d->body, printed)) {
      std::cout << "DRILL COMPLETE 演練完成: report " << d->body.value("report_state", "") << "\n";
      return 0;
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  std::cout << "still running after " << follow_seconds << " s: lifeline drill timeline " << drill_id << "\n";
  return 1;
}

int DrillList(const Context& ctx) {
  auto r = Call(ctx, "GET", "/v1/drills", "");
  if (!r.ok()) return EnvError(r.status());
  if (r->status != 200) return PrintApiError(*r);
  auto drills = r->body.value("drills", json::array());
  std::cout << drills.size() << " drill(s) 演練\n";
  for (const auto& d : drills) {
    std::cout << "  " << d.value("id", "") << "  " << d.value("started_at", "") << "  "
              << (d.value("complete", false) ? "complete" : "running") << "  " << d.value("name", "") << "\n";
  }
  return 0;
}

int DrillTimeline(const Context& ctx, const std::string& id) {
  auto r = Call(ctx, "GET", "/v1/drills/" + id, "");
  if (!r.ok()) return EnvError(r.status());
  if (r->status != 200) return PrintApiError(*r);
  std::cout << "DRILL 演練 \"" << r->body.value("name", "") << "\"  " << r->body.value("id", "") << "\n  report "
            << r->body.value("report_id", "") << " (" << r->body.value("report_state", "") << "), started "
            << r->body.value("started_at", "") << ", site simulated lost until " << r->body.value("outage_until", "")
            << "\n";
  std::set<int64_t> printed;
  bool complete = PrintNewSteps(r->body, printed);
  std::cout << (complete ? "complete 完成\n" : "running 進行中\n");
  return 0;
}

}  // namespace lifeline::cli
