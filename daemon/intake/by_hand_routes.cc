// POST /v1/reports/{id}/notifications/{recipient}/by-hand: a notice an
// operator made outside the box (proto/console-api.yaml). The fields are
// checked here, each named; the plan's own checks (is this a recipient of
// the report, a channel the directory lists for it) come from the engine on
// the same thread, so a form shows every problem at once and nothing is
// recorded while one remains.
#include "daemon/intake/intake.h"

#include "daemon/core/time_format.h"
#include "daemon/escalation/engine.h"

namespace lifeline {
namespace {

using nlohmann::json;

http::Response ByHandProblemsResponse(const json& problems) {
  return ProblemListResponse("invalid_request", problems, "the notice was not recorded: fix every problem listed",
                             "未記錄此通知；請修正下列每一項問題");
}

// The operator's statement, or the problems with it. `now` bounds sent_at:
// a notice is recorded after it was made.
json StatementProblems(const json& body, WallTime now, std::chrono::seconds skew, json* statement) {
  json problems = json::array();
  auto text = [&](const char* name, bool required, size_t max) -> std::string {
    const std::string path = std::string("/") + name;
    if (!body.contains(name)) {
      if (required) problems.push_back(FieldProblem(path, "必填", "required"));
      return "";
    }
    if (!body[name].is_string()) {
      problems.push_back(FieldProblem(path, "須為字串", "must be a string"));
      return "";
    }
    std::string v = body[name].get<std::string>();
    if (v.size() > max) {
      problems.push_back(FieldProblem(path, "至多 " + std::to_string(max) + " 字",
                                      "at most " + std::to_string(max) + " characters"));
    } else if (required && v.find_first_not_of(" \t\r\n") == std::string::npos) {
      problems.push_back(FieldProblem(path, "必填", "required"));
    }
    return v;
  };
  const std::string channel = text("channel", true, 16);
  const std::string sent_at = text("sent_at", true, 64);
  const std::string proof = text("proof", true, 500);
  const std::string from = text("from", false, 200);
  const std::string note = text("note", false, 2000);
  for (const auto& [key, value] : body.items()) {
    static const char* kKnown[] = {"channel", "sent_at", "proof", "from", "note"};
    bool known = false;
    for (const char* k : kKnown) known = known || key == k;
    if (!known) problems.push_back(FieldProblem("/" + key, "不支援此欄位", "is not a field of a notice sent by hand"));
  }
  if (!channel.empty() && channel != "sms" && channel != "fax" && channel != "phone" && channel != "email") {
    problems.push_back(FieldProblem("/channel", "須為 fax、phone、sms 或 email", "must be fax, phone, sms or email"));
  }
  if (!sent_at.empty()) {
    auto when = ParseRfc3339(sent_at);
    if (!when.ok()) {
      problems.push_back(FieldProblem("/sent_at", "須為含時區之時間，例如 2026-11-21T10:05:00+08:00",
                                      "must be a time with its offset, e.g. 2026-11-21T10:05:00+08:00"));
    } else if (when->instant > now + skew) {
      problems.push_back(FieldProblem("/sent_at", "不可晚於現在：請填寫實際送出時間",
                                      "is in the future: give the time the notice was sent"));
    }
  }
  *statement = {{"sent_at", sent_at}, {"proof", proof}};
  if (!from.empty()) (*statement)["from"] = from;
  if (!note.empty()) (*statement)["note"] = note;
  return problems;
}

}  // namespace

void AddByHandRoutes(IntakeApi& api, EscalationEngine& engine) {
  api.AddReportAction("notifications", [&api, &engine](const http::Request& req,
                                                                   const std::vector<std::string>& p,
                                                                   const Principal& who, http::Reply reply) {
    if (p.size() != 6 || p[5] != "by-hand") {
      return reply(ErrorResponse(404, "not_found",
                                 "use POST /v1/reports/{id}/notifications/{recipient}/by-hand", "查無此資源"));
    }
    if (req.method != "POST") {
      return reply(ErrorResponse(405, "method_not_allowed", req.method + " is not allowed on " + req.target,
                                 "不支援此方法"));
    }
    json body = json::parse(req.body, nullptr, false);
    if (!body.is_object()) {
      return reply(ByHandProblemsResponse(json::array({FieldProblem("", "須為 JSON 物件", "must be a JSON object")})));
    }
    NoticeByHand notice;
    notice.report_id = p[2];
    notice.recipient = p[4];
    notice.recorded_by = who.name;
    json problems = StatementProblems(body, api.clock().Now(), api.clock_skew(), &notice.evidence);
    notice.channel = body.contains("channel") && body["channel"].is_string() ? body["channel"].get<std::string>() : "";
    bool channel_named = false;
    for (const auto& q : problems) channel_named = channel_named || q["path"] == "/channel";
    for (auto& q : engine.ByHandProblems(notice)) {
      if (q["path"] != "/channel" || !channel_named) problems.push_back(std::move(q));
    }
    if (!problems.empty()) return reply(ByHandProblemsResponse(problems));
    engine.RecordNoticeByHand(notice, [reply](Result<json> r) {
      if (!r.ok()) return reply(ResponseFromStatus(r.status()));
      reply(JsonResponse(200, *r));
    });
  });
}

}  // namespace lifeline
