// /v1/phone-tasks: the operators' view of phone tasks and their confirmation
// (proto/console-api.yaml).
#include "daemon/intake/intake.h"

#include <charconv>

#include "daemon/core/time_format.h"

namespace lifeline {
namespace {

using nlohmann::json;

http::Response ConfirmationProblems(const json& problems) {
  return ProblemListResponse("invalid_request", problems, "the confirmation was not recorded: fix every problem listed",
                             "確認內容有誤，未記錄；請修正下列每一項問題");
}

std::optional<int64_t> ParseTaskId(const std::string& text) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v <= 0) return std::nullopt;
  return v;
}

// The fields' own checks, each named, so the console shows every problem at
// its field; the runner checks the same again before it records anything.
void CheckConfirmation(const std::string& by, const std::string& at, const std::string& note, WallTime now,
                       json* problems) {
  auto problem = [&](const char* path, const std::string& zh, const std::string& en) {
    problems->push_back({{"path", path}, {"zh", zh}, {"en", en}});
  };
  if (by.size() > 200) problem("/answered_by", "至多 200 字", "at most 200 characters");
  if (by.find_first_not_of(" \t") == std::string::npos) problem("/answered_by", "請填寫接聽者姓名", "who answered is required");
  auto when = ParseRfc3339(at);
  if (!when.ok()) {
    problem("/answered_at", "須為含時區之時間，例如 2026-11-21T10:05:00+08:00",
            "must be a time with its offset, e.g. 2026-11-21T10:05:00+08:00");
  } else if (when->instant > now + std::chrono::minutes(5)) {
    // Compared in microseconds, the stored times' unit: in the system clock's
    // nanoseconds a time after 2262 would overflow and pass as the past.
    problem("/answered_at", "不可晚於現在：請填寫實際接聽時間", "is in the future: give the time the call was answered");
  }
  if (note.size() > 2000) problem("/note", "至多 2000 字", "at most 2000 characters");
}

void ConfirmTask(PhoneRunner& runner, int64_t id, const http::Request& req, const Principal& who, WallTime now,
                 http::Reply reply) {
  json body = json::parse(req.body, nullptr, false);
  json problems = json::array();
  auto field = [&](const char* name, bool required) -> std::string {
    if (!body.is_object() || !body.contains(name)) {
      if (required) {
        problems.push_back({{"path", std::string("/") + name}, {"zh", "必填"}, {"en", "required"}});
      }
      return "";
    }
    if (!body[name].is_string()) {
      problems.push_back({{"path", std::string("/") + name}, {"zh", "須為字串"}, {"en", "must be a string"}});
      return "";
    }
    return body[name].get<std::string>();
  };
  if (!body.is_object()) {
    return reply(ConfirmationProblems(json::array({{{"path", ""}, {"zh", "須為 JSON 物件"}, {"en", "must be a JSON object"}}})));
  }
  std::string by = field("answered_by", true), at = field("answered_at", true), note = field("note", false);
  json checks = json::array();
  CheckConfirmation(by, at, note, now, &checks);
  for (const auto& c : checks) {  // a field already missing needs no second problem
    bool named = false;
    for (const auto& p : problems) named = named || p["path"] == c["path"];
    if (!named) problems.push_back(c);
  }
  if (!problems.empty()) return reply(ConfirmationProblems(problems));
  runner.Confirm(id, by, at, note, who.name, [reply](Result<PhoneTask> r) {
    if (!r.ok()) return reply(ResponseFromStatus(r.status()));
    reply(JsonResponse(200, PhoneTaskToJson(*r)));
  });
}

}  // namespace

void AddPhoneRoutes(IntakeApi& api, AsyncStore& store, PhoneRunner& runner) {
  api.AddCollection("phone-tasks", [&api, &store, &runner](const http::Request& req, const std::vector<std::string>& p,
                                                     const Principal& who, http::Reply reply) {
    if (p.size() == 2 && req.method == "GET") {
      bool all = req.target.find("state=all") != std::string::npos;
      auto tasks = std::make_shared<std::vector<PhoneTask>>();
      return store.Run(
          [all, tasks](Store& st) {
            auto r = st.PhoneTasks(!all);
            if (r.ok()) *tasks = std::move(*r);
            return r.status();
          },
          [tasks, reply](Status s) {
            if (!s.ok()) return reply(ResponseFromStatus(s));
            json list = json::array();
            for (const auto& t : *tasks) {
              json j = PhoneTaskToJson(t);
              j["card"] = RenderCallCard(t);
              list.push_back(std::move(j));
            }
            reply(JsonResponse(200, {{"tasks", list}}));
          });
    }
    auto id = p.size() >= 3 ? ParseTaskId(p[2]) : std::nullopt;
    if (p.size() >= 3 && !id) {
      return reply(ErrorResponse(404, "not_found", "no phone task " + p[2] + " (task ids are positive integers)",
                                 "查無此電話任務"));
    }
    if (p.size() == 4 && p[3] == "confirm" && req.method == "POST") return ConfirmTask(runner, *id, req, who, api.clock().Now(), reply);
    if (p.size() == 3 && req.method == "GET") {
      auto task = std::make_shared<PhoneTask>();
      int64_t task_id = *id;
      return store.Run(
          [task_id, task](Store& st) {
            auto r = st.GetPhoneTask(task_id);
            if (r.ok()) *task = *r;
            return r.status();
          },
          [task, reply](Status s) {
            if (!s.ok()) return reply(ResponseFromStatus(s));
            json j = PhoneTaskToJson(*task);
            j["card"] = RenderCallCard(*task);
            reply(JsonResponse(200, j));
          });
    }
    reply(ErrorResponse(405, "method_not_allowed", req.method + " is not allowed on " + req.target, "不支援此方法"));
  });
}

}  // namespace lifeline
