// `lifeline report validate FILE --stage damage-control|closing [--report R]`:
// stages 2 and 3 of the form checked as lifelined would check them, against
// the report they follow when it is given, with the time they record set
// against the report's deadline.
#include <iostream>

#include "daemon/report/report.h"
#include "tools/lifeline/commands.h"
#include "tools/lifeline/render.h"

namespace lifeline::cli {
namespace {

// The report the document follows: from `report_file` (validated), else only
// the document's own category, which then checks nothing beyond the schema.
Result<std::optional<Report>> LoadReport(const std::string& report_file) {
  if (report_file.empty()) return std::optional<Report>();
  auto text = ReadFile(report_file);
  if (!text.ok()) return text.status();
  ValidationOutcome outcome = ValidateReport(*text);
  if (!outcome.ok()) {
    return InvalidArgument(report_file + " is not a valid report:\n" + outcome.Describe());
  }
  return std::optional<Report>(std::move(*outcome.report));
}

std::string OwnCategory(const std::string& text) {
  auto doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_object() && doc.contains("category") && doc["category"].is_string()) {
    return doc["category"].get<std::string>();
  }
  return "";
}

// The deadline the stage's time answers to: damage_control_by for stage 2,
// report_by for stage 3, from the report's schedule.
Result<std::optional<ScheduledDeadline>> DeadlineFor(const Context& ctx, const Report& r, Stage stage) {
  auto rules = LoadRules(ctx);
  if (!rules.ok()) return rules.status();
  auto schedule = ComputeSchedule(*rules, {r.Level(), r.aware_at, r.affects_others});
  if (!schedule.ok()) return schedule.status();
  const ScheduledDeadline* d =
      schedule->Find(stage == Stage::kDamageControl ? "damage_control_by" : "report_by");
  if (d == nullptr) return std::optional<ScheduledDeadline>();
  return std::optional<ScheduledDeadline>(*d);
}

}  // namespace

int StageValidate(const Context& ctx, const std::string& file, const std::string& stage_name,
                  const std::string& report_file) {
  auto stage = StageFromName(stage_name);
  if (!stage) return EnvError(InvalidArgument("--stage must be damage-control or closing, not '" + stage_name + "'"));
  auto text = ReadFile(file);
  if (!text.ok()) return EnvError(text.status());
  auto report = LoadReport(report_file);
  if (!report.ok()) return EnvError(report.status());
  ReportRef ref = *report ? RefOf(**report) : ReportRef{OwnCategory(*text), std::nullopt, std::nullopt};
  StageOutcome outcome = ValidateStage(*stage, *text, ref);
  if (!outcome.ok()) {
    std::cout << file << ": INVALID 不合格\n" << RenderProblems(outcome.problems);
    return 1;
  }
  std::optional<ScheduledDeadline> deadline;
  if (*report) {
    auto d = DeadlineFor(ctx, **report, *stage);
    if (!d.ok()) return EnvError(d.status());
    deadline = *d;
  }
  std::cout << file << ": VALID 合格\n" << RenderStage(*outcome.record, deadline);
  if (!*report) {
    std::cout << "  (not checked against a report: give --report FILE for its category, id, revision and deadline)\n";
  }
  return 0;
}

}  // namespace lifeline::cli
