// The lifeline CLI's commands. Each returns the process exit status:
// 0 success, 1 refused (bad input, failed check), 2 usage or environment error.
#pragma once

#include <optional>
#include <string>

#include "daemon/config/config.h"
#include "daemon/core/status.h"
#include "daemon/rules/rules.h"
#include "tools/lifeline/client.h"

namespace lifeline::cli {

struct Context {
  std::string rules_file;    // "" = compiled-in
  std::string config_file;   // "" = compiled-in defaults
  std::string socket_path;   // "" = from the configuration
  std::string state_dir;     // "" = from the configuration
};

// lifelined's configuration as the CLI sees it: --config, then --state-dir and --socket.
Result<Config> LoadCliConfig(const Context& ctx);

// --rules, else the configuration's rule file; on the configuration's clock
// (rules.time_scale), so the CLI shows the deadlines lifelined works to.
Result<RuleSet> LoadRules(const Context& ctx);

// Shared by the command files.
Result<std::string> ReadFile(const std::string& path);
int EnvError(const Status& s);                 // prints it; returns 2
int PrintApiError(const ApiResponse& r);       // prints the API's error for people; returns 1
Result<ApiResponse> Call(const Context& ctx, const std::string& method, const std::string& path,
                         const std::string& body);

int PhonePending(const Context& ctx, bool all);
int PhoneConfirm(const Context& ctx, const std::string& task, const std::string& answered_by,
                 const std::string& answered_at, const std::string& note);
// Files the scenario's report (a fresh id, aware now, marked DRILL) and starts
// the drill; with `follow`, prints its timeline until it completes or `follow_seconds` pass.
// lifelined simulates the scenario's loss of the site from the start; a scenario
// that simulates more is refused unless `allow_partial`.
// The scenario file a sealed plan deals to `unit_id`: the plan must match its
// seal, the unit must be one it drew, and the library's file must be the one
// the plan was drawn from (same SHA-256).
Result<std::string> PlannedScenario(const std::string& plan_file, const std::string& unit_id,
                                    const std::string& scenarios_dir);
int DrillStart(const Context& ctx, const std::string& scenario_file, bool follow, int follow_seconds,
               bool allow_partial);
int DrillList(const Context& ctx);
int DrillTimeline(const Context& ctx, const std::string& id);

int ReportValidate(const Context& ctx, const std::string& file);
// A stage 2 or 3 document (`stage` "damage-control" or "closing"), checked
// against the report in `report_file` when given (category, id, revision, and
// its time against the report's deadline), else against its own category.
int StageValidate(const Context& ctx, const std::string& file, const std::string& stage,
                  const std::string& report_file);
int ReportSubmit(const Context& ctx, const std::string& file, bool revision);
struct ListOptions {
  size_t limit = 0;        // 0 = every report
  size_t page_size = 200;  // reports per request
  bool open_only = false;  // only what the site has not accepted
};
int ReportList(const Context& ctx, const ListOptions& options);
// One line from standard input; on a terminal prompted on stderr without echo.
std::string ReadLineNoEcho(const char* prompt);

// The report's record (record_commands.cc): stage 2 (damage control) or 3
// (closing) from FILE; the CISO's approval of the level (`level`, and
// `impact` "C,I,A" to change it, each 1-4 or none); a signature `as`
// reporter | supervisor | ciso; each by the account `user`, whose password is
// read from standard input. The printable record and the evidence bundle.
int ReportStage(const Context& ctx, const std::string& id, const std::string& file, const std::string& stage);
int ReportApprove(const Context& ctx, const std::string& id, int level, const std::string& impact,
                  const std::string& user, const std::string& note);
int ReportSign(const Context& ctx, const std::string& id, const std::string& as, const std::string& user);
int ReportPrint(const Context& ctx, const std::string& id, const std::string& pdf_out);
int EvidenceExport(const Context& ctx, const std::string& id, const std::string& out);
// The record part of `report show`: phase, deadlines met, approval, signatures.
std::string RenderRecord(const nlohmann::json& record);
int ReportShow(const Context& ctx, const std::string& id);
int RulesShow(const Context& ctx, const std::string& report_file);
int JournalVerify(const Context& ctx);
// Prints the device's evidence key (creating it in the state directory when
// absent) with its SHA-256 fingerprint.
int EvidenceKey(const Context& ctx);
// Verifies an evidence bundle; `key_file` ("" = none) is the PEM public key to pin.
int EvidenceVerify(const Context& ctx, const std::string& file, const std::string& key_file);
// The report's journal as a readable timeline; with `follow_seconds` > 0 it
// keeps printing new steps until the site accepted the report or the time is up.
int ReportTimeline(const Context& ctx, const std::string& id, int follow_seconds);
int JournalShow(const Context& ctx, const std::optional<std::string>& report_id);
// REPORT is a report id known to lifelined, or a report .json file.
// With `stage` (damage-control | closing), that stage's pages from lifelined's record.
int FaxRender(const Context& ctx, const std::string& report, const std::string& out, const std::string& stage = "");
int SmsTest(const Context& ctx, const std::string& number, const std::string& text, const std::string& device,
            int wait_reports_seconds, const std::string& message_id);
// With `retry`, failed calls are retried as fax.* in the configuration says (DecideRetry).
int FaxTest(const Context& ctx, const std::string& number, const std::string& report, const std::string& device,
            bool retry);

// The state directory in one archive (mode 0600), the database copied while
// lifelined runs; its journal verified before writing. Restore refuses while
// lifelined runs, and over an existing database unless `replace`.
int Backup(const Context& ctx, const std::string& out);
int Restore(const Context& ctx, const std::string& file, bool replace);

// Console accounts and API tokens, through lifelined's socket; passwords from stdin.
int UserAdd(const Context& ctx, const std::string& name, const std::string& role);
int UserPassword(const Context& ctx, const std::string& name);
int UserDisable(const Context& ctx, const std::string& name, bool disable);
int UserList(const Context& ctx);
int TokenAdd(const Context& ctx, const std::string& name, const std::string& role);
int TokenList(const Context& ctx);
int TokenDisable(const Context& ctx, const std::string& name);
// The console certificate's SHA-256 fingerprint (to trust on first use) and its URL.
int ConsoleFingerprint(const Context& ctx);

}  // namespace lifeline::cli
