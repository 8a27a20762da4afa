#include "daemon/store/sqlite.h"

namespace lifeline::sql {

Status FromCode(int rc, sqlite3* db, std::string_view what) {
  if (rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE) return Status::Ok();
  std::string msg = std::string(what) + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)) +
                    " (sqlite " + std::to_string(rc) + ")";
  switch (rc & 0xff) {
    case SQLITE_FULL:
      return ResourceExhausted("disk full: " + msg);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Corruption(msg);
    case SQLITE_CONSTRAINT:
      return AlreadyExists(msg);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Unavailable(msg);
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_CANTOPEN:
      return Status(StatusCode::kPermissionDenied, msg);
    default:
      return IoError(msg);
  }
}

Stmt& Stmt::Bind(int i, int64_t v) {
  sqlite3_bind_int64(s_, i, v);
  return *this;
}
Stmt& Stmt::Bind(int i, std::string_view v) {
  sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}
Stmt& Stmt::Bind(int i, const std::vector<uint8_t>& v) {
  sqlite3_bind_blob(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}
Stmt& Stmt::BindNull(int i) {
  sqlite3_bind_null(s_, i);
  return *this;
}

Result<bool> Stmt::Step() {
  int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return FromCode(rc, db_, "step");
}

Status Stmt::Run() {
  for (;;) {
    auto r = Step();
    if (!r.ok()) return r.status();
    if (!*r) return Status::Ok();
  }
}

Status Stmt::Reset() { return FromCode(sqlite3_reset(s_), db_, "reset"); }

std::string Stmt::Text(int col) const {
  const unsigned char* p = sqlite3_column_text(s_, col);
  return p ? std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(s_, col)) : "";
}

std::vector<uint8_t> Stmt::Blob(int col) const {
  const auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(s_, col));
  return p ? std::vector<uint8_t>(p, p + sqlite3_column_bytes(s_, col)) : std::vector<uint8_t>{};
}

Result<std::unique_ptr<Db>> Db::Open(const std::string& path, const OpenOptions& options) {
  sqlite3* raw = nullptr;
  int flags = options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX,
                           options.vfs.empty() ? nullptr : options.vfs.c_str());
  if (rc != SQLITE_OK) {
    Status s = FromCode(rc, raw, "open " + path);
    sqlite3_close(raw);
    return s;
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, 5000);
  return std::unique_ptr<Db>(new Db(raw, path));
}

Db::~Db() {
  cached_.clear();  // finalize before closing
  sqlite3_close_v2(db_);
}

Result<Stmt*> Db::Cached(const char* sql) {
  auto it = cached_.find(sql);
  if (it == cached_.end()) {
    auto st = Prepare(sql);
    if (!st.ok()) return st.status();
    it = cached_.emplace(sql, std::make_unique<Stmt>(std::move(*st))).first;
  } else {
    it->second->Reset().IgnoreError();  // the previous use's error, if any, was reported then
    it->second->ClearBindings();
  }
  return it->second.get();
}

Result<Stmt> Db::Prepare(std::string_view sql) {
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &s, nullptr);
  if (rc != SQLITE_OK) return FromCode(rc, db_, "prepare");
  return Stmt(db_, s);
}

Status Db::Exec(std::string_view sql) {
  std::string s(sql);
  return FromCode(sqlite3_exec(db_, s.c_str(), nullptr, nullptr, nullptr), db_, "exec");
}

Result<int64_t> Db::QueryInt(std::string_view sql) {
  auto st = Prepare(sql);
  if (!st.ok()) return st.status();
  auto row = st->Step();
  if (!row.ok()) return row.status();
  if (!*row) return NotFound("no row for: " + std::string(sql));
  return st->Int(0);
}

}  // namespace lifeline::sql
