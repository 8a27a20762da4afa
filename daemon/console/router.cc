#include "daemon/console/router.h"

#include <array>

#include "daemon/core/log.h"

namespace lifeline {
namespace embedded {
extern const std::string_view console_login_html;
extern const std::string_view console_app_html;
extern const std::string_view console_css;
extern const std::string_view console_js;
extern const std::string_view console_login_js;
extern const std::string_view console_i18n_js;
extern const std::string_view console_dashboard_js;
extern const std::string_view console_report_form_js;
extern const std::string_view console_report_js;
extern const std::string_view console_phone_js;
extern const std::string_view console_drills_js;
extern const std::string_view console_by_hand_js;
extern const std::string_view console_fleet_js;
}  // namespace embedded

namespace {

using nlohmann::json;

constexpr const char* kCookie = "lifeline_session";

struct Asset {
  std::string_view path, type;
  const std::string_view* bytes;
};

// Every asset a page loads; a page for a new API adds its view's script here,
// in the embed list of CMakeLists.txt and in app.html.
constexpr std::string_view kJs = "text/javascript; charset=utf-8";
const std::array<Asset, 11> kAssets = {{
    {"/assets/console.css", "text/css; charset=utf-8", &embedded::console_css},
    {"/assets/console.js", kJs, &embedded::console_js},
    {"/assets/login.js", kJs, &embedded::console_login_js},
    {"/assets/i18n.js", kJs, &embedded::console_i18n_js},
    {"/assets/dashboard.js", kJs, &embedded::console_dashboard_js},
    {"/assets/report-form.js", kJs, &embedded::console_report_form_js},
    {"/assets/report.js", kJs, &embedded::console_report_js},
    {"/assets/phone.js", kJs, &embedded::console_phone_js},
    {"/assets/drills.js", kJs, &embedded::console_drills_js},
    {"/assets/by-hand.js", kJs, &embedded::console_by_hand_js},
    {"/assets/fleet.js", kJs, &embedded::console_fleet_js},
}};

// The pages of the console (app.html draws each from its path).
bool IsPage(const std::vector<std::string>& p) {
  if (p.empty()) return true;  // the dashboard
  if (p.size() == 1) return p[0] == "phone" || p[0] == "drills" || p[0] == "reports" || p[0] == "fleet";
  if (p[0] == "reports" && p.size() == 2) return true;                        // new, or one report
  return p[0] == "reports" && p.size() == 3 && (p[2] == "revise" || p[2] == "signoff" || p[2] == "by-hand");
}

http::Response Bytes(int status, std::string_view type, std::string_view body) {
  http::Response r;
  r.status = status;
  r.headers.Add("content-type", type);
  r.body = std::string(body);
  return r;
}

std::string CookieValue(const http::Request& req, std::string_view name) {
  for (const auto& [field, value] : req.headers.fields()) {
    if (field != "cookie") continue;
    std::string_view rest = value;
    while (!rest.empty()) {
      size_t semi = rest.find(';');
      std::string_view pair = rest.substr(0, semi);
      rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
      while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
      if (pair.substr(0, name.size()) == name && pair.size() > name.size() && pair[name.size()] == '=') {
        return std::string(pair.substr(name.size() + 1));
      }
    }
  }
  return "";
}

std::string SessionCookie(const std::string& token, std::chrono::seconds max_age) {
  return std::string(kCookie) + "=" + token + "; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=" +
         std::to_string(max_age.count());
}

http::Response Unauthorized() {
  return ErrorResponse(401, "login_required", "log in first (or send Authorization: Bearer TOKEN)", "請先登入");
}

bool ChangesState(const http::Request& r) { return r.method != "GET" && r.method != "HEAD"; }

}  // namespace

void ConsoleServer::Router::Journal(const std::string& type, json payload) {
  store_.RunInBackground("the console's " + type,
                         [type, payload](Store& st) { return st.RecordEvent(type, "", payload); });
}

void ConsoleServer::Router::Handle(http::Request& req, const std::string& address, http::Reply reply) {
  const std::string path = req.Path();
  const auto p = req.PathSegments();
  if (path.rfind("/assets/", 0) == 0 && req.method == "GET") {
    for (const Asset& a : kAssets) {
      if (a.path == path) return reply(Bytes(200, a.type, *a.bytes));
    }
    return reply(ErrorResponse(404, "not_found", "no such asset", "無此檔案"));
  }
  if (path == "/login" && req.method == "GET") return reply(Bytes(200, "text/html; charset=utf-8", embedded::console_login_html));
  if (path == "/v1/session") {
    if (req.method == "POST") return Login(req, address, std::move(reply));
    if (req.method == "DELETE") return Logout(req, std::move(reply));
    if (req.method == "GET") {
      const SessionTable::Session* s = sessions_.Touch(CookieValue(req, kCookie));
      if (!s) return reply(Unauthorized());
      return reply(JsonResponse(200, {{"user", s->user}, {"role", s->role}, {"csrf", s->csrf},
                                      {"idle_timeout_seconds", options_.idle_timeout.count()}}));
    }
    return reply(ErrorResponse(405, "method_not_allowed", "GET, POST or DELETE", "不支援此方法"));
  }
  if (path.rfind("/v1/", 0) == 0) return Api(req, address, std::move(reply));
  // The metrics are for the agency's monitoring, which scrapes from another
  // host: a bearer token of any role, never a session, and never anonymous
  // (they tell anyone on the network when the agency is in an incident).
  if (path == "/metrics" && req.method == "GET") {
    const std::string auth = req.headers.GetOr("authorization", "");
    if (auth.rfind("Bearer ", 0) == 0) return WithToken(req, auth.substr(7), std::move(reply));
    http::Response r = ErrorResponse(401, "token_required", "send Authorization: Bearer TOKEN (lifeline token add ...)",
                                     "請以 API 權杖存取");
    r.headers.Add("www-authenticate", "Bearer realm=\"lifeline\"");
    return reply(r);
  }
  if (req.method == "GET" && IsPage(p)) return Page(req, std::move(reply));
  reply(ErrorResponse(404, "not_found", "no such page: " + path, "無此頁面"));
}

void ConsoleServer::Router::Page(const http::Request& req, http::Reply reply) {
  if (!sessions_.Touch(CookieValue(req, kCookie))) {
    http::Response r;
    r.status = 303;
    r.headers.Add("location", "/login?next=" + req.Path());
    return reply(r);
  }
  reply(Bytes(200, "text/html; charset=utf-8", embedded::console_app_html));
}

void ConsoleServer::Router::Login(const http::Request& req, const std::string& address, http::Reply reply) {
  if (req.headers.GetOr("content-type", "").rfind("application/json", 0) != 0) {
    return reply(ErrorResponse(415, "unsupported_media_type", "send the login as application/json", "請以 JSON 送出"));
  }
  json body = json::parse(req.body, nullptr, false);
  if (!body.is_object() || !body.value("user", json()).is_string() || !body.value("password", json()).is_string()) {
    return reply(JsonResponse(422, {{"error", "invalid_request"}, {"message", "user and password are required"},
                                    {"message_zh", "請輸入帳號與密碼"},
                                    {"problems", json::array({{{"path", "/user"}, {"zh", "必填"}, {"en", "required"}},
                                                              {{"path", "/password"}, {"zh", "必填"}, {"en", "required"}}})}}));
  }
  const std::string user = body["user"].get<std::string>().substr(0, 64);
  const std::string password = body["password"].get<std::string>();
  for (const std::string& key : {"user:" + user, "addr:" + address}) {
    if (auto wait = throttle_.Wait(key)) {
      Journal("login.throttled", {{"user", user}, {"address", address}, {"retry_after_seconds", wait->count()}});
      http::Response r = ErrorResponse(429, "too_many_attempts", "too many wrong passwords; wait and try again",
                                       "密碼錯誤次數過多，請稍後再試");
      r.headers.Add("retry-after", std::to_string(wait->count()));
      return reply(r);
    }
  }
  auto row = std::make_shared<std::optional<UserRow>>();
  store_.Run(
      [user, row](Store& st) {
        auto u = st.GetUser(user);
        if (u.ok()) *row = *u;
        return u.ok() || u.status().code() == StatusCode::kNotFound ? Status::Ok() : u.status();
      },
      [this, user, password, address, row, reply](Status s) {
        if (!s.ok()) return reply(ResponseFromStatus(s));
        // An unknown or disabled account costs the same hashing as a known
        // one, so the time of the answer does not tell which names exist.
        static const std::string kNobody =
            "$argon2id$v=19$m=19456,t=2,p=1$bm9ib2R5bm9ib2R5bm9ib2R5$4DnFxPoXNbxwUTG0mAYhvcmiNR7u0pV0iPbVsZqu6uY";
        const bool usable = row->has_value() && !(*row)->disabled;
        const std::string phc = usable ? (*row)->password_hash : kNobody;
        const std::string role = usable ? (*row)->role : "";
        hasher_.Verify(password, phc, [this, user, role, usable, address, reply](Result<bool> ok) {
          if (!ok.ok() && ok.status().code() == StatusCode::kResourceExhausted) return reply(ResponseFromStatus(ok.status()));
          FinishLogin(user, role, usable && ok.ok() && *ok, address, reply);
        });
      });
}

void ConsoleServer::Router::FinishLogin(const std::string& user, const std::string& role, bool ok,
                                        const std::string& address, http::Reply reply) {
  if (!ok) {
    throttle_.Failed("user:" + user);
    throttle_.Failed("addr:" + address);
    Journal("login.failed", {{"user", user}, {"address", address}});
    return reply(ErrorResponse(401, "wrong_credentials", "wrong user or password", "帳號或密碼錯誤"));
  }
  throttle_.Succeeded("user:" + user);
  auto token = sessions_.Create(user, role, address);
  if (!token.ok()) return reply(ResponseFromStatus(token.status()));
  const SessionTable::Session* s = sessions_.Touch(*token);
  Journal("login", {{"user", user}, {"role", role}, {"address", address}});
  http::Response r = JsonResponse(200, {{"user", user}, {"role", role}, {"csrf", s->csrf},
                                        {"idle_timeout_seconds", options_.idle_timeout.count()}});
  r.headers.Add("set-cookie", SessionCookie(*token, options_.session_lifetime));
  reply(r);
}

void ConsoleServer::Router::Logout(const http::Request& req, http::Reply reply) {
  const std::string token = CookieValue(req, kCookie);
  const SessionTable::Session* s = sessions_.Touch(token);
  if (!s) return reply(Unauthorized());
  if (req.headers.GetOr("x-csrf-token", "") != s->csrf) {
    return reply(ErrorResponse(403, "csrf", "missing or wrong X-CSRF-Token", "缺少或錯誤的 CSRF 權杖"));
  }
  Journal("logout", {{"user", s->user}, {"address", s->address}});
  sessions_.Remove(token);
  http::Response r = JsonResponse(200, {{"logged_out", true}});
  r.headers.Add("set-cookie", std::string(kCookie) + "=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0");
  reply(r);
}

void ConsoleServer::Router::WithToken(http::Request& req, const std::string& token, http::Reply reply) {
  auto row = std::make_shared<std::optional<TokenRow>>();
  store_.Run(
      [digest = Sha256Hex(token), row](Store& st) {
        auto t = st.TokenBySha256(digest);
        if (t.ok()) *row = std::move(*t);
        return t.status();
      },
      [this, req = std::move(req), row, reply](Status s) {
        if (!s.ok()) return reply(ResponseFromStatus(s));
        if (!row->has_value() || (*row)->disabled) {
          return reply(ErrorResponse(401, "bad_token", "unknown or disabled token", "權杖無效或已停用"));
        }
        auto role = ParseRole((*row)->role);
        api_.Handle(req, Principal{"token:" + (*row)->name, role.value_or(Role::kAuditor), "token"}, reply);
      });
}

// The API for the console's own pages (session cookie, CSRF token on every
// change) and for scripts (bearer token, no cookie, so no CSRF to guard).
void ConsoleServer::Router::Api(http::Request& req, const std::string& address, http::Reply reply) {
  const std::string auth = req.headers.GetOr("authorization", "");
  if (auth.rfind("Bearer ", 0) == 0) return WithToken(req, auth.substr(7), std::move(reply));
  const SessionTable::Session* s = sessions_.Touch(CookieValue(req, kCookie));
  if (!s) return reply(Unauthorized());
  if (ChangesState(req) && req.headers.GetOr("x-csrf-token", "") != s->csrf) {
    Journal("console.csrf_refused", {{"user", s->user}, {"address", address}, {"path", req.Path()}});
    return reply(ErrorResponse(403, "csrf", "missing or wrong X-CSRF-Token", "缺少或錯誤的 CSRF 權杖"));
  }
  // The account may have been disabled (or its role changed) since the login.
  std::string token = CookieValue(req, kCookie);
  auto row = std::make_shared<std::optional<UserRow>>();
  store_.Run(
      [user = s->user, row](Store& st) {
        auto u = st.GetUser(user);
        if (u.ok()) *row = *u;
        return u.ok() || u.status().code() == StatusCode::kNotFound ? Status::Ok() : u.status();
      },
      [this, req = std::move(req), row, token = std::move(token), reply](Status st) {
        if (!st.ok()) return reply(ResponseFromStatus(st));
        if (!row->has_value() || (*row)->disabled) {
          sessions_.Remove(token);
          return reply(Unauthorized());
        }
        auto role = ParseRole((*row)->role);
        api_.Handle(req, Principal{(*row)->name, role.value_or(Role::kAuditor), "console"}, reply);
      });
}

}  // namespace lifeline
