// Who signs or approves (module-internal): a person, never a client. On the
// console the logged-in user; on the local socket the account named in the
// body, proven by its password (hashed off the io thread); an API token is
// refused. io_context thread only.
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <string>

#include "daemon/accounts/accounts.h"
#include "daemon/core/status.h"
#include "daemon/store/store.h"

namespace lifeline {

struct Signer {
  std::string user;
  Role role = Role::kAuditor;
  std::string via;  // "console" or "socket"
};

// kPermissionDenied (a token, a disabled account, a wrong password) or
// kInvalidArgument (no user or password on the socket) with the field named.
void ResolveSigner(AsyncStore& store, HashWorker& hasher, const Principal& who, const nlohmann::json& body,
                   std::function<void(Result<Signer>)> done);

}  // namespace lifeline
