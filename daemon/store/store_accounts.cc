// Console accounts and API tokens in the store. Names, roles and who changed
// what are journaled; password hashes and token digests never are.
#include "daemon/store/store.h"

namespace lifeline {
namespace {

constexpr const char* kUserColumns =
    "SELECT name, role, password_hash, disabled, created_at, changed_at FROM users ";
constexpr const char* kTokenColumns = "SELECT name, role, token_sha256, disabled, created_at FROM api_tokens ";

UserRow ReadUser(const sql::Stmt& st) {
  UserRow u;
  u.name = st.Text(0);
  u.role = st.Text(1);
  u.password_hash = st.Text(2);
  u.disabled = st.Int(3) != 0;
  u.created_at = st.Text(4);
  u.changed_at = st.Text(5);
  return u;
}

TokenRow ReadToken(const sql::Stmt& st) {
  TokenRow t;
  t.name = st.Text(0);
  t.role = st.Text(1);
  t.token_sha256 = st.Text(2);
  t.disabled = st.Int(3) != 0;
  t.created_at = st.Text(4);
  return t;
}

template <typename Row, typename Read>
Result<std::vector<Row>> QueryRows(sql::Db& db, const std::string& sql, const std::string& arg, Read read) {
  auto st = db.Prepare(sql);
  if (!st.ok()) return st.status();
  if (!arg.empty()) st->Bind(1, arg);
  std::vector<Row> out;
  for (;;) {
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    out.push_back(read(*st));
  }
}

}  // namespace

Status Store::AddUser(const UserRow& u, const std::string& actor) {
  return InTransaction([&]() -> Status {
    auto st = db_->Prepare(
        "INSERT INTO users(name, role, password_hash, disabled, created_at, changed_at) VALUES (?, ?, ?, 0, ?, ?)");
    if (!st.ok()) return st.status();
    const std::string now = FormatUtcMicros(clock_.Now());
    Status s = st->Bind(1, u.name).Bind(2, u.role).Bind(3, u.password_hash).Bind(4, now).Bind(5, now).Run();
    if (s.code() == StatusCode::kAlreadyExists) return AlreadyExists("a user named '" + u.name + "' exists");
    LIFELINE_RETURN_IF_ERROR(s);
    return Journal("user.added", "", {{"user", u.name}, {"role", u.role}, {"by", actor}}).status();
  });
}

Result<UserRow> Store::GetUser(const std::string& name) {
  auto rows = QueryRows<UserRow>(*db_, std::string(kUserColumns) + "WHERE name = ?", name, ReadUser);
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return NotFound("no user named '" + name + "'");
  return rows->front();
}

Result<std::vector<UserRow>> Store::Users() {
  return QueryRows<UserRow>(*db_, std::string(kUserColumns) + "ORDER BY name", "", ReadUser);
}

Status Store::SetUserDisabled(const std::string& name, bool disabled, const std::string& actor) {
  return InTransaction([&]() -> Status {
    auto st = db_->Prepare("UPDATE users SET disabled = ?, changed_at = ? WHERE name = ?");
    if (!st.ok()) return st.status();
    LIFELINE_RETURN_IF_ERROR(st->Bind(1, disabled ? 1 : 0).Bind(2, FormatUtcMicros(clock_.Now())).Bind(3, name).Run());
    if (sqlite3_changes(db_->raw()) == 0) return NotFound("no user named '" + name + "'");
    return Journal(disabled ? "user.disabled" : "user.enabled", "", {{"user", name}, {"by", actor}}).status();
  });
}

Status Store::SetUserPassword(const std::string& name, const std::string& hash, const std::string& actor) {
  return InTransaction([&]() -> Status {
    auto st = db_->Prepare("UPDATE users SET password_hash = ?, changed_at = ? WHERE name = ?");
    if (!st.ok()) return st.status();
    LIFELINE_RETURN_IF_ERROR(st->Bind(1, hash).Bind(2, FormatUtcMicros(clock_.Now())).Bind(3, name).Run());
    if (sqlite3_changes(db_->raw()) == 0) return NotFound("no user named '" + name + "'");
    return Journal("user.password_changed", "", {{"user", name}, {"by", actor}}).status();
  });
}

Status Store::AddToken(const TokenRow& t, const std::string& actor) {
  return InTransaction([&]() -> Status {
    auto st = db_->Prepare(
        "INSERT INTO api_tokens(name, role, token_sha256, disabled, created_at) VALUES (?, ?, ?, 0, ?)");
    if (!st.ok()) return st.status();
    Status s = st->Bind(1, t.name).Bind(2, t.role).Bind(3, t.token_sha256).Bind(4, FormatUtcMicros(clock_.Now())).Run();
    if (s.code() == StatusCode::kAlreadyExists) return AlreadyExists("a token named '" + t.name + "' exists");
    LIFELINE_RETURN_IF_ERROR(s);
    return Journal("token.added", "", {{"token", t.name}, {"role", t.role}, {"by", actor}}).status();
  });
}

Result<std::optional<TokenRow>> Store::TokenBySha256(const std::string& digest) {
  auto rows = QueryRows<TokenRow>(*db_, std::string(kTokenColumns) + "WHERE token_sha256 = ?", digest, ReadToken);
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return std::optional<TokenRow>();
  return std::optional<TokenRow>(rows->front());
}

Result<std::vector<TokenRow>> Store::Tokens() {
  return QueryRows<TokenRow>(*db_, std::string(kTokenColumns) + "ORDER BY name", "", ReadToken);
}

Status Store::SetTokenDisabled(const std::string& name, bool disabled, const std::string& actor) {
  return InTransaction([&]() -> Status {
    auto st = db_->Prepare("UPDATE api_tokens SET disabled = ? WHERE name = ?");
    if (!st.ok()) return st.status();
    LIFELINE_RETURN_IF_ERROR(st->Bind(1, disabled ? 1 : 0).Bind(2, name).Run());
    if (sqlite3_changes(db_->raw()) == 0) return NotFound("no token named '" + name + "'");
    return Journal(disabled ? "token.disabled" : "token.enabled", "", {{"token", name}, {"by", actor}}).status();
  });
}

}  // namespace lifeline
