// Sessions and the login throttle: in memory, on the monotonic clock (a step
// of the wall clock neither ends nor extends a session).
#include <algorithm>

#include "daemon/console/console.h"

namespace lifeline {

Result<std::string> SessionTable::Create(const std::string& user, const std::string& role,
                                         const std::string& address) {
  auto token = NewSecret(32);
  auto csrf = NewSecret(24);
  if (!token.ok()) return token.status();
  if (!csrf.ok()) return csrf.status();
  const MonoTime now = clock_.Monotonic();
  // Ended sessions go when a new one starts, so the table stays small.
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    bool ended = now - it->second.last_seen > idle_ || now - it->second.created > lifetime_;
    it = ended ? sessions_.erase(it) : std::next(it);
  }
  sessions_[Sha256Hex(*token)] = Session{user, role, *csrf, address, now, now};
  return *token;
}

const SessionTable::Session* SessionTable::Touch(const std::string& token) {
  auto it = sessions_.find(Sha256Hex(token));
  if (it == sessions_.end()) return nullptr;
  const MonoTime now = clock_.Monotonic();
  if (now - it->second.last_seen > idle_ || now - it->second.created > lifetime_) {
    sessions_.erase(it);
    return nullptr;
  }
  it->second.last_seen = now;
  return &it->second;
}

void SessionTable::Remove(const std::string& token) { sessions_.erase(Sha256Hex(token)); }

void SessionTable::RemoveUser(const std::string& user) {
  for (auto it = sessions_.begin(); it != sessions_.end();) it = it->second.user == user ? sessions_.erase(it) : ++it;
}

std::optional<std::chrono::seconds> LoginThrottle::Wait(const std::string& key) {
  auto it = failures_.find(key);
  if (it == failures_.end()) return std::nullopt;
  const MonoTime now = clock_.Monotonic();
  auto& times = it->second;
  times.erase(std::remove_if(times.begin(), times.end(),
                             [&](MonoTime t) { return now - t >= std::chrono::minutes(1); }),
              times.end());
  if (times.empty()) {
    failures_.erase(it);
    return std::nullopt;
  }
  if (static_cast<int>(times.size()) < allowed_) return std::nullopt;
  auto left = std::chrono::minutes(1) - (now - times.front());
  return std::max(std::chrono::seconds(1), std::chrono::ceil<std::chrono::seconds>(left));
}

void LoginThrottle::Failed(const std::string& key) {
  // Bounded: a flood of invented names or addresses cannot grow the table forever.
  if (failures_.size() > 4096) failures_.clear();
  failures_[key].push_back(clock_.Monotonic());
}

void LoginThrottle::Succeeded(const std::string& key) { failures_.erase(key); }

}  // namespace lifeline
