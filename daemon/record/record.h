// The report's record (資通安全事件通報單 and its sign-off, seed 001 陸.四 and
// 玖.一): what the store holds of one report seen as a whole — its phase,
// its deadlines and what met them, the CISO's approval of the level and the
// three signatures — and the rules that decide whether a stage, an approval
// or a signature may be added. Everything but LoadRecord is a pure function
// over store rows; this is the module's public header.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/accounts/accounts.h"
#include "daemon/core/status.h"
#include "daemon/journal/journal.h"
#include "daemon/print/print.h"
#include "daemon/report/report.h"
#include "daemon/rules/rules.h"
#include "daemon/store/store.h"

namespace lifeline::record {

// Everything the store holds of one report that its record is made of.
struct RecordView {
  std::vector<StoredRevision> revisions;  // oldest first; never empty once loaded
  std::vector<StoredStage> stages;
  std::vector<SignoffRow> signoffs;
  std::vector<NotificationRow> notifications;
  std::vector<AttemptRow> attempts;
  std::vector<JournalEntry> journal;  // the report's own entries

  const StoredRevision& latest() const { return revisions.back(); }
  // The UTC offset, in minutes, the report states its times in (its latest
  // awareness time's); +08:00 when that does not parse. The record's own times
  // (deadlines, the printed record, the bundle) are shown in it.
  int OffsetMinutes() const;
  // The newest version of `stage` ("damage-control", "closing"), or nullptr.
  const StoredStage* LatestStage(std::string_view stage) const;
  // The approval of the latest revision, or nullptr.
  const SignoffRow* Approval() const;
  // The signature given as `kind` ("reporter", "supervisor", "ciso"), or nullptr.
  const SignoffRow* Signature(std::string_view kind) const;
};

// Reads the record of report `id` in the store's current transaction; NotFound when unknown.
Result<RecordView> LoadRecord(Store& store, const std::string& id);

// Where the record stands: reported (stage 1 only), damage_controlled, closed.
std::string_view Phase(const RecordView& r);

// Why a stage, approval or signature is not taken: the HTTP status the API
// answers with and every problem by field, in zh-TW and English.
struct Refusal {
  int http_status = 409;  // 403 wrong role, 409 not now (order, state), 422 bad request
  std::string code;       // "forbidden", "out_of_order", "conflict", "invalid_request"
  std::vector<ValidationProblem> problems;
  std::string Describe() const { return DescribeProblems(problems); }
};
using Decision = std::optional<Refusal>;  // nullopt: allowed

// A valid stage document (validated against the latest revision) may be
// stored unless the report is closed; closing needs damage control on record
// and the site's acceptance of the report, and is given once.
Decision CheckStage(const RecordView& r, const StageRecord& stage);

// The CISO approves the latest revision's level or changes it, which files a
// new revision; a signed record is not approved again.
Decision CheckApproval(const RecordView& r, Role role, bool changes_level);

// The three signatures, in this order, each by a different person.
enum class SignAs { kReporter, kSupervisor, kCiso };
std::optional<SignAs> SignAsFromName(std::string_view name);  // "reporter", "supervisor", "ciso"
std::string_view SignAsName(SignAs as);
std::string_view SignAsZh(SignAs as);  // 通報人員, 通報主管, 資通安全長
// May `user`, whose account has `role`, sign now as `as`? The report must be
// closed and its latest revision's level approved; reporter (operator or
// above), then supervisor (CanSignAsSupervisor), then CISO
// (CanApproveAndSignAsCiso); each once, each a different person.
Decision CheckSignature(const RecordView& r, SignAs as, const std::string& user, Role role);

// What approvals and signatures are given over: SHA-256 (hex) of every
// revision's and stage's document digest and the approval of the level.
std::string RecordDigest(const RecordView& r);

// When each step the rule set counts from actually happened: notify_by (the
// site's first acceptance), fallback_notify_by (every recipient confirmed),
// damage_control_by (the latest damage control's completion), report_by (closing).
MetSteps MetStepsOf(const RecordView& r);

// The report's deadlines for `report` with `met` on record, as the store
// keeps them: ScheduleToJson of ComputeSchedule(rules, .., met), each met
// deadline marked "met": true with "met_at" (the engine then gives no
// reminder of it).
Result<nlohmann::json> ScheduleWithMet(const RuleSet& rules, const Report& report, const MetSteps& met);

// The latest revision's document as a Report (it was validated when filed).
Result<Report> LatestReport(const RecordView& r);

// The record for the API and the console (proto/console-api.yaml, Record):
// phase, deadlines with what met them (state met | met_late | open | overdue
// | not_needed | by_reviewer), stages, approval, signatures, what comes next.
nlohmann::json RecordToJson(const RecordView& r, const RuleSet& rules, WallTime now);

// One deadline of the record as it stands (RecordToJson's and the documents').
struct DeadlineState {
  std::string key, title, title_en, source, at;
  std::string state;   // see RecordToJson
  std::string met_at;  // RFC 3339 when met
};
// The latest revision's deadlines recomputed with MetStepsOf, each with its state at `now`.
Result<std::vector<DeadlineState>> Deadlines(const RecordView& r, const RuleSet& rules, WallTime now);

// The printable record for the agency's files (zh-TW): revisions, deadlines,
// stages, the approval, the notification history and the three signature
// blocks, each filled with who signed and when.
print::Document RecordDocument(const RecordView& r, const RuleSet& rules, WallTime now);
// The evidence bundle's summary: what was done when, against each deadline.
print::Document SummaryDocument(const RecordView& r, const RuleSet& rules, WallTime now);

}  // namespace lifeline::record
