#include <cstdlib>
#include <memory>

#include "daemon/core/log.h"

#include "daemon/intake/intake.h"
#include "daemon/record/record.h"

namespace lifeline {

using nlohmann::json;

namespace {

http::Response Json(int status, const json& body) {
  http::Response r;
  r.status = status;
  r.headers.Add("content-type", "application/json; charset=utf-8");
  // Stored documents are valid UTF-8; anything else that reaches a body (a
  // peer's bytes in evidence) is replaced rather than thrown over.
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

http::Response Error(int status, std::string_view code, const std::string& en, const std::string& zh) {
  return Json(status, {{"error", code}, {"message", en}, {"message_zh", zh}});
}

// How a store failure is told to the client.
http::Response FromStatus(const Status& s) {
  switch (s.code()) {
    case StatusCode::kNotFound:
      return Error(404, "not_found", s.message(), "查無此項目：" + s.message());
    case StatusCode::kAlreadyExists:
      return Error(409, "conflict", s.message(), "與已儲存之通報衝突");
    case StatusCode::kFailedPrecondition:
      return Error(409, "conflict", s.message(), "與目前狀態衝突：" + s.message());
    case StatusCode::kResourceExhausted:
      return Error(507, "disk_full",
                   "the report was NOT stored: " + s.message() +
                       ". Reports already stored are intact; free disk space and submit again.",
                   "磁碟空間不足，本通報未儲存；已儲存之通報不受影響。請釋放空間後重新送出。");
    case StatusCode::kInvalidArgument:
      return Error(422, "invalid_request", s.message(), "請求內容有誤：" + s.message());
    case StatusCode::kPermissionDenied:
      return Error(403, "forbidden", s.message(), "無權執行此操作：" + s.message());
    case StatusCode::kUnknownOutcome:
      return Error(503, "unknown_outcome",
                   s.message() + ". Submit the same report again: it can never be stored twice.",
                   "無法確認是否已儲存，請重新送出同一份通報（不會重複儲存）。");
    default:
      return Error(503, "store_unavailable", s.ToString(), "儲存失敗，請稍後重試。");
  }
}

}  // namespace

http::Response JsonResponse(int status, const json& body) { return Json(status, body); }
http::Response ErrorResponse(int status, std::string_view code, const std::string& en, const std::string& zh) {
  return Error(status, code, en, zh);
}
http::Response ResponseFromStatus(const Status& s) { return FromStatus(s); }
json FieldProblem(const std::string& path, const std::string& zh, const std::string& en) {
  return {{"path", path}, {"zh", zh}, {"en", en}};
}

http::Response ProblemListResponse(std::string_view code, const json& problems, const std::string& en,
                                   const std::string& zh) {
  return Json(422, {{"error", code}, {"message", en}, {"message_zh", zh}, {"problems", problems}});
}

http::Response ProblemsResponse(int status, std::string_view code, const std::vector<ValidationProblem>& problems,
                                const std::string& en, const std::string& zh) {
  json body = ProblemsToJson(problems);
  body["error"] = code;
  body["message"] = en;
  body["message_zh"] = zh;
  return Json(status, body);
}

Result<json> ScheduleForRevision(Store& store, const RuleSet& rules, const Report& report) {
  MetSteps met;
  if (report.revision > 1) {
    auto view = record::LoadRecord(store, report.id);
    if (view.ok()) met = record::MetStepsOf(*view);
    else if (view.status().code() != StatusCode::kNotFound) return view.status();
  }
  return record::ScheduleWithMet(rules, report, met);
}

json RevisionToJson(const StoredRevision& r, bool include_document) {
  json j = {{"id", r.id}, {"revision", r.revision}, {"level", r.level}, {"drill", r.drill},
            {"state", r.state}, {"aware_at", r.aware_at}, {"received_at", r.received_at},
            {"idempotency_key", r.idempotency_key}, {"document_sha256", r.document_sha256},
            {"rules_id", r.rules_id}, {"schedule", r.schedule}};
  if (!r.site_receipt.empty()) j["site_receipt"] = r.site_receipt;
  if (include_document) j["document"] = r.document;
  return j;
}

// Reading is for everyone with an account; accounts and tokens are for the
// local administrator; signing and approving check their own roles where they
// are handled; anything else that changes state is for operators and up.
Status IntakeApi::Authorize(const Principal& who, const http::Request& req, const std::vector<std::string>& p) {
  const bool reads = req.method == "GET" || req.method == "HEAD";
  const bool accounts = p.size() >= 2 && p[0] == "v1" && (p[1] == "users" || p[1] == "tokens");
  if (accounts && !CanAdminister(who.role)) {
    return Status(StatusCode::kPermissionDenied, "accounts and tokens are managed on the box itself (lifeline user ...)");
  }
  if (!reads && !CanOperate(who.role)) {
    return Status(StatusCode::kPermissionDenied,
                  "the role " + std::string(RoleName(who.role)) + " reads and exports only");
  }
  return Status::Ok();
}

void IntakeApi::Handle(const http::Request& req, const Principal& who, Reply reply) {
  std::vector<std::string> p = req.PathSegments();
  if (Status allowed = Authorize(who, req, p); !allowed.ok()) {
    return reply(Error(403, "forbidden", allowed.message(), "此帳號之角色無權執行此操作"));
  }
  bool reports = p.size() >= 2 && p[0] == "v1" && p[1] == "reports";
  if (p == std::vector<std::string>{"v1", "health"} && req.method == "GET") {
    return reply(Json(200, {{"status", "ok"}, {"rules_id", rules_.id}}));
  }
  if (p == std::vector<std::string>{"v1", "dashboard"} && req.method == "GET") return Dashboard(reply);
  if (p == std::vector<std::string>{"metrics"} && req.method == "GET" && on_metrics) return on_metrics(reply);
  if (p == std::vector<std::string>{"v1", "schema", "report"} && req.method == "GET") {
    // The contract itself, labels and all: the console builds its form from it.
    http::Response r;
    r.status = 200;
    r.headers.Add("content-type", "application/schema+json; charset=utf-8");
    r.body = std::string(ReportSchemaText());
    return reply(r);
  }
  if (reports && p.size() == 2 && req.method == "POST") return FileReport(req.body, "", who, reply);
  if (reports && p.size() == 2 && req.method == "GET") return ListReports(req, reply);
  if (reports && p.size() == 3 && req.method == "GET") return GetReport(p[2], reply);
  if (reports && p.size() == 4 && p[3] == "revisions" && req.method == "POST") {
    return FileReport(req.body, p[2], who, reply);
  }
  if (reports && p.size() >= 4) {
    auto action = report_actions_.find(p[3]);
    if (action != report_actions_.end()) return action->second(req, p, who, reply);
  }
  if (p.size() >= 2 && p[0] == "v1") {
    auto handler = collections_.find(p[1]);
    if (handler != collections_.end()) return handler->second(req, p, who, reply);
  }
  if (reports || p == std::vector<std::string>{"v1", "health"}) {
    return reply(Error(405, "method_not_allowed", req.method + " is not allowed on " + req.target, "不支援此方法"));
  }
  reply(Error(404, "not_found", "no such endpoint: " + req.target, "無此路徑"));
}

void IntakeApi::FileReport(const std::string& body_text, const std::string& path_id, const Principal& who,
                           Reply reply) {
  ValidationOutcome outcome = ValidateReportAt(body_text, TimeCheck{clock_.Now(), clock_skew_});
  if (!outcome.ok()) {
    json body = outcome.ToJson();
    body["error"] = "invalid_report";
    body["message"] = "the report was not stored: fix every problem listed";
    body["message_zh"] = "通報單內容有誤，未儲存；請修正下列每一項問題";
    return reply(Json(422, body));
  }
  auto report = std::make_shared<Report>(std::move(*outcome.report));
  bool is_revision = !path_id.empty();
  if (is_revision && (report->id != path_id || report->revision < 2)) {
    return reply(Error(400, "revision_mismatch",
                       "a revision posted to /v1/reports/" + path_id + "/revisions must carry id " + path_id +
                           " and revision 2 or more",
                       "續行通報之識別碼須相同，版次須為 2 以上"));
  }
  if (!is_revision && report->revision != 1) {
    return reply(Error(400, "revision_mismatch",
                       "a new report has revision 1; post later revisions to /v1/reports/{id}/revisions",
                       "新通報版次須為 1；續行通報請送至 /v1/reports/{id}/revisions"));
  }
  // The schedule and the store's work run on the store worker, the request's
  // parsing and validation here: with several clients the two overlap.
  auto result = std::make_shared<SubmitResult>();
  store_.Run(
      [report, result, &rules = rules_, actor = who.name](Store& s) {
        Store::ActorScope by(s, actor);
        // A later revision keeps what its record has met (damage control...).
        auto schedule = ScheduleForRevision(s, rules, *report);
        if (!schedule.ok()) return schedule.status();
        auto r = s.Submit(*report, rules.id, std::move(*schedule));
        if (r.ok()) *result = std::move(*r);
        return r.status();
      },
      [this, result, reply, report](Status s) {
        if (!s.ok()) {
          spdlog::warn("report {} revision {} not stored: {}", report->id, report->revision, s.ToString());
          return reply(FromStatus(s));
        }
        spdlog::info("report {} revision {} {} (level {})", report->id, report->revision,
                     result->already_stored ? "already stored" : "stored", result->stored.level);
        json body = RevisionToJson(result->stored, false);
        body["already_stored"] = result->already_stored;
        reply(Json(result->already_stored ? 200 : 201, body));
        if (!result->already_stored && on_stored) on_stored(std::move(result->stored));
      });
}

void IntakeApi::GetReport(const std::string& id, Reply reply) {
  auto view = std::make_shared<record::RecordView>();
  store_.Run(
      [id, view](Store& s) {
        auto r = record::LoadRecord(s, id);
        if (r.ok()) *view = std::move(*r);
        return r.status().code() == StatusCode::kNotFound ? Status::Ok() : r.status();
      },
      [this, id, view, reply](Status s) {
        if (!s.ok()) return reply(FromStatus(s));
        if (view->revisions.empty()) return reply(Error(404, "not_found", "no report " + id, "查無此通報"));
        json list = json::array();
        for (const auto& r : view->revisions) list.push_back(RevisionToJson(r, true));
        const WallTime now = clock_.Now();
        reply(Json(200, {{"id", id}, {"revisions", list}, {"record", record::RecordToJson(*view, rules_, now)}}));
      });
}

// A page at a time (?limit=1-1000, default 100; ?after=the previous page's
// "next"; ?state=open for what the site has not accepted), so neither the
// daemon nor a client holds the whole store for a listing.
void IntakeApi::ListReports(const http::Request& req, Reply reply) {
  PageQuery q;
  q.cursor = req.Query("after").value_or("");
  if (q.cursor.size() > 19 || q.cursor.find_first_not_of("0123456789") != std::string::npos) {
    return reply(Error(400, "bad_after", "after must be the previous page's \"next\" value", "after 須為上一頁的 next 值"));
  }
  q.open_only = req.Query("state").value_or("") == "open";
  if (auto limit = req.Query("limit")) {
    char* end = nullptr;
    long n = std::strtol(limit->c_str(), &end, 10);
    if (limit->empty() || *end != '\0' || n < 1 || n > static_cast<long>(kMaxPageSize)) {
      return reply(Error(400, "bad_limit", "limit must be 1-" + std::to_string(kMaxPageSize), "每頁筆數須為 1 至 1000"));
    }
    q.limit = static_cast<size_t>(n);
  }
  auto page = std::make_shared<RevisionPage>();
  store_.Run(
      [q, page](Store& s) {
        auto r = s.ListLatestPage(q);
        if (r.ok()) *page = std::move(*r);
        return r.status();
      },
      [page, reply](Status s) {
        if (!s.ok()) return reply(FromStatus(s));
        json list = json::array();
        for (const auto& r : page->revisions) list.push_back(RevisionToJson(r, false));
        json body = {{"reports", std::move(list)}};
        if (!page->next.empty()) body["next"] = page->next;
        reply(Json(200, body));
      });
}

}  // namespace lifeline
