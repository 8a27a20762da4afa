// The incident report (stage 1 of 資通安全事件通報單) and its validator.
// proto/report.schema.json is the contract: its enumerations, patterns and
// labels are compiled in and read from there. Validation is a pure function
// over bytes that returns every problem with its JSON path and a reason in
// zh-TW and English; it never throws and never touches state.
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

// zh-TW / English labels for enumeration values, from the schema's $defs/labels.
// `group` is one of categories, anomalies, sectors, soc, source, impact.
// Unknown values come back as the value itself.
std::string LabelZh(std::string_view group, std::string_view value);
std::string LabelEn(std::string_view group, std::string_view value);

// The compiled-in schema text (proto/report.schema.json).
std::string_view ReportSchemaText();

}  // namespace lifeline
