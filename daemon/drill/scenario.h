// A drill scenario (config/drills/*.toml): the incident a unit is drilled on,
// what lifelined simulates for that drill's report only (the site lost, 5xx or
// slow, mains lost, SMS failing, the fax line busy or unanswered; when and for
// how long), the stage-1 report it files and how long the drill runs. Loading
// is pure (files are read through a callback) and checks everything, the report
// with the project's validator; every error names file, line and key.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/status.h"
#include "daemon/rules/rules.h"

namespace lifeline::drill {

enum class FaultKind {
  kSiteUnreachable,   // the national site cannot be reached (connection refused / no route)
  kSite5xx,           // the site answers with a server error
  kSiteSlow,          // the site answers, but after `delay_ms`
  kMainsLost,         // the power source reports mains lost, the box on battery
  kSiteAndMainsLost,  // both at once (the building's power is out)
  kSmsFailing,        // the SMS channel fails every message (+CMS ERROR)
  kFaxBusy,           // every fax call finds the line busy
  kFaxNoAnswer,       // every fax call rings unanswered
};
std::string_view FaultKindName(FaultKind k);      // "site_unreachable", ...
std::string_view FaultKindLabelZh(FaultKind k);   // "國家資通安全通報應變網站無法連線", ...
// True when the fault keeps the report from the national site (a site or power loss).
bool BlocksSite(FaultKind k);

struct Fault {
  FaultKind kind = FaultKind::kSiteUnreachable;
  std::chrono::seconds start{0};     // after the drill's report is filed
  std::chrono::seconds duration{0};
  int http_status = 0;     // site_5xx: 500-599
  int delay_ms = 0;        // site_slow
  int battery_minutes = 0; // mains_lost, site_and_mains_lost: UPS runtime reported; 0 = not stated
  int cms_error = 0;       // sms_failing: the +CMS ERROR code the modem answers

  std::chrono::seconds end() const { return start + duration; }
};

struct Scenario {
  std::string id;           // [a-z0-9-], unique in a library; what a sealed plan names
  std::string name;         // zh-TW title
  std::string description;  // the story told to the drilled unit ("" = none)
  int level = 0;            // 1-4: declared, and checked against the report's impacts
  std::string category;     // the report's: web_attack | intrusion | dos | equipment | other
  std::string resolved_by;  // 5.2.1(三)6: "team" (資通安全處理小組) or "technical_centre" (技術服務中心)
  std::chrono::minutes duration{0};  // how long the drill runs from its start
  std::vector<Fault> faults;         // in file order
  nlohmann::json report;    // the stage-1 document (valid); the drill sets id, times and drill: true
  std::string origin;       // the file it came from
  std::string sha256;       // hex SHA-256 of the file's bytes (what a sealed plan commits to)
  bool legacy = false;      // written in the first format ([drill] report + outage_seconds)
};

// Reads a file named in a scenario (its report), relative paths already resolved.
using FileReader = std::function<Result<std::string>(const std::string& path)>;

// Parses one scenario. `origin` is its path: relative report paths resolve
// against its folder and errors name it.
Result<Scenario> ParseScenario(std::string_view text, const std::string& origin, const FileReader& read);
Result<Scenario> LoadScenarioFile(const std::string& path);
// Every *.toml of `dir`, in file-name order; ids must be unique.
Result<std::vector<Scenario>> LoadScenarioLibrary(const std::string& dir);

// What a library must cover (the rule set's drill figures).
struct LibraryRequirements {
  int min_scenarios = 10;  // figure drill_scenarios_min
};
Result<LibraryRequirements> LibraryRequirementsFrom(const RuleSet& rules);
// Levels 1-4, the five categories of the form, at least `min_scenarios`; the
// error lists everything missing.
Status CheckLibrary(const std::vector<Scenario>& scenarios, const LibraryRequirements& req);

// The scenario's report as the drill files it now: a fresh id, revision 1,
// aware/discovered/filed at `now` (RFC 3339 with offset), drill: true.
nlohmann::json DrillReport(const Scenario& s, const std::string& id, const std::string& now);

// The span from the start during which the site is lost (site faults starting
// at 0, merged), which is what today's drill desk simulates; 0 = none.
std::chrono::seconds SiteLossFromStart(const Scenario& s);
// The scenario in JSON for the drill desk and plans: {id, name, level, category,
// resolved_by, duration_minutes, faults:[{kind, start_seconds, duration_seconds, ...}]}.
nlohmann::json ScenarioToJson(const Scenario& s);

// What the drill desk does with a scenario: hold the report back from the
// site from the start for `outage_seconds` (on lifelined's clock, so the
// library's legal-clock span is divided by `time_scale`), state that loss as
// the scenario's kind of site failure, put the report on battery while mains
// are lost, and fail its SMS or fax attempts while those channels fail. Site
// faults held as a loss from the start (5xx, slowness) are listed as
// approximated, and so are site faults that start later (the report is held
// from the start, since it is filed then).
// FailedPrecondition when the scenario loses no site from its start.
struct DeskPlan {
  int64_t outage_seconds = 0;
  std::vector<std::string> approximated, not_simulated;
  // What lifelined simulates besides holding the report back, on its own clock:
  // [{kind, channel (site|mains|sms|fax), start_seconds, duration_seconds,
  //   link_class?, battery_minutes?, summary}] (POST /v1/drills `faults`).
  nlohmann::json faults = nlohmann::json::array();
};
Result<DeskPlan> PlanForDesk(const Scenario& s, int time_scale);

// Hex SHA-256 of bytes.
std::string Sha256Hex(std::string_view bytes);

}  // namespace lifeline::drill
