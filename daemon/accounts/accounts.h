// Who may do what: the console's roles and principals, password hashing with
// argon2id (libargon2), and secrets for sessions and API tokens. Hashing is
// slow on purpose (about a tenth of a second, 19 MiB), so HashWorker runs it
// on a thread of its own and posts the result back to the io_context; the
// rest is pure. A password or token is never logged or journaled.
#pragma once

#include <asio/io_context.hpp>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "daemon/core/status.h"

namespace lifeline {

// operator: files and revises reports, confirms phone tasks, records fax and
// phone outcomes, runs drills. supervisor: that, and signs as 通報主管. ciso:
// that, approves the level and signs as 資通安全長. auditor: reads and
// exports only. admin: the local Unix socket (root or the socket's group),
// which also manages accounts and tokens.
enum class Role { kOperator, kSupervisor, kCiso, kAuditor, kAdmin };
std::string_view RoleName(Role r);
std::optional<Role> ParseRole(std::string_view name);  // not "admin": no account has it

struct Principal {
  std::string name;  // the user, the token's name, or "local:<unix user>"
  Role role = Role::kAuditor;
  std::string via;   // "console", "token", "socket"
};

// What a request may do, by role.
bool CanRead(Role r);             // every role
bool CanOperate(Role r);          // file, revise, confirm, record, drill
bool CanSignAsSupervisor(Role r);
bool CanApproveAndSignAsCiso(Role r);
bool CanAdminister(Role r);       // accounts and tokens

// A password a person may choose: 10 to 256 bytes of UTF-8 without control
// characters. The message says what is wrong, in zh-TW and English.
Status CheckPasswordPolicy(std::string_view password);

// argon2id, m = 19 MiB, t = 2, p = 1 (OWASP's minimum), random 16-byte salt,
// as a PHC string: $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>.
Result<std::string> HashPassword(std::string_view password);
// False for a wrong password; an error for a string that is not such a hash.
Result<bool> VerifyPassword(std::string_view password, std::string_view phc);

// `bytes` random bytes (getrandom), base64url without padding: session ids,
// CSRF tokens, API tokens.
Result<std::string> NewSecret(size_t bytes = 32);
std::string Sha256Hex(std::string_view data);

// Runs password hashing and verification off the io thread, one at a time, in
// arrival order; results are posted to `io`. A bounded queue: when `max_queue`
// jobs wait, a new one fails at once with kResourceExhausted (a login flood
// must not grow memory or delay the rest).
class HashWorker {
 public:
  explicit HashWorker(asio::io_context& io, size_t max_queue = 16);
  ~HashWorker();  // drops what waits, finishes the running job, joins
  void Hash(std::string password, std::function<void(Result<std::string>)> done);
  void Verify(std::string password, std::string phc, std::function<void(Result<bool>)> done);

 private:
  void Enqueue(std::function<void()> job, std::function<void()> refused);
  void Loop();

  asio::io_context& io_;
  const size_t max_queue_;
  std::mutex mu_;  // guards queue_ and stopping_: the io thread adds, the worker takes
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace lifeline
