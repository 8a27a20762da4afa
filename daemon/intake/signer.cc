#include "daemon/intake/signer.h"

#include <memory>

namespace lifeline {
namespace {

std::string Text(const nlohmann::json& body, const char* key) {
  auto it = body.is_object() ? body.find(key) : body.end();
  return it != body.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

void ResolveSigner(AsyncStore& store, HashWorker& hasher, const Principal& who, const nlohmann::json& body,
                   std::function<void(Result<Signer>)> done) {
  if (who.via == "console") return done(Signer{who.name, who.role, "console"});
  if (who.via != "socket") {
    return done(Status(StatusCode::kPermissionDenied,
                       "/user: an API token is a client, not a person: approve and sign in the console, or on the box "
                       "with your own account and password"));
  }
  const std::string user = Text(body, "user"), password = Text(body, "password");
  if (user.empty() || password.empty()) {
    return done(InvalidArgument("/user: on the local socket a sign-off names the account (user) and its password"));
  }
  auto row = std::make_shared<UserRow>();
  store.Run(
      [user, row](Store& st) {
        auto u = st.GetUser(user);
        if (u.ok()) *row = std::move(*u);
        return u.status();
      },
      [&hasher, user, password, row, done](Status s) {
        if (s.code() == StatusCode::kNotFound || (s.ok() && row->disabled)) {
          return done(Status(StatusCode::kPermissionDenied, "/user: no usable account " + user));
        }
        if (!s.ok()) return done(s);
        hasher.Verify(password, row->password_hash, [user, row, done](Result<bool> ok) {
          if (!ok.ok()) return done(ok.status());
          auto role = ParseRole(row->role);
          if (!*ok || !role) return done(Status(StatusCode::kPermissionDenied, "/password: wrong password for " + user));
          done(Signer{user, *role, "socket"});
        });
      });
}

}  // namespace lifeline
