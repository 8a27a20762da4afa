// The incident record's forms (資通安全事件通報單): the report (stage 1), damage
// control (stage 2) and closing (stage 3), and their validators. The schemas in
// proto/ are the contract: compiled in, walked by one validator, their labels
// read from there. Validation is a pure function over bytes that returns every
// problem with its JSON path and a reason in zh-TW and English; it never
// throws and never touches state.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/status.h"
#include "daemon/core/time_format.h"

namespace lifeline {

inline constexpr std::string_view kReportSchemaVersion = "lifeline.report/1";

// One impact of the three on the form: 1-4, or nullopt for "none" (無需通報).
using ImpactLevel = std::optional<int>;

struct Report {
  std::string id;  // UUID, the same on every revision
  int revision = 1;
  bool drill = false;
  OffsetTime filed_at, aware_at, discovered_at;
  std::string agency_name, reviewing_agency;
  std::string reporter_name, reporter_phone, reporter_email;
  std::optional<std::string> reporter_fax;
  std::optional<std::string> on_behalf_of;  // the other agency's name when filed for it
  std::string soc_type;                     // none | self_built | outsourced
  std::optional<std::string> soc_vendor;
  std::string maintenance_vendor;
  std::string category;
  std::vector<std::string> anomalies;
  std::optional<std::string> other_description;
  std::string description;
  bool affects_others = false;
  std::vector<std::string> sectors;
  std::string source_type;  // self_discovered | alert | external_intel
  std::optional<std::string> source_alert_id, source_detail;
  ImpactLevel confidentiality, integrity, availability;
  bool support_requested = false;
  std::optional<std::string> support_content;

  // The document as validated, for storage and sending unchanged.
  nlohmann::json document;

  // max(C, I, A): 1-4. Validation guarantees at least one impact is a level.
  int Level() const;
  // Key of this revision for idempotent submission: "<id>/r<revision>".
  std::string IdempotencyKey() const;
};

struct ValidationProblem {
  std::string path;  // JSON Pointer, "" for the whole document
  std::string zh;    // reason for people, zh-TW
  std::string en;    // the same in English
};

struct ValidationOutcome {
  std::vector<ValidationProblem> problems;  // empty when valid
  std::optional<Report> report;             // set only when problems is empty

  bool ok() const { return problems.empty(); }
  // Every problem on its own line: "/path: zh — en".
  std::string Describe() const;
  // {"problems":[{"path":..,"zh":..,"en":..}]} for the API.
  nlohmann::json ToJson() const;
};

ValidationOutcome ValidateReport(std::string_view json_text);
ValidationOutcome ValidateReportJson(const nlohmann::json& document);

// Times that cannot be true, against the box's clock: awareness, discovery
// or filing later than `now` plus `skew` (clocks differ a little; a year's
// typo does not), discovery after awareness (the form's 發現 comes first),
// filing before discovery or before awareness. Problems by field, zh and en.
struct TimeCheck {
  WallTime now;
  std::chrono::seconds skew{300};
};
std::vector<ValidationProblem> CheckReportTimes(const Report& report, const TimeCheck& check);
// ValidateReport, then CheckReportTimes when the document is valid.
ValidationOutcome ValidateReportAt(std::string_view json_text, const TimeCheck& check);

// zh-TW / English labels for enumeration values, from the schema's $defs/labels.
// `group` is one of categories, anomalies, sectors, soc, source, impact.
// Unknown values come back as the value itself.
std::string LabelZh(std::string_view group, std::string_view value);
std::string LabelEn(std::string_view group, std::string_view value);

// The compiled-in schema text (proto/report.schema.json).
std::string_view ReportSchemaText();

// Every problem on its own line / as {"problems":[...]}, for any stage.
std::string DescribeProblems(const std::vector<ValidationProblem>& problems);
nlohmann::json ProblemsToJson(const std::vector<ValidationProblem>& problems);

// ---- Stages 2 and 3: 貳、損害控制或復原 (STEP5) and 參、調查、處理及改善報告 (STEP6) ----

inline constexpr std::string_view kDamageControlSchemaVersion = "lifeline.damage-control/1";
inline constexpr std::string_view kClosingSchemaVersion = "lifeline.closing/1";

enum class Stage { kDamageControl, kClosing };
// "damage-control" / "closing", as the CLI and the API spell them.
std::string_view StageName(Stage stage);
std::optional<Stage> StageFromName(std::string_view name);

// The report a stage document follows. Its category is always checked (it
// chooses the form's pages); its id and latest revision when given (the store
// knows them, a lone file does not).
struct ReportRef {
  std::string category;
  std::optional<std::string> id;
  std::optional<int> latest_revision;
};
ReportRef RefOf(const Report& report);

// A valid stage document and the facts the store and the schedule need.
struct StageRecord {
  Stage stage = Stage::kDamageControl;
  std::string report_id;
  int report_revision = 1;
  std::string category;
  std::string status;  // stage 2: "damage_controlled" | "recovered"; stage 3: ""
  OffsetTime at;       // stage 2: 完成損害控制或復原時間; stage 3: 登錄結報時間
  nlohmann::json document;  // as validated, for storage unchanged
};

struct StageOutcome {
  std::vector<ValidationProblem> problems;  // empty when valid
  std::optional<StageRecord> record;        // set only when problems is empty

  bool ok() const { return problems.empty(); }
  std::string Describe() const { return DescribeProblems(problems); }
  nlohmann::json ToJson() const { return ProblemsToJson(problems); }
};

StageOutcome ValidateDamageControl(std::string_view json_text, const ReportRef& report);
StageOutcome ValidateClosing(std::string_view json_text, const ReportRef& report);
StageOutcome ValidateStage(Stage stage, std::string_view json_text, const ReportRef& report);
StageOutcome ValidateStageJson(Stage stage, const nlohmann::json& document, const ReportRef& report);

// Labels of a stage's form; `group` is a path under $defs/labels, e.g.
// "containment/web_attack", "retention", "causes". Unknown values come back as-is.
std::string StageLabelZh(Stage stage, std::string_view group, std::string_view value);
std::string StageLabelEn(Stage stage, std::string_view group, std::string_view value);

// The compiled-in schema texts (proto/damage-control.schema.json, proto/closing.schema.json).
std::string_view DamageControlSchemaText();
std::string_view ClosingSchemaText();

}  // namespace lifeline
