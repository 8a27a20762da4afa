// /v1/drill-plans: the seals of drill plans, journaled before their drills
// (seed 002 5.2.1: the draw is made and sealed in advance). POST takes the
// seal `lifeline drill plan` prints (lifeline.drill-seal/1: the commitment and
// what it was drawn from, nothing of the assignments) and journals it as
// drill.plan_sealed with who gave it; GET lists every seal journaled, oldest
// first. The plan itself is revealed after the drill and checked against the
// journaled commitment (`lifeline drill check-seal --journaled`).
#include "daemon/intake/intake.h"

#include "daemon/core/time_format.h"
#include "daemon/drill/plan.h"

namespace lifeline {
namespace {

using nlohmann::json;

bool IsHex64(const json& v) {
  if (!v.is_string() || v.get<std::string>().size() != 64) return false;
  for (char c : v.get<std::string>()) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

json SealProblems(const json& seal) {
  json problems = json::array();
  if (!seal.is_object()) return json::array({FieldProblem("", "須為 JSON 物件", "must be a JSON object")});
  if (seal.value("format", "") != drill::kSealFormat) {
    problems.push_back(FieldProblem("/format", std::string("須為 ") + drill::kSealFormat,
                                    std::string("must be ") + drill::kSealFormat + " (what lifeline drill plan prints)"));
  }
  if (!seal.contains("commitment") || !IsHex64(seal["commitment"])) {
    problems.push_back(FieldProblem("/commitment", "須為 64 位小寫十六進位", "must be 64 lowercase hex digits"));
  }
  if (!seal.contains("roster_sha256") || !IsHex64(seal["roster_sha256"])) {
    problems.push_back(FieldProblem("/roster_sha256", "須為 64 位小寫十六進位", "must be 64 lowercase hex digits"));
  }
  if (!seal.contains("sealed_at") || !seal["sealed_at"].is_string() ||
      !ParseRfc3339(seal["sealed_at"].get<std::string>()).ok()) {
    problems.push_back(FieldProblem("/sealed_at", "須為含時區之時間", "must be a time with its offset"));
  }
  if (!seal.contains("units_drawn") || !seal["units_drawn"].is_number_integer() ||
      seal["units_drawn"].get<int64_t>() < 1 || seal["units_drawn"].get<int64_t>() > 100000) {
    problems.push_back(FieldProblem("/units_drawn", "須為正整數", "must be a positive integer"));
  }
  if (!seal.contains("library") || !seal["library"].is_array() || seal["library"].empty() ||
      seal["library"].size() > 1000) {
    problems.push_back(FieldProblem("/library", "須為情境檔 SHA-256 之清單", "must list the scenarios' SHA-256"));
  } else {
    for (size_t i = 0; i < seal["library"].size(); ++i) {
      if (!IsHex64(seal["library"][i])) {
        problems.push_back(FieldProblem("/library/" + std::to_string(i), "須為 64 位小寫十六進位",
                                        "must be 64 lowercase hex digits"));
      }
    }
  }
  static const char* kKnown[] = {"format", "commitment", "sealed_at", "units_drawn", "roster_sha256", "library"};
  for (const auto& [key, value] : seal.items()) {
    bool known = false;
    for (const char* k : kKnown) known = known || key == k;
    if (!known) problems.push_back(FieldProblem("/" + key, "不屬於彌封紀錄", "is not part of a seal"));
  }
  return problems;
}

}  // namespace

Result<std::vector<JournaledSeal>> JournaledSeals(Store& st) {
  auto q = st.db().Prepare(
      "SELECT seq, wall_time, payload FROM journal WHERE type = 'drill.plan_sealed' ORDER BY seq");
  if (!q.ok()) return q.status();
  std::vector<JournaledSeal> out;
  for (;;) {
    auto row = q->Step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    json p = json::parse(q->Text(2), nullptr, false);
    if (!p.is_object()) continue;
    out.push_back({q->Int(0), q->Text(1), p.value("by", ""), p.value("seal", json::object())});
  }
}

void AddDrillPlanRoutes(IntakeApi& api, AsyncStore& store) {
  api.AddCollection("drill-plans", [&store](const http::Request& req, const std::vector<std::string>& p,
                                            const Principal& who, http::Reply reply) {
    if (p.size() != 2) return reply(ErrorResponse(404, "not_found", "use /v1/drill-plans", "查無此資源"));
    if (req.method == "GET") {
      auto seals = std::make_shared<std::vector<JournaledSeal>>();
      return store.Run(
          [seals](Store& st) {
            auto r = JournaledSeals(st);
            if (r.ok()) *seals = std::move(*r);
            return r.status();
          },
          [seals, reply](Status s) {
            if (!s.ok()) return reply(ResponseFromStatus(s));
            json list = json::array();
            for (const auto& j : *seals) {
              list.push_back({{"seq", j.seq}, {"journaled_at", j.journaled_at}, {"by", j.by}, {"seal", j.seal}});
            }
            reply(JsonResponse(200, {{"seals", list}}));
          });
    }
    if (req.method != "POST") {
      return reply(ErrorResponse(405, "method_not_allowed", req.method + " is not allowed on " + req.target,
                                 "不支援此方法"));
    }
    json seal = json::parse(req.body, nullptr, false);
    json problems = SealProblems(seal);
    if (!problems.empty()) {
      return reply(ProblemListResponse("invalid_request", problems, "the seal was not journaled: fix every problem listed",
                                       "彌封紀錄有誤，未記錄；請修正下列每一項問題"));
    }
    auto seq = std::make_shared<int64_t>(0);
    store.Run(
        [seal, seq, actor = who.name](Store& st) -> Status {
          auto known = JournaledSeals(st);
          if (!known.ok()) return known.status();
          for (const auto& k : *known) {
            if (k.seal.value("commitment", "") == seal["commitment"]) {
              return AlreadyExists("the seal " + seal["commitment"].get<std::string>() + " is already journaled (entry " +
                                   std::to_string(k.seq) + ")");
            }
          }
          Store::ActorScope by(st, actor);
          LIFELINE_RETURN_IF_ERROR(st.RecordEvent("drill.plan_sealed", "", {{"seal", seal}}));
          auto mine = JournaledSeals(st);
          if (mine.ok() && !mine->empty()) *seq = mine->back().seq;
          return Status::Ok();
        },
        [seal, seq, reply](Status s) {
          if (!s.ok()) return reply(ResponseFromStatus(s));
          reply(JsonResponse(201, {{"seq", *seq}, {"seal", seal}}));
        });
  });
}

}  // namespace lifeline
