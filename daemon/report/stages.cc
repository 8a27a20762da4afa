// Stages 2 and 3: the document walked against its compiled-in schema (every
// rule of the form's pages is there), then checked against the report it
// follows: same category, same report id, a revision on record.
#include "daemon/report/report.h"
#include "daemon/report/schema_access.h"
#include "daemon/report/schema_walk.h"

namespace lifeline {
namespace {

using nlohmann::json;
using report_internal::CompiledSchema;

const CompiledSchema& SchemaOf(Stage stage) {
  return stage == Stage::kDamageControl ? report_internal::DamageControlSchema()
                                        : report_internal::ClosingSchema();
}

const json* StringAt(const json& doc, const char* key) {
  auto it = doc.find(key);
  return it != doc.end() && it->is_string() ? &*it : nullptr;
}

// Adds a problem unless the walk already found one at that path.
void Add(std::vector<ValidationProblem>* out, ValidationProblem p) {
  for (const auto& q : *out) {
    if (q.path == p.path) return;
  }
  out->push_back(std::move(p));
}

// The checks against the report; a field that is missing or of the wrong
// type has already been reported by the walk.
void CheckAgainstReport(Stage stage, const json& doc, const ReportRef& report,
                        std::vector<ValidationProblem>* out) {
  if (!doc.is_object()) return;
  const json* category = StringAt(doc, "category");
  if (category && category->get_ref<const std::string&>() != report.category) {
    Add(out, {"/category",
              "與所依據之通報單的事件分類「" + StageLabelZh(stage, "categories", report.category) + "」不符",
              "does not match the report's category (" + report.category + ")"});
  }
  const json* id = StringAt(doc, "report_id");
  if (id && report.id && id->get_ref<const std::string&>() != *report.id) {
    Add(out, {"/report_id", "不是所依據之通報單的識別碼（" + *report.id + "）",
              "is not the id of the report it follows (" + *report.id + ")"});
  }
  auto rev = doc.find("report_revision");
  if (rev != doc.end() && report_internal::IsInteger(*rev) && report.latest_revision &&
      rev->get<double>() > *report.latest_revision) {
    std::string latest = std::to_string(*report.latest_revision);
    Add(out, {"/report_revision", "通報單尚無此版次（最新為第 " + latest + " 版）",
              "the report has no such revision yet (latest: " + latest + ")"});
  }
}

OffsetTime TimeAt(const json& v) {
  // The schema's pattern matched, so this parse succeeds; were the two ever to
  // disagree, the epoch shows it rather than a crash.
  auto t = ParseRfc3339(v.get<std::string>());
  return t.ok() ? *t : OffsetTime{};
}

StageRecord BuildRecord(Stage stage, const json& doc) {
  StageRecord r;
  r.stage = stage;
  r.report_id = doc["report_id"];
  r.report_revision = static_cast<int>(doc["report_revision"].get<double>());
  r.category = doc["category"];
  if (stage == Stage::kDamageControl) {
    r.status = doc["completion"]["status"];
    r.at = TimeAt(doc["completion"]["completed_at"]);
  } else {
    r.at = TimeAt(doc["submitted_at"]);
  }
  r.document = doc;
  return r;
}

}  // namespace

std::string_view StageName(Stage stage) {
  return stage == Stage::kDamageControl ? "damage-control" : "closing";
}

std::optional<Stage> StageFromName(std::string_view name) {
  if (name == "damage-control") return Stage::kDamageControl;
  if (name == "closing") return Stage::kClosing;
  return std::nullopt;
}

ReportRef RefOf(const Report& report) { return {report.category, report.id, report.revision}; }

StageOutcome ValidateStageJson(Stage stage, const json& document, const ReportRef& report) {
  StageOutcome out;
  out.problems = report_internal::WalkSchema(SchemaOf(stage), document);
  CheckAgainstReport(stage, document, report, &out.problems);
  if (out.problems.empty()) out.record = BuildRecord(stage, document);
  return out;
}

StageOutcome ValidateStage(Stage stage, std::string_view text, const ReportRef& report) {
  json doc;
  StageOutcome out;
  if (!report_internal::ParseDocument(text, &doc, &out.problems)) return out;
  return ValidateStageJson(stage, doc, report);
}

StageOutcome ValidateDamageControl(std::string_view text, const ReportRef& report) {
  return ValidateStage(Stage::kDamageControl, text, report);
}

StageOutcome ValidateClosing(std::string_view text, const ReportRef& report) {
  return ValidateStage(Stage::kClosing, text, report);
}

std::string StageLabelZh(Stage stage, std::string_view group, std::string_view value) {
  return report_internal::Label(SchemaOf(stage), group, value, "zh");
}

std::string StageLabelEn(Stage stage, std::string_view group, std::string_view value) {
  return report_internal::Label(SchemaOf(stage), group, value, "en");
}

}  // namespace lifeline
