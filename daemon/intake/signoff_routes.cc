// POST /v1/reports/{id}/approval and /signatures: the CISO's approval of the
// level (陸.四) — or a change of it, which files the next revision — and the
// record's three signatures in order (玖.一). Who signs is resolved first
// (signer.h); then, on the store worker, decide (record::CheckApproval,
// CheckSignature), record (the new revision if any, the sign-off, each
// journaled, in one transaction), and apply after the commit (a new revision
// goes online and into the escalation plan like any other).
#include <memory>

#include "daemon/core/log.h"
#include "daemon/intake/intake.h"
#include "daemon/intake/signer.h"
#include "daemon/record/record.h"

namespace lifeline {
namespace {

using nlohmann::json;

struct SignoffJob {
  WallTime now;  // the box's clock when the request came, read on the io thread
  std::optional<http::Response> refused;  // nothing written
  bool already = false;
  std::optional<StoredRevision> new_revision;
  json record;
};

http::Response Refused(const record::Refusal& r) {
  return ProblemsResponse(r.http_status, r.code, r.problems, "refused: " + r.problems.front().en,
                          "未受理：" + r.problems.front().zh);
}

http::Response Invalid(const std::string& path, const std::string& zh, const std::string& en) {
  return ProblemsResponse(422, "invalid_request", {{path, zh, en}}, "refused: " + en, "未受理：" + zh);
}

// A Status from ResolveSigner ("/field: why") as a refusal by field.
http::Response SignerRefused(const Status& s) {
  const std::string& m = s.message();
  const size_t colon = m.find(": ");
  const bool field = !m.empty() && m[0] == '/' && colon != std::string::npos;
  const int status = s.code() == StatusCode::kPermissionDenied ? 403 : s.code() == StatusCode::kInvalidArgument ? 422 : 503;
  if (status == 503) return ResponseFromStatus(s);
  return ProblemsResponse(status, status == 403 ? "forbidden" : "invalid_request",
                          {{field ? m.substr(0, colon) : "", "簽核人身分無法確認", field ? m.substr(colon + 2) : m}},
                          "refused: " + m, "未受理：簽核人身分無法確認");
}

SignoffRow RowFor(const record::RecordView& r, std::string kind, const Signer& signer, std::string note) {
  SignoffRow row;
  row.report_id = r.latest().id;
  row.kind = std::move(kind);
  row.revision = r.latest().revision;
  row.level = r.latest().level;
  row.user = signer.user;
  row.role = std::string(RoleName(signer.role));
  row.via = signer.via;
  row.record_sha256 = record::RecordDigest(r);
  row.note = std::move(note);
  return row;
}

// The latest document with the CISO's impacts as the next revision, filed now.
Result<ValidationOutcome> NextRevision(const record::RecordView& r, const json& impact, WallTime now) {
  json doc = r.latest().document;
  doc["impact"] = impact;
  doc["revision"] = r.latest().revision + 1;
  doc["filed_at"] = FormatRfc3339(WithOffset(now, r.OffsetMinutes()));
  return ValidateReportJson(doc);
}

// A change of the level: the next revision, stored with its deadlines, is what is approved.
Status FileChangedLevel(Store& s, const RuleSet& rules, const record::RecordView& r, int level, const json& impact,
                        SignoffJob* out) {
  if (r.latest().document.value("impact", json()) == impact) {
    out->refused = Invalid("/impact", "衝擊評估與目前版次相同", "the impacts are those of the latest revision already");
    return Status::Ok();
  }
  auto next = NextRevision(r, impact, out->now);
  if (!next.ok()) return next.status();
  if (!next->ok()) {
    for (auto& p : next->problems) p.path = p.path.rfind("/impact", 0) == 0 ? p.path : "/impact" + p.path;
    out->refused = ProblemsResponse(422, "invalid_request", next->problems, "refused: the impacts are not valid",
                                    "未受理：衝擊評估有誤");
    return Status::Ok();
  }
  if (next->report->Level() != level) {
    out->refused = Invalid("/level", "等級須為三項衝擊之最高者（" + std::to_string(next->report->Level()) + " 級）",
                           "the level must be the highest of the three impacts (" +
                               std::to_string(next->report->Level()) + ")");
    return Status::Ok();
  }
  auto schedule = ScheduleForRevision(s, rules, *next->report);
  if (!schedule.ok()) return schedule.status();
  auto stored = s.Submit(*next->report, rules.id, std::move(*schedule));
  if (!stored.ok()) return stored.status();
  out->new_revision = stored->stored;
  return Status::Ok();
}

Status RunApproval(Store& s, const RuleSet& rules, const std::string& id, const json& body, const Signer& signer,
                   SignoffJob* out) {
  auto view = record::LoadRecord(s, id);
  if (!view.ok()) return view.status();
  const json level_j = body.value("level", json()), impact = body.value("impact", json());
  const std::string note = body.value("note", json("")).is_string() ? body.value("note", "") : "";
  if (!level_j.is_number_integer() || level_j.get<int>() < 1 || level_j.get<int>() > 4) {
    out->refused = Invalid("/level", "請填核定之事件等級（1 至 4）", "give the approved incident level, 1 to 4");
    return Status::Ok();
  }
  const int level = level_j.get<int>();
  const bool changes = !impact.is_null() || level != view->latest().level;
  if (changes && !impact.is_object()) {
    out->refused = Invalid("/impact", "變更等級須填機密性、完整性、可用性三項衝擊",
                           "a new level needs the three impacts it follows from (confidentiality, integrity, availability)");
    return Status::Ok();
  }
  if (record::Decision refusal = record::CheckApproval(*view, signer.role, changes)) {
    out->refused = Refused(*refusal);
    return Status::Ok();
  }
  const SignoffRow* given = view->Approval();
  if (!changes && given && given->level == level) {
    out->already = true;
  } else {
    if (changes) LIFELINE_RETURN_IF_ERROR(FileChangedLevel(s, rules, *view, level, impact, out));
    if (out->refused) return Status::Ok();
    auto now = record::LoadRecord(s, id);
    if (!now.ok()) return now.status();
    LIFELINE_RETURN_IF_ERROR(s.AddSignoff(RowFor(*now, "approval", signer, note)));
  }
  auto after = record::LoadRecord(s, id);
  if (!after.ok()) return after.status();
  out->record = record::RecordToJson(*after, rules, out->now);
  return Status::Ok();
}

Status RunSignature(Store& s, const RuleSet& rules, const std::string& id, const json& body, const Signer& signer,
                    SignoffJob* out) {
  auto view = record::LoadRecord(s, id);
  if (!view.ok()) return view.status();
  const std::string as_name = body.value("as", json("")).is_string() ? body.value("as", "") : "";
  auto as = record::SignAsFromName(as_name);
  if (!as) {
    out->refused = Invalid("/as", "簽核身分須為 reporter（通報人員）、supervisor（通報主管）或 ciso（資通安全長）",
                           "as must be reporter, supervisor or ciso");
    return Status::Ok();
  }
  const SignoffRow* given = view->Signature(as_name);
  if (given && given->user == signer.user) {
    out->already = true;
  } else if (record::Decision refusal = record::CheckSignature(*view, *as, signer.user, signer.role)) {
    out->refused = Refused(*refusal);
    return Status::Ok();
  } else {
    LIFELINE_RETURN_IF_ERROR(s.AddSignoff(RowFor(*view, as_name, signer, "")));
  }
  auto after = record::LoadRecord(s, id);
  if (!after.ok()) return after.status();
  out->record = record::RecordToJson(*after, rules, out->now);
  return Status::Ok();
}

using Runner = Status (*)(Store&, const RuleSet&, const std::string&, const json&, const Signer&, SignoffJob*);

void PostSignoff(IntakeApi& api, AsyncStore& store, HashWorker& hasher, Runner run, const http::Request& req,
                 const std::vector<std::string>& p, const Principal& who, http::Reply reply) {
  if (p.size() != 4 || req.method != "POST") {
    return reply(ErrorResponse(405, "method_not_allowed", req.method + " is not allowed on " + req.target, "不支援此方法"));
  }
  json body = json::parse(req.body, nullptr, false);
  if (!body.is_object()) return reply(Invalid("", "內容須為 JSON 物件", "the body must be a JSON object"));
  ResolveSigner(store, hasher, who, body, [&api, &store, run, id = p[2], body, who, reply](Result<Signer> signer) {
    if (!signer.ok()) return reply(SignerRefused(signer.status()));
    auto job = std::make_shared<SignoffJob>();
    job->now = api.clock().Now();
    json clean = body;
    clean.erase("password");  // never kept past this point
    store.Run(
        [&rules = api.rules(), run, id, clean, signer = *signer, job, actor = who.name](Store& s) {
          Store::ActorScope by(s, actor);
          return run(s, rules, id, clean, signer, job.get());
        },
        [&api, job, reply, id](Status s) {
          if (!s.ok()) return reply(ResponseFromStatus(s));
          if (job->refused) return reply(std::move(*job->refused));
          reply(JsonResponse(job->already ? 200 : 201,
                             {{"report_id", id}, {"already_stored", job->already}, {"record", job->record}}));
          if (job->new_revision && api.on_stored) api.on_stored(std::move(*job->new_revision));
        });
  });
}

}  // namespace

void AddSignoffRoutes(IntakeApi& api, AsyncStore& store, HashWorker& hasher) {
  for (const auto& [name, runner] : {std::pair<const char*, Runner>{"approval", RunApproval}, {"signatures", RunSignature}}) {
    // A named copy, not the binding: clang 14 cannot capture a structured binding.
    Runner run = runner;
    api.AddReportAction(name, [&api, &store, &hasher, run](const http::Request& req, const std::vector<std::string>& p,
                                                           const Principal& who, http::Reply reply) {
      PostSignoff(api, store, hasher, run, req, p, who, std::move(reply));
    });
  }
}

}  // namespace lifeline
