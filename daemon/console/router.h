// The console's request handler: assets and pages for people, the session
// endpoints (login, logout, who am I), and the JSON API for sessions and
// bearer tokens, each request authenticated (and, when it changes state
// under a session, checked for its CSRF token) before IntakeApi sees it.
#pragma once

#include <string>

#include "daemon/console/console.h"

namespace lifeline {

class ConsoleServer::Router {
 public:
  Router(const Clock& clock, const ConsoleOptions& options, IntakeApi& api, AsyncStore& store, HashWorker& hasher)
      : options_(options),
        api_(api),
        store_(store),
        hasher_(hasher),
        sessions_(clock, options.idle_timeout, options.session_lifetime),
        throttle_(clock, options.failures_before_slowdown) {}

  // `address` is the client's IP address, for the throttle and the journal.
  void Handle(http::Request& request, const std::string& address, http::Reply reply);

 private:
  void Login(const http::Request& request, const std::string& address, http::Reply reply);
  void FinishLogin(const std::string& user, const std::string& role, bool ok, const std::string& address,
                   http::Reply reply);
  void Logout(const http::Request& request, http::Reply reply);
  void Api(http::Request& request, const std::string& address, http::Reply reply);
  void WithToken(http::Request& request, const std::string& token, http::Reply reply);
  void Page(const http::Request& request, http::Reply reply);
  void Journal(const std::string& type, nlohmann::json payload);

  const ConsoleOptions& options_;
  IntakeApi& api_;
  AsyncStore& store_;
  HashWorker& hasher_;
  SessionTable sessions_;
  LoginThrottle throttle_;
};

}  // namespace lifeline
