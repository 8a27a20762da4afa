// `lifeline user ...`, `lifeline token ...` and `lifeline console ...`: the
// console's accounts and API clients, over lifelined's local socket (the
// socket's holder is the box's administrator). A password is read from
// standard input, never from the command line (argv is visible to every user
// of the box); on a terminal it is asked twice without echo.
#include <termios.h>
#include <unistd.h>

#include <fstream>
#include <iostream>

#include "daemon/console/console.h"
#include "tools/lifeline/commands.h"

namespace lifeline::cli {

std::string ReadLineNoEcho(const char* prompt) {
  termios old{};
  const bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
  if (tty) {
    std::cerr << prompt << std::flush;
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string line;
  std::getline(std::cin, line);
  if (tty) {
    tcsetattr(STDIN_FILENO, TCSANOW, &old);
    std::cerr << "\n";
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

namespace {

using nlohmann::json;

Result<std::string> ReadPassword() {
  std::string password = ReadLineNoEcho("password 密碼: ");
  if (isatty(STDIN_FILENO) && ReadLineNoEcho("again 再輸入一次: ") != password) {
    return InvalidArgument("the two passwords differ; nothing was changed");
  }
  if (password.empty()) return InvalidArgument("no password on standard input");
  return password;
}

int Post(const Context& ctx, const std::string& path, const json& body, const std::string& done) {
  auto r = Call(ctx, "POST", path, body.dump());
  if (!r.ok()) return EnvError(r.status());
  if (r->status >= 300) return PrintApiError(*r);
  std::cout << done << "\n";
  return 0;
}

}  // namespace

int UserAdd(const Context& ctx, const std::string& name, const std::string& role) {
  auto password = ReadPassword();
  if (!password.ok()) return EnvError(password.status());
  return Post(ctx, "/v1/users", {{"name", name}, {"role", role}, {"password", *password}},
              "user " + name + " added with role " + role + " 已新增帳號");
}

int UserPassword(const Context& ctx, const std::string& name) {
  auto password = ReadPassword();
  if (!password.ok()) return EnvError(password.status());
  return Post(ctx, "/v1/users/" + name + "/password", {{"password", *password}},
              "password of " + name + " changed 已變更密碼");
}

int UserDisable(const Context& ctx, const std::string& name, bool disable) {
  return Post(ctx, "/v1/users/" + name + (disable ? "/disable" : "/enable"), json::object(),
              "user " + name + (disable ? " disabled 已停用" : " enabled 已啟用"));
}

int UserList(const Context& ctx) {
  auto r = Call(ctx, "GET", "/v1/users", "");
  if (!r.ok()) return EnvError(r.status());
  if (r->status != 200) return PrintApiError(*r);
  for (const auto& u : r->body.value("users", json::array())) {
    std::cout << u.value("name", "") << "  " << u.value("role", "") << (u.value("disabled", false) ? "  DISABLED" : "")
              << "  since " << u.value("created_at", "") << "\n";
  }
  return 0;
}

int TokenAdd(const Context& ctx, const std::string& name, const std::string& role) {
  auto r = Call(ctx, "POST", "/v1/tokens", json{{"name", name}, {"role", role}}.dump());
  if (!r.ok()) return EnvError(r.status());
  if (r->status != 201) return PrintApiError(*r);
  std::cerr << "token " << name << " (" << role << "); shown once, keep it safe 僅顯示一次:\n";
  std::cout << r->body.value("token", "") << "\n";
  return 0;
}

int TokenList(const Context& ctx) {
  auto r = Call(ctx, "GET", "/v1/tokens", "");
  if (!r.ok()) return EnvError(r.status());
  if (r->status != 200) return PrintApiError(*r);
  for (const auto& t : r->body.value("tokens", json::array())) {
    std::cout << t.value("name", "") << "  " << t.value("role", "") << (t.value("disabled", false) ? "  DISABLED" : "")
              << "\n";
  }
  return 0;
}

int TokenDisable(const Context& ctx, const std::string& name) {
  return Post(ctx, "/v1/tokens/" + name + "/disable", json::object(), "token " + name + " disabled 已停用");
}

int ConsoleFingerprint(const Context& ctx) {
  auto config = LoadCliConfig(ctx);
  if (!config.ok()) return EnvError(config.status());
  const std::string cert = config->console.cert_file.empty() ? config->state_dir + "/console-cert.pem"
                                                             : config->console.cert_file;
  auto fp = CertificateFingerprint(cert);
  if (!fp.ok()) return EnvError(fp.status());
  std::cout << "SHA-256 " << *fp << "\n";
  std::string url;
  if (std::getline(std::ifstream(config->state_dir + "/console.url") >> std::ws, url)) std::cout << url << "\n";
  return 0;
}

}  // namespace lifeline::cli
