#include "tools/site-sim/ledger.h"

namespace sitesim {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS records(
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  idempotency_key TEXT NOT NULL,
  kind TEXT NOT NULL,
  report_id TEXT NOT NULL,
  revision INTEGER NOT NULL,
  request TEXT NOT NULL,
  received_at TEXT NOT NULL,
  slot TEXT NOT NULL DEFAULT 'report');
CREATE INDEX IF NOT EXISTS records_by_slot ON records(report_id, slot, revision);
CREATE TABLE IF NOT EXISTS addenda(
  idempotency_key TEXT PRIMARY KEY,
  record_key TEXT NOT NULL,
  kind TEXT NOT NULL,
  request TEXT NOT NULL,
  received_at TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS idempotency(
  idempotency_key TEXT PRIMARY KEY,
  fingerprint TEXT NOT NULL,
  status INTEGER NOT NULL,
  response TEXT NOT NULL) WITHOUT ROWID;
)sql";
// One record per report revision (and per stage version): a second submission
// of one already on record (a late one after an initial whose answer was lost)
// is kept as an addendum of that record and answered with its receipt. The
// index serves that check; counting by key is rare (tests, people) and scans.
// A ledger made before stages had no slot column: Open adds it.

struct Stmt {
  sqlite3_stmt* s = nullptr;
  ~Stmt() { sqlite3_finalize(s); }
};

// Resets a cached statement when the scope ends, whatever path it takes.
struct Reset {
  sqlite3_stmt* s;
  ~Reset() {
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
  }
};

void BindText(sqlite3_stmt* s, int i, const std::string& v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}

}  // namespace

std::unique_ptr<Ledger> Ledger::Open(const std::string& path, bool read_only, std::string* error) {
  sqlite3* db = nullptr;
  int flags = read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    *error = "cannot open ledger " + path + ": " + (db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    return nullptr;
  }
  std::unique_ptr<Ledger> l(new Ledger(db));
  sqlite3_busy_timeout(db, 5000);
  if (read_only) return l;
  // NORMAL in WAL mode survives a crash of this process, which is what the
  // tests need; the sim is not the system of record, so no fsync per request.
  if (!l->Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", error)) return nullptr;
  std::string ignored;  // "duplicate column" on any ledger that has it
  l->Exec("ALTER TABLE records ADD COLUMN slot TEXT NOT NULL DEFAULT 'report'", &ignored);
  if (!l->Exec(kSchema, error) || !l->Prepare(error)) return nullptr;
  return l;
}

bool Ledger::Prepare(std::string* error) {
  // Prepared once: re-parsing SQL per request was a third of the sim's time.
  const char* sql[] = {
      "SELECT fingerprint, status, response FROM idempotency WHERE idempotency_key=?",
      "INSERT INTO records(idempotency_key, kind, report_id, revision, request, received_at, slot) "
      "VALUES(?,?,?,?,?,?,?)",
      "INSERT INTO idempotency VALUES(?,?,?,?)",
      "SELECT r.idempotency_key, i.response FROM records r JOIN idempotency i"
      " ON i.idempotency_key = r.idempotency_key WHERE r.report_id=? AND r.revision=? AND r.slot=? LIMIT 1",
      "INSERT INTO addenda VALUES(?,?,?,?,?)"};
  sqlite3_stmt** out[] = {&lookup_, &insert_record_, &insert_key_, &find_revision_, &insert_addendum_};
  for (int i = 0; i < 5; ++i) {
    if (sqlite3_prepare_v3(db_, sql[i], -1, SQLITE_PREPARE_PERSISTENT, out[i], nullptr) !=
        SQLITE_OK) {
      *error = std::string("ledger: ") + sqlite3_errmsg(db_);
      return false;
    }
  }
  return true;
}

Ledger::~Ledger() {
  for (sqlite3_stmt* s : {lookup_, insert_record_, insert_key_, find_revision_, insert_addendum_}) {
    sqlite3_finalize(s);
  }
  sqlite3_close(db_);
}

bool Ledger::Exec(const char* sql, std::string* error) {
  char* msg = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &msg) == SQLITE_OK) return true;
  *error = std::string("ledger: ") + (msg ? msg : "error");
  sqlite3_free(msg);
  return false;
}

std::optional<StoredResponse> Ledger::Lookup(const std::string& key, std::string* error) {
  Reset reset{lookup_};
  BindText(lookup_, 1, key);
  int rc = sqlite3_step(lookup_);
  if (rc != SQLITE_ROW) {
    if (rc != SQLITE_DONE) *error = std::string("ledger lookup: ") + sqlite3_errmsg(db_);
    return std::nullopt;
  }
  StoredResponse r;
  r.fingerprint = reinterpret_cast<const char*>(sqlite3_column_text(lookup_, 0));
  r.status = sqlite3_column_int(lookup_, 1);
  r.body = reinterpret_cast<const char*>(sqlite3_column_text(lookup_, 2));
  return r;
}

bool Ledger::Accept(const NewRecord& rec, const std::function<std::string(int64_t)>& respond,
                    std::string* response_body, int* status, std::string* error) {
  if (!Exec("BEGIN IMMEDIATE", error)) return false;
  bool ok;
  std::string record_key;
  {
    Reset reset{find_revision_};
    BindText(find_revision_, 1, rec.report_id);
    sqlite3_bind_int(find_revision_, 2, rec.revision);
    BindText(find_revision_, 3, rec.slot);
    if (sqlite3_step(find_revision_) == SQLITE_ROW) {
      record_key = reinterpret_cast<const char*>(sqlite3_column_text(find_revision_, 0));
      *response_body = reinterpret_cast<const char*>(sqlite3_column_text(find_revision_, 1));
    }
  }
  const char* what;
  if (!record_key.empty()) {
    what = "ledger addendum: ";
    *status = 200;
    Reset reset{insert_addendum_};
    BindText(insert_addendum_, 1, rec.idempotency_key);
    BindText(insert_addendum_, 2, record_key);
    BindText(insert_addendum_, 3, rec.kind);
    BindText(insert_addendum_, 4, rec.request_body);
    BindText(insert_addendum_, 5, rec.received_at);
    ok = sqlite3_step(insert_addendum_) == SQLITE_DONE;
  } else {
    what = "ledger insert: ";
    *status = 201;
    Reset reset{insert_record_};
    BindText(insert_record_, 1, rec.idempotency_key);
    BindText(insert_record_, 2, rec.kind);
    BindText(insert_record_, 3, rec.report_id);
    sqlite3_bind_int(insert_record_, 4, rec.revision);
    BindText(insert_record_, 5, rec.request_body);
    BindText(insert_record_, 6, rec.received_at);
    BindText(insert_record_, 7, rec.slot);
    ok = sqlite3_step(insert_record_) == SQLITE_DONE;
    *response_body = respond(sqlite3_last_insert_rowid(db_));
  }
  if (ok) ok = StoreKey(rec, *status, *response_body);
  if (!ok) {
    *error = what + std::string(sqlite3_errmsg(db_));
    std::string ignored;
    Exec("ROLLBACK", &ignored);
    return false;
  }
  return Exec("COMMIT", error);
}

bool Ledger::StoreKey(const NewRecord& rec, int status, const std::string& response_body) {
  Reset reset{insert_key_};
  BindText(insert_key_, 1, rec.idempotency_key);
  BindText(insert_key_, 2, rec.fingerprint);
  sqlite3_bind_int(insert_key_, 3, status);
  BindText(insert_key_, 4, response_body);
  return sqlite3_step(insert_key_) == SQLITE_DONE;
}

int64_t Ledger::CountWhere(const char* sql, const std::function<void(sqlite3_stmt*)>& bind) {
  Stmt st;
  if (sqlite3_prepare_v2(db_, sql, -1, &st.s, nullptr) != SQLITE_OK) return -1;
  bind(st.s);
  return sqlite3_step(st.s) == SQLITE_ROW ? sqlite3_column_int64(st.s, 0) : -1;
}

int64_t Ledger::CountByKey(const std::string& key) {
  return CountWhere("SELECT count(*) FROM records WHERE idempotency_key=?",
                    [&](sqlite3_stmt* s) { BindText(s, 1, key); });
}

int64_t Ledger::CountByReport(const std::string& report_id, int revision) {
  return CountWhere("SELECT count(*) FROM records WHERE report_id=?1 AND slot='report' AND (?2=0 OR revision=?2)",
                    [&](sqlite3_stmt* s) {
                      BindText(s, 1, report_id);
                      sqlite3_bind_int(s, 2, revision);
                    });
}

int64_t Ledger::CountStage(const std::string& report_id, const std::string& stage) {
  return CountWhere("SELECT count(*) FROM records WHERE report_id=?1 AND slot=?2", [&](sqlite3_stmt* s) {
    BindText(s, 1, report_id);
    BindText(s, 2, stage);
  });
}

int64_t Ledger::Total() {
  return CountWhere("SELECT count(*) FROM records", [](sqlite3_stmt*) {});
}

}  // namespace sitesim
