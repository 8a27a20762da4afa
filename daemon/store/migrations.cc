// Versioned schema migrations. PRAGMA user_version holds the version; each
// step runs in the transaction that also sets the new version, so a crash
// mid-migration leaves the previous version intact. Values that reach disk are
// frozen: add a migration, never edit one that has shipped.
#include "daemon/store/migrations.h"

#include "daemon/journal/journal.h"

namespace lifeline {
namespace {

Status MigrateTo1(sql::Db& db) {
  LIFELINE_RETURN_IF_ERROR(db.Exec(
      "CREATE TABLE reports ("
      "  report_id TEXT NOT NULL, revision INTEGER NOT NULL CHECK (revision >= 1),"
      "  idempotency_key TEXT NOT NULL UNIQUE, level INTEGER NOT NULL CHECK (level BETWEEN 1 AND 4),"
      "  drill INTEGER NOT NULL, aware_at TEXT NOT NULL, aware_at_us INTEGER NOT NULL,"
      "  received_at TEXT NOT NULL, document TEXT NOT NULL, document_sha256 TEXT NOT NULL,"
      "  rules_id TEXT NOT NULL, schedule TEXT NOT NULL,"
      "  state TEXT NOT NULL CHECK (state IN ('queued','accepted','fallback','accepted_late')),"
      "  site_receipt TEXT,"
      "  PRIMARY KEY (report_id, revision));"
      "CREATE INDEX reports_by_awareness ON reports(aware_at_us);"));
  return CreateJournalTables(db);
}

Status MigrateTo2(sql::Db& db) {
  return db.Exec(
      "CREATE TABLE notifications ("
      "  id INTEGER PRIMARY KEY, report_id TEXT NOT NULL, revision INTEGER NOT NULL,"
      "  recipient TEXT NOT NULL, due_at TEXT NOT NULL,"
      "  state TEXT NOT NULL CHECK (state IN ('pending','in_progress','confirmed','failed','cancelled')),"
      "  UNIQUE (report_id, revision, recipient),"
      "  FOREIGN KEY (report_id, revision) REFERENCES reports(report_id, revision));"
      "CREATE TABLE attempts ("
      "  id INTEGER PRIMARY KEY, notification_id INTEGER NOT NULL REFERENCES notifications(id),"
      "  channel TEXT NOT NULL, started_at TEXT NOT NULL, ended_at TEXT,"
      "  outcome TEXT, evidence TEXT);"
      "CREATE TABLE replay ("
      "  report_id TEXT NOT NULL, revision INTEGER NOT NULL,"
      "  state TEXT NOT NULL CHECK (state IN ('waiting','submitting','done')),"
      "  attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT, updated_at TEXT NOT NULL,"
      "  PRIMARY KEY (report_id, revision),"
      "  FOREIGN KEY (report_id, revision) REFERENCES reports(report_id, revision));");
}

// Escalation state: which channel and address each attempt used, a recipient
// gone loud, why a report fell back, phone tasks for operators, reminders of
// later deadlines already given, and drills.
Status MigrateTo3(sql::Db& db) {
  return db.Exec(
      "ALTER TABLE notifications ADD COLUMN loud INTEGER NOT NULL DEFAULT 0;"
      "ALTER TABLE attempts ADD COLUMN address TEXT NOT NULL DEFAULT '';"
      "ALTER TABLE reports ADD COLUMN fallback TEXT;"
      "CREATE INDEX attempts_by_notification ON attempts(notification_id);"
      "CREATE TABLE phone_tasks ("
      "  id INTEGER PRIMARY KEY, attempt_id INTEGER NOT NULL UNIQUE REFERENCES attempts(id),"
      "  report_id TEXT NOT NULL, revision INTEGER NOT NULL, drill INTEGER NOT NULL,"
      "  recipient TEXT NOT NULL, recipient_name TEXT NOT NULL, number TEXT NOT NULL, hours TEXT NOT NULL,"
      "  script TEXT NOT NULL, reason TEXT NOT NULL, due_at TEXT NOT NULL, created_at TEXT NOT NULL,"
      "  state TEXT NOT NULL CHECK (state IN ('open','confirmed','cancelled')),"
      "  answered_by TEXT, answered_at TEXT, note TEXT, confirmed_at TEXT,"
      "  reminders INTEGER NOT NULL DEFAULT 0);"
      "CREATE TABLE reminders ("
      "  report_id TEXT NOT NULL, revision INTEGER NOT NULL, deadline TEXT NOT NULL,"
      "  kind TEXT NOT NULL CHECK (kind IN ('ahead','due')), fired_at TEXT NOT NULL,"
      "  PRIMARY KEY (report_id, revision, deadline, kind));"
      "CREATE TABLE drills ("
      "  id TEXT PRIMARY KEY, report_id TEXT NOT NULL, name TEXT NOT NULL, scenario TEXT NOT NULL,"
      "  started_at TEXT NOT NULL, outage_until TEXT NOT NULL, ended_at TEXT);");
}

// Fewer pages per submission: a report's schedule is stored as its instants
// and a shared shape (compact_schedule.h) instead of ~4 KB of repeated rule
// text that overflowed the row's page; and reports_by_awareness goes, as the
// listings that sort by awareness read the whole table anyway and each
// submission paid a page of the index for it.
Status MigrateTo4(sql::Db& db) {
  return db.Exec(
      "CREATE TABLE schedule_shapes (sha256 TEXT PRIMARY KEY, shape TEXT NOT NULL);"
      "ALTER TABLE reports ADD COLUMN schedule_shape TEXT REFERENCES schedule_shapes(sha256);"
      "ALTER TABLE reports ADD COLUMN schedule_times TEXT;"
      "DROP INDEX reports_by_awareness;");
}

// One store: the SMS part ledger, which had its own file, moves in (its
// version-1 tables unchanged, so an existing ledger is copied row by row; see
// Store::ImportSmsLedger). Each part's state, the reference the network gave
// it and its status report are the SMS channel's evidence.
Status MigrateTo5(sql::Db& db) {
  return db.Exec(
      "CREATE TABLE sms_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
      "CREATE TABLE sms_message ("
      "  id TEXT PRIMARY KEY, recipient TEXT NOT NULL, text TEXT NOT NULL,"
      "  concat_ref INTEGER NOT NULL, part_count INTEGER NOT NULL);"
      "CREATE TABLE sms_part ("
      "  message_id TEXT NOT NULL REFERENCES sms_message(id), idx INTEGER NOT NULL,"
      "  pdu TEXT NOT NULL, tpdu_length INTEGER NOT NULL,"
      "  state TEXT NOT NULL CHECK (state IN ('not_sent','sending','sent','failed')),"
      "  attempts INTEGER NOT NULL DEFAULT 0, message_ref INTEGER, sent_at_us INTEGER,"
      "  error_code INTEGER, error_detail TEXT, delivery TEXT, report_status INTEGER,"
      "  discharge_time TEXT, PRIMARY KEY (message_id, idx));"
      "CREATE INDEX sms_part_by_ref ON sms_part(message_ref, sent_at_us);");
}

// The console's people and clients: accounts with a role and an argon2id
// password hash (PHC string), and API tokens, kept only as their SHA-256.
Status MigrateTo6(sql::Db& db) {
  return db.Exec(
      "CREATE TABLE users ("
      "  name TEXT PRIMARY KEY,"
      "  role TEXT NOT NULL CHECK (role IN ('operator','supervisor','ciso','auditor')),"
      "  password_hash TEXT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0,"
      "  created_at TEXT NOT NULL, changed_at TEXT NOT NULL);"
      "CREATE TABLE api_tokens ("
      "  name TEXT PRIMARY KEY,"
      "  role TEXT NOT NULL CHECK (role IN ('operator','supervisor','ciso','auditor')),"
      "  token_sha256 TEXT NOT NULL UNIQUE, disabled INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL);");
}

// The report's record (issue 17): stages 2 and 3 as versions of their own,
// each with its document, the report's deadlines recomputed from it and the
// site's receipt; the CISO's approval of the level and the three signatures;
// and a report that is closed. SQLite cannot change a CHECK constraint, so
// reports is rebuilt with 'closed' allowed (Migrate runs every step with
// foreign keys off and checks them before the commit, SQLite's own procedure).
Status MigrateTo7(sql::Db& db) {
  static constexpr const char* kColumns =
      "report_id, revision, idempotency_key, level, drill, aware_at, aware_at_us, received_at, document,"
      " document_sha256, rules_id, schedule, state, site_receipt, fallback, schedule_shape, schedule_times";
  LIFELINE_RETURN_IF_ERROR(db.Exec(
      "CREATE TABLE reports_v7 ("
      "  report_id TEXT NOT NULL, revision INTEGER NOT NULL CHECK (revision >= 1),"
      "  idempotency_key TEXT NOT NULL UNIQUE, level INTEGER NOT NULL CHECK (level BETWEEN 1 AND 4),"
      "  drill INTEGER NOT NULL, aware_at TEXT NOT NULL, aware_at_us INTEGER NOT NULL,"
      "  received_at TEXT NOT NULL, document TEXT NOT NULL, document_sha256 TEXT NOT NULL,"
      "  rules_id TEXT NOT NULL, schedule TEXT NOT NULL,"
      "  state TEXT NOT NULL CHECK (state IN ('queued','accepted','fallback','accepted_late','closed')),"
      "  site_receipt TEXT, fallback TEXT,"
      "  schedule_shape TEXT REFERENCES schedule_shapes(sha256), schedule_times TEXT,"
      "  PRIMARY KEY (report_id, revision));"));
  LIFELINE_RETURN_IF_ERROR(db.Exec(std::string("INSERT INTO reports_v7 (") + kColumns + ") SELECT " + kColumns +
                                   " FROM reports;"));
  return db.Exec(
      "DROP TABLE reports;"
      "ALTER TABLE reports_v7 RENAME TO reports;"
      "CREATE TABLE report_stages ("
      "  report_id TEXT NOT NULL, stage TEXT NOT NULL CHECK (stage IN ('damage-control','closing')),"
      "  version INTEGER NOT NULL CHECK (version >= 1), report_revision INTEGER NOT NULL,"
      "  document TEXT NOT NULL, document_sha256 TEXT NOT NULL, at TEXT NOT NULL, received_at TEXT NOT NULL,"
      "  idempotency_key TEXT NOT NULL UNIQUE, schedule TEXT NOT NULL, site_receipt TEXT,"
      "  PRIMARY KEY (report_id, stage, version),"
      "  FOREIGN KEY (report_id, report_revision) REFERENCES reports(report_id, revision));"
      "CREATE TABLE record_signoffs ("
      "  id INTEGER PRIMARY KEY, report_id TEXT NOT NULL,"
      "  kind TEXT NOT NULL CHECK (kind IN ('approval','reporter','supervisor','ciso')),"
      "  revision INTEGER NOT NULL, level INTEGER NOT NULL CHECK (level BETWEEN 1 AND 4),"
      "  user TEXT NOT NULL, role TEXT NOT NULL, via TEXT NOT NULL, at TEXT NOT NULL,"
      "  record_sha256 TEXT NOT NULL, note TEXT NOT NULL DEFAULT '',"
      "  FOREIGN KEY (report_id, revision) REFERENCES reports(report_id, revision));"
      "CREATE INDEX record_signoffs_by_report ON record_signoffs(report_id);");
}

// The supervising agency's copy (issue 19): how far the journal has been
// published to its broker and acknowledged there. One row, written only after
// a PUBACK, so a restart publishes again what the broker may not have, and
// nothing before it.
Status MigrateTo8(sql::Db& db) {
  return db.Exec(
      "CREATE TABLE fleet_cursor ("
      "  id INTEGER PRIMARY KEY CHECK (id = 1), acked_seq INTEGER NOT NULL CHECK (acked_seq >= 0),"
      "  updated_at TEXT NOT NULL);");
}

using Step = Status (*)(sql::Db&);
constexpr Step kSteps[] = {MigrateTo1, MigrateTo2, MigrateTo3, MigrateTo4,
                           MigrateTo5, MigrateTo6, MigrateTo7, MigrateTo8};

// A step that rebuilds a table (7) must not trip the foreign keys of the rows
// that point at it while it is away; they are checked before each commit.
Status CheckForeignKeys(sql::Db& db) {
  auto st = db.Prepare("PRAGMA foreign_key_check");
  if (!st.ok()) return st.status();
  auto row = st->Step();
  if (!row.ok()) return row.status();
  if (*row) return Corruption("foreign key check failed in table " + st->Text(0));
  return Status::Ok();
}

}  // namespace

Status Migrate(sql::Db& db, int target) {
  auto current = db.QueryInt("PRAGMA user_version");
  if (!current.ok()) return current.status();
  int known = static_cast<int>(std::size(kSteps));
  if (*current > known) {
    return FailedPrecondition("database " + db.path() + " has schema version " +
                              std::to_string(*current) + ", newer than this lifelined knows (" +
                              std::to_string(known) + "); refusing to open it. Use a newer lifelined.");
  }
  if (*current >= target) return Status::Ok();
  LIFELINE_RETURN_IF_ERROR(db.Exec("PRAGMA foreign_keys=OFF"));  // no-op inside a transaction: set before
  Status s = Status::Ok();
  for (int v = static_cast<int>(*current); s.ok() && v < target && v < known; ++v) {
    s = db.Exec("BEGIN IMMEDIATE");
    if (!s.ok()) break;
    s = kSteps[v](db);
    if (s.ok()) s = CheckForeignKeys(db);
    if (s.ok()) s = db.Exec("PRAGMA user_version = " + std::to_string(v + 1));
    if (s.ok()) s = db.Exec("COMMIT");
    if (!s.ok()) {
      db.Exec("ROLLBACK").IgnoreError();
      s = Status(s.code(), "migration to schema version " + std::to_string(v + 1) + " failed: " + s.message());
    }
  }
  Status on = db.Exec("PRAGMA foreign_keys=ON");
  return s.ok() ? on : s;
}

}  // namespace lifeline
