// POST /v1/reports/{id}/damage-control and /closing: stages 2 and 3 of the
// form stored as versions of the report's record. Decide (the document
// validated against the latest revision, then record::CheckStage), record
// (the stage with the report's deadlines recomputed from it, and closing's
// state change, in one transaction), apply after the commit (the online
// path sends it; the engine drops the reminder it meets).
#include <memory>

#include "daemon/core/log.h"
#include "daemon/intake/intake.h"
#include "daemon/record/record.h"

namespace lifeline {
namespace {

using nlohmann::json;

struct StageJob {
  WallTime now;  // the box's clock when the request came, read on the io thread
  std::optional<http::Response> refused;  // 404, 409, 422: nothing written
  bool already_stored = false;
  StoredStage stored;
  json record;
};

const char* DeadlineOf(Stage stage) { return stage == Stage::kDamageControl ? "damage_control_by" : "report_by"; }

// The stage version already holding exactly this document, if any.
const StoredStage* SameDocument(const record::RecordView& r, const StageRecord& s) {
  for (const auto& st : r.stages) {
    if (st.stage == StageName(s.stage) && st.document == s.document) return &st;
  }
  return nullptr;
}

Status Record(Store& s, const RuleSet& rules, const record::RecordView& view, const Report& report,
              const StageRecord& stage, StageJob* out) {
  MetSteps met = record::MetStepsOf(view);
  met.insert_or_assign(DeadlineOf(stage.stage), stage.at);
  auto schedule = record::ScheduleWithMet(rules, report, met);
  if (!schedule.ok()) return schedule.status();
  auto added = s.AddStage(stage, *schedule);
  if (!added.ok()) return added.status();
  out->stored = added->stored;
  if (stage.stage == Stage::kClosing) {
    LIFELINE_RETURN_IF_ERROR(s.TransitionReport(view.latest().id, view.latest().revision, ReportState::kClosed,
                                                {{"stage", "closing"}, {"version", out->stored.version}}));
  }
  return Status::Ok();
}

Status RunStage(Store& s, const RuleSet& rules, Stage stage, const std::string& id, const std::string& text,
                StageJob* out) {
  auto view = record::LoadRecord(s, id);
  if (view.status().code() == StatusCode::kNotFound) {
    out->refused = ErrorResponse(404, "not_found", "no report " + id, "查無此通報");
    return Status::Ok();
  }
  if (!view.ok()) return view.status();
  auto report = record::LatestReport(*view);
  if (!report.ok()) return report.status();
  StageOutcome outcome = ValidateStage(stage, text, RefOf(*report));
  if (!outcome.ok()) {
    out->refused = ProblemsResponse(422, "invalid_stage", outcome.problems,
                                    "the document was not stored: fix every problem listed",
                                    "內容有誤，未儲存；請修正下列每一項問題");
    return Status::Ok();
  }
  if (const StoredStage* same = SameDocument(*view, *outcome.record)) {
    out->already_stored = true;
    out->stored = *same;
  } else if (record::Decision refusal = record::CheckStage(*view, *outcome.record)) {
    out->refused = ProblemsResponse(refusal->http_status, refusal->code, refusal->problems,
                                    "not stored: " + refusal->problems.front().en, "未儲存：" + refusal->problems.front().zh);
    return Status::Ok();
  } else {
    LIFELINE_RETURN_IF_ERROR(Record(s, rules, *view, *report, *outcome.record, out));
  }
  auto after = record::LoadRecord(s, id);
  if (!after.ok()) return after.status();
  out->record = record::RecordToJson(*after, rules, out->now);
  return Status::Ok();
}

void PostStage(IntakeApi& api, AsyncStore& store, Stage stage, const http::Request& req,
               const std::vector<std::string>& p, const Principal& who, http::Reply reply) {
  if (p.size() != 4 || req.method != "POST") {
    return reply(ErrorResponse(405, "method_not_allowed", req.method + " is not allowed on " + req.target, "不支援此方法"));
  }
  auto job = std::make_shared<StageJob>();
  job->now = api.clock().Now();
  store.Run(
      [job, &rules = api.rules(), stage, id = p[2], text = req.body, actor = who.name](Store& s) {
        Store::ActorScope by(s, actor);
        return RunStage(s, rules, stage, id, text, job.get());
      },
      [&api, job, reply](Status s) {
        if (!s.ok()) return reply(ResponseFromStatus(s));
        if (job->refused) return reply(std::move(*job->refused));
        const StoredStage& st = job->stored;
        spdlog::info("report {} {} version {} {}", st.report_id, st.stage, st.version,
                     job->already_stored ? "already stored" : "stored");
        reply(JsonResponse(job->already_stored ? 200 : 201,
                           {{"report_id", st.report_id}, {"stage", st.stage}, {"version", st.version},
                            {"already_stored", job->already_stored}, {"idempotency_key", st.idempotency_key},
                            {"record", job->record}}));
        if (!job->already_stored && api.on_stage_stored) api.on_stage_stored(std::move(job->stored));
      });
}

}  // namespace

void AddStageRoutes(IntakeApi& api, AsyncStore& store) {
  for (Stage stage : {Stage::kDamageControl, Stage::kClosing}) {
    api.AddReportAction(std::string(StageName(stage)),
                        [&api, &store, stage](const http::Request& req, const std::vector<std::string>& p,
                                              const Principal& who, http::Reply reply) {
                          PostStage(api, store, stage, req, p, who, std::move(reply));
                        });
  }
}

}  // namespace lifeline
