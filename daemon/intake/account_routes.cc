// /v1/users and /v1/tokens: the console's accounts and the API's clients,
// managed from the box (`lifeline user ...`, `lifeline token ...` over the
// Unix socket; IntakeApi::Authorize refuses everyone else). A password comes
// in the body, is hashed on the HashWorker and is never stored, logged or
// answered; a token is shown once, in the answer that creates it.
#include <regex>

#include "daemon/intake/intake.h"

namespace lifeline {
namespace {

using nlohmann::json;

http::Response AccountProblems(const json& problems) {
  return ProblemListResponse("invalid_request", problems, "nothing was changed: fix every problem listed",
                             "內容有誤，未變更；請修正下列每一項問題");
}

bool ValidName(const std::string& name) {
  static const std::regex kName("^[a-z][a-z0-9._-]{1,31}$");
  return std::regex_match(name, kName);
}

json UserToJson(const UserRow& u) {
  return {{"name", u.name}, {"role", u.role}, {"disabled", u.disabled}, {"created_at", u.created_at},
          {"changed_at", u.changed_at}};
}

json TokenToJson(const TokenRow& t) {
  return {{"name", t.name}, {"role", t.role}, {"disabled", t.disabled}, {"created_at", t.created_at}};
}

// A string field of the body; a problem when absent or not a string.
std::string Field(const json& body, const char* name, json* problems) {
  if (body.contains(name) && body[name].is_string()) return body[name].get<std::string>();
  problems->push_back(FieldProblem(std::string("/") + name, "必填，須為字串", "required, a string"));
  return "";
}

json CheckNameAndRole(const json& body, std::string* name, std::string* role) {
  json problems = json::array();
  *name = Field(body, "name", &problems);
  *role = Field(body, "role", &problems);
  if (problems.empty() && !ValidName(*name)) {
    problems.push_back(FieldProblem("/name", "2 至 32 個小寫英數字，以字母開頭（可含 . _ -）",
                               "2-32 lower-case letters, digits, '.', '_' or '-', starting with a letter"));
  }
  if (problems.empty() && !ParseRole(*role)) {
    problems.push_back(FieldProblem("/role", "須為 operator、supervisor、ciso 或 auditor",
                               "must be operator, supervisor, ciso or auditor"));
  }
  return problems;
}

// Stores `row` once its password is hashed.
void AddUser(AsyncStore& store, HashWorker& hasher, const json& body, const Principal& who, http::Reply reply) {
  std::string name, role;
  json problems = CheckNameAndRole(body, &name, &role);
  std::string password = Field(body, "password", &problems);
  if (problems.empty()) {
    if (Status s = CheckPasswordPolicy(password); !s.ok()) problems.push_back(FieldProblem("/password", s.message(), s.message()));
  }
  if (!problems.empty()) return reply(AccountProblems(problems));
  hasher.Hash(std::move(password), [&store, name, role, reply, actor = who.name](Result<std::string> hash) {
    if (!hash.ok()) return reply(ResponseFromStatus(hash.status()));
    UserRow row{name, role, *hash, "", "", false};
    store.Run([row, actor](Store& st) { return st.AddUser(row, actor); },
              [row, reply](Status s) {
                if (!s.ok()) return reply(ResponseFromStatus(s));
                reply(JsonResponse(201, {{"name", row.name}, {"role", row.role}}));
              });
  });
}

void ChangeUser(AsyncStore& store, HashWorker& hasher, const std::string& name, const std::string& action,
                const json& body, const Principal& who, http::Reply reply) {
  if (action == "disable" || action == "enable") {
    return store.Run(
        [name, disabled = action == "disable", actor = who.name](Store& st) {
          return st.SetUserDisabled(name, disabled, actor);
        },
        [name, reply, action](Status s) {
          if (!s.ok()) return reply(ResponseFromStatus(s));
          reply(JsonResponse(200, {{"name", name}, {"disabled", action == "disable"}}));
        });
  }
  json problems = json::array();
  std::string password = Field(body, "password", &problems);
  if (problems.empty()) {
    if (Status s = CheckPasswordPolicy(password); !s.ok()) problems.push_back(FieldProblem("/password", s.message(), s.message()));
  }
  if (!problems.empty()) return reply(AccountProblems(problems));
  hasher.Hash(std::move(password), [&store, name, reply, actor = who.name](Result<std::string> hash) {
    if (!hash.ok()) return reply(ResponseFromStatus(hash.status()));
    store.Run([name, hash = *hash, actor](Store& st) { return st.SetUserPassword(name, hash, actor); },
              [name, reply](Status s) {
                if (!s.ok()) return reply(ResponseFromStatus(s));
                reply(JsonResponse(200, {{"name", name}, {"password_changed", true}}));
              });
  });
}

void Users(AsyncStore& store, const http::Request& req, const std::vector<std::string>& p, const Principal& who,
           HashWorker& hasher, http::Reply reply) {
  json body = req.body.empty() ? json::object() : json::parse(req.body, nullptr, false);
  if (!body.is_object()) return reply(AccountProblems(json::array({FieldProblem("", "須為 JSON 物件", "must be a JSON object")})));
  if (p.size() == 2 && req.method == "GET") {
    auto users = std::make_shared<std::vector<UserRow>>();
    return store.Run(
        [users](Store& st) {
          auto r = st.Users();
          if (r.ok()) *users = std::move(*r);
          return r.status();
        },
        [users, reply](Status s) {
          if (!s.ok()) return reply(ResponseFromStatus(s));
          json list = json::array();
          for (const auto& u : *users) list.push_back(UserToJson(u));
          reply(JsonResponse(200, {{"users", list}}));
        });
  }
  if (p.size() == 2 && req.method == "POST") return AddUser(store, hasher, body, who, reply);
  if (p.size() == 4 && req.method == "POST" && (p[3] == "disable" || p[3] == "enable" || p[3] == "password")) {
    return ChangeUser(store, hasher, p[2], p[3], body, who, reply);
  }
  reply(ErrorResponse(405, "method_not_allowed", req.method + " is not allowed on " + req.target, "不支援此方法"));
}

void AddToken(AsyncStore& store, const json& body, const Principal& who, http::Reply reply) {
  std::string name, role;
  json problems = CheckNameAndRole(body, &name, &role);
  if (!problems.empty()) return reply(AccountProblems(problems));
  auto secret = NewSecret(32);
  if (!secret.ok()) return reply(ResponseFromStatus(secret.status()));
  const std::string token = "ll_" + *secret;
  TokenRow row{name, role, Sha256Hex(token), "", false};
  store.Run([row, actor = who.name](Store& st) { return st.AddToken(row, actor); },
            [row, token, reply](Status s) {
              if (!s.ok()) return reply(ResponseFromStatus(s));
              reply(JsonResponse(201, {{"name", row.name}, {"role", row.role}, {"token", token},
                                       {"note", "shown once: the box keeps only its SHA-256"}}));
            });
}

void Tokens(AsyncStore& store, const http::Request& req, const std::vector<std::string>& p, const Principal& who,
            http::Reply reply) {
  json body = req.body.empty() ? json::object() : json::parse(req.body, nullptr, false);
  if (!body.is_object()) return reply(AccountProblems(json::array({FieldProblem("", "須為 JSON 物件", "must be a JSON object")})));
  if (p.size() == 2 && req.method == "POST") return AddToken(store, body, who, reply);
  if (p.size() == 2 && req.method == "GET") {
    auto tokens = std::make_shared<std::vector<TokenRow>>();
    return store.Run(
        [tokens](Store& st) {
          auto r = st.Tokens();
          if (r.ok()) *tokens = std::move(*r);
          return r.status();
        },
        [tokens, reply](Status s) {
          if (!s.ok()) return reply(ResponseFromStatus(s));
          json list = json::array();
          for (const auto& t : *tokens) list.push_back(TokenToJson(t));
          reply(JsonResponse(200, {{"tokens", list}}));
        });
  }
  if (p.size() == 4 && p[3] == "disable" && req.method == "POST") {
    return store.Run([name = p[2], actor = who.name](Store& st) { return st.SetTokenDisabled(name, true, actor); },
                     [name = p[2], reply](Status s) {
                       if (!s.ok()) return reply(ResponseFromStatus(s));
                       reply(JsonResponse(200, {{"name", name}, {"disabled", true}}));
                     });
  }
  reply(ErrorResponse(405, "method_not_allowed", req.method + " is not allowed on " + req.target, "不支援此方法"));
}

}  // namespace

void AddAccountRoutes(IntakeApi& api, AsyncStore& store, HashWorker& hasher) {
  api.AddCollection("users", [&store, &hasher](const http::Request& req, const std::vector<std::string>& p,
                                               const Principal& who, http::Reply reply) {
    Users(store, req, p, who, hasher, std::move(reply));
  });
  api.AddCollection("tokens", [&store](const http::Request& req, const std::vector<std::string>& p,
                                       const Principal& who, http::Reply reply) {
    Tokens(store, req, p, who, std::move(reply));
  });
}

}  // namespace lifeline
