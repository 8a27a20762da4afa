// The intake: lifelined's JSON API (proto/console-api.yaml), the one layer
// that knows HTTP. IntakeApi turns a request into validation, a schedule from
// the rules and a store job (a report is acknowledged with 201 only after its
// transaction committed), and routes phone tasks and drills to their modules.
// IntakeServer serves it as HTTP/1.1 on a Unix socket. Nothing else in the
// daemon includes this header but main. io_context thread only.
#pragma once

#include <asio/io_context.hpp>
#include <asio/local/stream_protocol.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <set>
#include <vector>
#include <memory>
#include <string>

#include "daemon/accounts/accounts.h"
#include "daemon/channels/phone/phone.h"
#include "daemon/core/clock.h"
#include "daemon/drill/drill.h"
#include "daemon/record/record.h"
#include "daemon/http/http.h"
#include "daemon/rules/rules.h"
#include "daemon/store/store.h"

namespace lifeline {

// What the dashboard shows of the box itself, kept current by lifelined's
// wiring: the link to the national site, the mains, and each channel's health
// as the channel reports it.
struct BoxHealth {
  std::string site_state = "unknown";  // up | outage | unknown | not_configured
  std::string site_reason;             // the link class while in outage ("connect", "http_5xx")
  std::string site_since;              // RFC 3339: when the current state began
  nlohmann::json power = nlohmann::json::object();     // {known, on_battery, runtime_seconds, ...}
  std::map<std::string, nlohmann::json> channels;     // "sms" -> modem health, "fax" -> {...}
  // The agency's own contact channels down longer than allowed, each
  // {channel, detail, failing_since, temporary_contact, message}: the banner.
  nlohmann::json contact_alerts = nlohmann::json::array();
};

class IntakeApi {
 public:
  using Reply = http::Reply;
  IntakeApi(AsyncStore& store, const RuleSet& rules, const Clock& clock) : store_(store), rules_(rules), clock_(clock) {}
  // One request on behalf of `who`, refused with 403 when their role may not
  // make it (Authorize). Every store write it causes is journaled with them.
  void Handle(const http::Request& request, const Principal& who, Reply reply);
  // Files a report (revision_of empty) or a revision of report `revision_of`
  // from its JSON text, answering as POST /v1/reports does.
  void FileReport(const std::string& body, const std::string& revision_of, const Principal& who, Reply reply);

  // Called on the io thread for each revision stored for the first time (after its commit).
  std::function<void(StoredRevision)> on_stored;
  // GET /metrics (Prometheus' text format) for any principal; 404 while unset.
  std::function<void(Reply)> on_metrics;
  // Called on the io thread for each stage (damage control, closing) stored for the first time.
  std::function<void(StoredStage)> on_stage_stored;

  // The dashboard's view of the box (GET /v1/dashboard), updated by the wiring.
  BoxHealth& health() { return health_; }
  // Recipients' names by key, for the dashboard (the directory's).
  void SetRecipientNames(std::map<std::string, std::string> names) { recipient_names_ = std::move(names); }
  // How far ahead of the box's clock a stated time may be ([daemon] clock_skew_seconds).
  void SetClockSkew(std::chrono::seconds skew) { clock_skew_ = skew; }
  std::chrono::seconds clock_skew() const { return clock_skew_; }
  const std::map<std::string, std::string>& recipient_names() const { return recipient_names_; }

  // Another module's endpoints under /v1/<collection>[/...]; `path` is the
  // split path ("v1", collection, ...).
  using Handler =
      std::function<void(const http::Request&, const std::vector<std::string>& path, const Principal& who, Reply)>;
  void AddCollection(const std::string& collection, Handler handler) { collections_[collection] = std::move(handler); }
  // Another module's endpoints under /v1/reports/{id}/<name>[/...]; `path`
  // as for a collection, so path[2] is the report id.
  void AddReportAction(const std::string& name, Handler handler) { report_actions_[name] = std::move(handler); }
  const RuleSet& rules() const { return rules_; }
  // The box's clock (the legal clock in lifelined, a fixed one in tests): every
  // "now" of the API comes from it, read on the io thread.
  const Clock& clock() const { return clock_; }

 private:
  void GetReport(const std::string& id, Reply reply);
  // 403 for a role that may not make this request; OK otherwise.
  static Status Authorize(const Principal& who, const http::Request& request, const std::vector<std::string>& path);
  void ListReports(const http::Request& request, Reply reply);

  void Dashboard(Reply reply);

  AsyncStore& store_;
  const RuleSet& rules_;
  const Clock& clock_;
  std::map<std::string, Handler> collections_;
  std::map<std::string, Handler> report_actions_;
  BoxHealth health_;
  std::map<std::string, std::string> recipient_names_;
  std::chrono::seconds clock_skew_{300};
};

// Responses in the API's shape: JSON bodies; errors carry a code and the
// message in English and zh-TW; a Status maps to its HTTP status.
http::Response JsonResponse(int status, const nlohmann::json& body);
http::Response ErrorResponse(int status, std::string_view code, const std::string& en, const std::string& zh);
http::Response ResponseFromStatus(const Status& s);
// An error with every problem by field ({"problems":[{path, zh, en}]}), as a
// refused report or stage is answered.
// One problem of a request, as every list of problems carries it.
nlohmann::json FieldProblem(const std::string& path, const std::string& zh, const std::string& en);
// 422 with every problem listed ({error: code, message, message_zh, problems}).
http::Response ProblemListResponse(std::string_view code, const nlohmann::json& problems, const std::string& en,
                                   const std::string& zh);
http::Response ProblemsResponse(int status, std::string_view code, const std::vector<ValidationProblem>& problems,
                                const std::string& en, const std::string& zh);

// The phone tasks' endpoints: GET /v1/phone-tasks [?state=all],
// GET /v1/phone-tasks/{id}, POST /v1/phone-tasks/{id}/confirm with
// {answered_by, answered_at (RFC 3339 with offset), note?}.
void AddPhoneRoutes(IntakeApi& api, AsyncStore& store, PhoneRunner& runner);
// The drills' endpoints: POST /v1/drills {name, scenario, outage_seconds,
// report}; GET /v1/drills; GET /v1/drills/{id} with the timeline.
// The seals of drill plans (lifeline.drill-seal/1), journaled as
// drill.plan_sealed before their drills: POST /v1/drill-plans journals one
// (201; 409 when that commitment is already journaled; 422 naming each bad
// field), GET /v1/drill-plans lists them, oldest first.
struct JournaledSeal {
  int64_t seq = 0;
  std::string journaled_at, by;
  nlohmann::json seal;
};
Result<std::vector<JournaledSeal>> JournaledSeals(Store& store);
void AddDrillPlanRoutes(IntakeApi& api, AsyncStore& store);
// GET /v1/fleet: lifeline-fleet's view (units, their reports with the time
// left to each review, alerts; "fleet_view": true) read from the store its
// configuration names; {"fleet_view": false} when `fleet_config` is "", 503
// when it cannot be read.
void AddFleetRoutes(IntakeApi& api, AsyncStore& store, std::string fleet_config);
// GET /v1/drills/{id}/record: a finished drill's record
// (lifeline.drill-record/1, proto/drills.md §3), built by DrillRecordJson
// from its report's record with `names`, and the commitment of the last plan
// seal journaled before the drill started; 409 while the drill runs.
struct DrillRecordNames {
  std::map<std::string, std::string> recipients;  // directory key -> name, real and drill
  std::set<std::string> superiors;                // keys of superior agencies (their phone call at levels 3-4)
  std::string organiser;                          // "" = the report's agency
  std::string unit_id;                            // "" = none
};
void AddDrillRoutes(IntakeApi& api, DrillDesk& desk, const Clock& clock, AsyncStore& store, DrillRecordNames names);
// The record of `drill` from its report's record `r` at `now`: the journal's
// steps in order, and the hour's deadlines with when the record met them.
nlohmann::json DrillRecordJson(const DrillRow& drill, const record::RecordView& r, const RuleSet& rules, WallTime now,
                               const DrillRecordNames& names, const std::string& plan_commitment);
// The scenario library for the drills page: GET /v1/drill-scenarios lists
// every scenario of `dir` (config/drills/*.toml) with its report, its text
// and what the drill desk can simulate of it on a clock scaled by
// `time_scale`; "" = no library configured.
void AddDrillScenarioRoutes(IntakeApi& api, std::string dir, int time_scale);
// Starts scenario `scenario_id` of the library in `dir` as `lifeline drill
// start` does (POST /v1/drills), on behalf of `who`: the box's own drill
// button. Refused with FailedPrecondition while another drill is running, and
// when the desk cannot simulate the whole scenario; `done` gets the drill as
// POST /v1/drills answers it, or why none was started.
void StartLibraryDrill(IntakeApi& api, DrillDesk& desk, const Clock& clock, const std::string& dir,
                       const std::string& scenario_id, int time_scale, const Principal& who,
                       std::function<void(Result<nlohmann::json>)> done);
// A notice an operator made outside the box: POST
// /v1/reports/{id}/notifications/{recipient}/by-hand with {channel, sent_at
// (RFC 3339 with offset, at most the clock skew ahead), proof (what shows it
// arrived: the fax's transmission report, who answered), from?, note?}; it
// confirms the recipient (EscalationEngine::RecordNoticeByHand).
class EscalationEngine;
void AddByHandRoutes(IntakeApi& api, EscalationEngine& engine);
// A report's page: GET /v1/reports/{id}/record (its journal, notifications,
// attempts with evidence, phone tasks, fallbacks) and GET
// /v1/attempts/{id}/fax/{page}.png (a page of the TIFF-F copy a fax attempt
// sent, which must lie inside <state_dir>/fax).
void AddRecordRoutes(IntakeApi& api, AsyncStore& store, const std::string& state_dir);
// The TIFF-F copy an attempt's evidence ({summary, evidence: {tiff}}) names,
// canonical, when it is a file inside `fax_dir`; PermissionDenied for a path
// that leaves it (through "..", a symbolic link or an absolute path
// elsewhere), NotFound when there is none.
Result<std::string> FaxCopyInside(const nlohmann::json& evidence, const std::string& fax_dir);
// Accounts and API tokens (the local socket only): GET/POST /v1/users,
// POST /v1/users/{name}/disable|enable|password; GET/POST /v1/tokens,
// POST /v1/tokens/{name}/disable. Passwords are hashed on `hasher`.
void AddAccountRoutes(IntakeApi& api, AsyncStore& store, HashWorker& hasher);

// The report's record (issue 17). Stages: POST /v1/reports/{id}/damage-control
// and /closing with the stage document (stage_routes.cc). Approval and
// signatures: POST /v1/reports/{id}/approval {level, impact?, note?} and
// /signatures {as}; on the local socket also {user, password} of the person
// (signoff_routes.cc). Printouts and evidence: GET /v1/reports/{id}/record.pdf
// and /evidence.tar, the bundle signed with the device key in `state_dir`
// (export_routes.cc). proto/console-api.yaml has every body and answer.
void AddStageRoutes(IntakeApi& api, AsyncStore& store);
void AddSignoffRoutes(IntakeApi& api, AsyncStore& store, HashWorker& hasher);
void AddExportRoutes(IntakeApi& api, AsyncStore& store, std::string state_dir);

// JSON of a stored revision as the API returns it.
nlohmann::json RevisionToJson(const StoredRevision& r, bool include_document);
// The deadlines a revision is stored with: from its awareness and level, and
// for a later revision with what its record has already met (MetSteps).
// Runs on the store worker.
Result<nlohmann::json> ScheduleForRevision(Store& store, const RuleSet& rules, const Report& report);

class IntakeServer {
 public:
  // Binds `socket_path` (mode 0660, group `group` when not empty). A live
  // socket at that path means another lifelined runs: that is an error.
  // Whoever connects is the local administrator, named by their Unix user.
  static Result<std::unique_ptr<IntakeServer>> Listen(asio::io_context& io, const std::string& socket_path,
                                                      const std::string& group, IntakeApi& api);
  ~IntakeServer();

 private:
  IntakeServer(asio::io_context& io, IntakeApi& api, std::string path)
      : acceptor_(io), api_(api), path_(std::move(path)) {}
  void Accept();

  asio::local::stream_protocol::acceptor acceptor_;
  IntakeApi& api_;
  std::string path_;
};

}  // namespace lifeline
