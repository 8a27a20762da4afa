// Thin RAII over the SQLite C API for lifeline's store and journal: a
// connection, prepared statements with typed binds, and error translation to
// Status (SQLITE_FULL -> kResourceExhausted, SQLITE_CORRUPT -> kCorruption,
// constraint -> kAlreadyExists). Not thread-safe: one thread per connection.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/status.h"

namespace lifeline::sql {

// Maps an SQLite result code to a Status carrying `what` and SQLite's message.
Status FromCode(int rc, sqlite3* db, std::string_view what);

class Stmt {
 public:
  Stmt(sqlite3* db, sqlite3_stmt* s) : db_(db), s_(s) {}
  Stmt(Stmt&& o) noexcept : db_(o.db_), s_(o.s_) { o.s_ = nullptr; }
  Stmt(const Stmt&) = delete;
  ~Stmt() { sqlite3_finalize(s_); }

  Stmt& Bind(int i, int64_t v);
  Stmt& Bind(int i, std::string_view v);
  Stmt& Bind(int i, const std::vector<uint8_t>& v);
  Stmt& BindNull(int i);
  // SQLITE_ROW -> true, SQLITE_DONE -> false, else an error.
  Result<bool> Step();
  // Runs to completion (for writes).
  Status Run();
  Status Reset();
  void ClearBindings() { sqlite3_clear_bindings(s_); }

  int64_t Int(int col) const { return sqlite3_column_int64(s_, col); }
  std::string Text(int col) const;
  std::vector<uint8_t> Blob(int col) const;
  bool IsNull(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }

 private:
  sqlite3* db_;
  sqlite3_stmt* s_;
};

struct OpenOptions {
  bool read_only = false;
  std::string vfs;  // "" = default; tests register fault-injecting shims
};

class Db {
 public:
  static Result<std::unique_ptr<Db>> Open(const std::string& path, const OpenOptions& options);
  ~Db();

  Result<Stmt> Prepare(std::string_view sql);
  // A statement prepared once per connection and reused (reset, bindings
  // cleared) on every call: for the statements of the hot submit path.
  Result<Stmt*> Cached(const char* sql);
  Status Exec(std::string_view sql);  // one or more statements, no results
  // Single integer result of a query ("PRAGMA user_version").
  Result<int64_t> QueryInt(std::string_view sql);
  sqlite3* raw() const { return db_; }
  const std::string& path() const { return path_; }

 private:
  Db(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_;
  std::string path_;
  std::map<const char*, std::unique_ptr<Stmt>> cached_;  // keyed by the literal's address
};

}  // namespace lifeline::sql
