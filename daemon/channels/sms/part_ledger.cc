#include "daemon/channels/sms/part_ledger.h"

#include <sqlite3.h>

#include <functional>

namespace lifeline::sms {
namespace {

// Version 1. Values that reach disk are frozen: state names, column meanings.
constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS sms_meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sms_message(
  id TEXT PRIMARY KEY, recipient TEXT NOT NULL, text TEXT NOT NULL,
  concat_ref INTEGER NOT NULL, part_count INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sms_part(
  message_id TEXT NOT NULL REFERENCES sms_message(id), idx INTEGER NOT NULL,
  pdu TEXT NOT NULL, tpdu_length INTEGER NOT NULL,
  state TEXT NOT NULL CHECK(state IN ('not_sent','sending','sent','failed')),
  attempts INTEGER NOT NULL DEFAULT 0, message_ref INTEGER, sent_at_us INTEGER,
  error_code INTEGER, error_detail TEXT, delivery TEXT, report_status INTEGER,
  discharge_time TEXT, PRIMARY KEY(message_id, idx));
CREATE INDEX IF NOT EXISTS sms_part_by_ref ON sms_part(message_ref, sent_at_us);
PRAGMA user_version = 1;
)sql";

constexpr PartState kStates[] = {PartState::kNotSent, PartState::kSending, PartState::kSent,
                                 PartState::kFailed};

std::optional<PartState> StateFromName(std::string_view n) {
  for (PartState s : kStates) {
    if (PartStateName(s) == n) return s;
  }
  return std::nullopt;
}

// A prepared statement that finalizes itself; binds by position from 1.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) : db_(db) {
    rc_ = sqlite3_prepare_v2(db, sql, -1, &s_, nullptr);
  }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt& Bind(int i, const std::string& v) {
    sqlite3_bind_text(s_, i, v.c_str(), int(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& Bind(int i, int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  // SQLITE_ROW, SQLITE_DONE, or an error turned into a Status by Run().
  int Step() { return rc_ == SQLITE_OK ? sqlite3_step(s_) : rc_; }
  Status Run() {
    const int rc = Step();
    if (rc == SQLITE_DONE || rc == SQLITE_ROW) return Status::Ok();
    return IoError(std::string("sms ledger: ") + sqlite3_errmsg(db_));
  }
  int64_t Int(int col) const { return sqlite3_column_int64(s_, col); }
  bool Null(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
  std::string Text(int col) const {
    const auto* t = sqlite3_column_text(s_, col);
    return t ? reinterpret_cast<const char*>(t) : "";
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* s_ = nullptr;
  int rc_;
};

class SqlitePartLedger final : public SmsPartLedger {
 public:
  explicit SqlitePartLedger(sqlite3* db) : db_(db) {}
  ~SqlitePartLedger() override { sqlite3_close(db_); }

  Status Init();
  Result<uint8_t> AllocateConcatRef() override;
  Status Create(const std::string& id, const std::string& recipient, const std::string& text,
                const EncodedMessage& encoded) override;
  Result<MessageRecord> Load(const std::string& id) override;
  Status MarkSending(const std::string& id, int index) override;
  Status MarkSent(const std::string& id, int index, int message_ref, WallTime at) override;
  Status MarkRetry(const std::string& id, int index, int code, const std::string& detail) override;
  Status MarkFailed(const std::string& id, int index, int code, const std::string& detail) override;
  Result<std::optional<ReportMatch>> RecordReport(const StatusReport& report) override;

 private:
  Status MatchReport(const StatusReport& report, std::optional<ReportMatch>* out);
  Status Exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) == SQLITE_OK) return Status::Ok();
    std::string m = err ? err : "unknown error";
    sqlite3_free(err);
    return IoError("sms ledger: " + m);
  }
  Status Changed(Status s, const std::string& id, int index) {
    if (!s.ok()) return s;
    if (sqlite3_changes(db_) == 0) {
      return NotFound("sms ledger has no part " + std::to_string(index) + " of " + id);
    }
    return s;
  }
  Status InTransaction(const std::function<Status()>& body) {
    LIFELINE_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
    Status s = body();
    if (!s.ok()) {
      Exec("ROLLBACK").IgnoreError();  // the failure being returned is the one that matters
      return s;
    }
    return Exec("COMMIT");
  }

  sqlite3* db_;
};

Status SqlitePartLedger::Init() {
  sqlite3_busy_timeout(db_, 5000);
  LIFELINE_RETURN_IF_ERROR(Exec("PRAGMA journal_mode=WAL"));
  LIFELINE_RETURN_IF_ERROR(Exec("PRAGMA synchronous=FULL"));
  LIFELINE_RETURN_IF_ERROR(Exec("PRAGMA foreign_keys=ON"));
  int64_t version = 0;
  {
    Stmt v(db_, "PRAGMA user_version");
    if (v.Step() != SQLITE_ROW) return IoError(std::string("sms ledger: ") + sqlite3_errmsg(db_));
    version = v.Int(0);
  }
  if (version > 1) {
    return FailedPrecondition("sms ledger schema is newer (version " + std::to_string(version) +
                              ") than this program understands");
  }
  // Only a new file is written to here, so a reader opening a live ledger takes no write lock.
  return version == 1 ? Status::Ok() : InTransaction([this] { return Exec(kSchema); });
}

Result<uint8_t> SqlitePartLedger::AllocateConcatRef() {
  int64_t ref = 0;
  Status s = InTransaction([&] {
    Stmt get(db_, "SELECT value FROM sms_meta WHERE key='next_concat_ref'");
    ref = get.Step() == SQLITE_ROW ? get.Int(0) : 1;
    return Stmt(db_, "INSERT OR REPLACE INTO sms_meta(key, value) VALUES('next_concat_ref', ?)")
        .Bind(1, (ref + 1) % 256)
        .Run();
  });
  if (!s.ok()) return s;
  return static_cast<uint8_t>(ref % 256);
}

Status SqlitePartLedger::Create(const std::string& id, const std::string& recipient,
                                const std::string& text, const EncodedMessage& encoded) {
  return InTransaction([&]() -> Status {
    Stmt exists(db_, "SELECT 1 FROM sms_message WHERE id=?");
    if (exists.Bind(1, id).Step() == SQLITE_ROW)
      return AlreadyExists("sms message " + id + " exists");
    LIFELINE_RETURN_IF_ERROR(
        Stmt(db_,
             "INSERT INTO sms_message(id, recipient, text, concat_ref, part_count) "
             "VALUES(?,?,?,?,?)")
            .Bind(1, id)
            .Bind(2, recipient)
            .Bind(3, text)
            .Bind(4, int64_t(encoded.concat_ref))
            .Bind(5, int64_t(encoded.parts.size()))
            .Run());
    for (const SubmitPart& p : encoded.parts) {
      LIFELINE_RETURN_IF_ERROR(
          Stmt(db_,
               "INSERT INTO sms_part(message_id, idx, pdu, tpdu_length, state) "
               "VALUES(?,?,?,?,'not_sent')")
              .Bind(1, id)
              .Bind(2, int64_t(p.index))
              .Bind(3, p.pdu_hex)
              .Bind(4, int64_t(p.tpdu_length))
              .Run());
    }
    return Status::Ok();
  });
}

Result<MessageRecord> SqlitePartLedger::Load(const std::string& id) {
  MessageRecord m;
  Stmt msg(db_, "SELECT recipient, text, concat_ref FROM sms_message WHERE id=?");
  if (msg.Bind(1, id).Step() != SQLITE_ROW) return NotFound("no sms message " + id);
  m.id = id;
  m.recipient = msg.Text(0);
  m.text = msg.Text(1);
  m.concat_ref = int(msg.Int(2));
  Stmt parts(db_,
             "SELECT idx, state, pdu, tpdu_length, attempts, message_ref, sent_at_us, "
             "error_code, error_detail, delivery, report_status, discharge_time "
             "FROM sms_part WHERE message_id=? ORDER BY idx");
  parts.Bind(1, id);
  int rc;
  while ((rc = parts.Step()) == SQLITE_ROW) {
    PartRecord p;
    p.index = int(parts.Int(0));
    auto state = StateFromName(parts.Text(1));
    if (!state) return Corruption("sms ledger: unknown part state " + parts.Text(1));
    p.state = *state;
    p.pdu_hex = parts.Text(2);
    p.tpdu_length = int(parts.Int(3));
    p.attempts = int(parts.Int(4));
    if (!parts.Null(5)) p.message_ref = int(parts.Int(5));
    if (!parts.Null(6)) p.sent_at = WallTime(std::chrono::microseconds(parts.Int(6)));
    if (!parts.Null(7)) p.error_code = int(parts.Int(7));
    p.error_detail = parts.Text(8);
    for (auto o :
         {DeliveryOutcome::kDelivered, DeliveryOutcome::kPending, DeliveryOutcome::kFailed}) {
      if (parts.Text(9) == DeliveryOutcomeName(o)) p.delivery = o;
    }
    if (!parts.Null(10)) p.report_status = int(parts.Int(10));
    if (auto t = ParseRfc3339(parts.Text(11)); t.ok()) p.discharge_time = *t;
    m.parts.push_back(std::move(p));
  }
  if (rc != SQLITE_DONE) return IoError(std::string("sms ledger: ") + sqlite3_errmsg(db_));
  if (m.parts.empty()) return Corruption("sms ledger: message " + id + " has no parts");
  return m;
}

Status SqlitePartLedger::MarkSending(const std::string& id, int index) {
  Stmt s(db_,
         "UPDATE sms_part SET state='sending', attempts=attempts+1 "
         "WHERE message_id=? AND idx=? AND state IN ('not_sent','sending')");
  return Changed(s.Bind(1, id).Bind(2, int64_t(index)).Run(), id, index);
}

Status SqlitePartLedger::MarkSent(const std::string& id, int index, int message_ref, WallTime at) {
  Stmt s(db_,
         "UPDATE sms_part SET state='sent', message_ref=?, sent_at_us=? "
         "WHERE message_id=? AND idx=?");
  s.Bind(1, int64_t(message_ref)).Bind(2, int64_t(at.time_since_epoch().count()));
  return Changed(s.Bind(3, id).Bind(4, int64_t(index)).Run(), id, index);
}

Status SqlitePartLedger::MarkRetry(const std::string& id, int index, int code,
                                   const std::string& detail) {
  Stmt s(db_,
         "UPDATE sms_part SET state='not_sent', error_code=?, error_detail=? "
         "WHERE message_id=? AND idx=?");
  s.Bind(1, int64_t(code)).Bind(2, detail);
  return Changed(s.Bind(3, id).Bind(4, int64_t(index)).Run(), id, index);
}

Status SqlitePartLedger::MarkFailed(const std::string& id, int index, int code,
                                    const std::string& detail) {
  Stmt s(db_,
         "UPDATE sms_part SET state='failed', error_code=?, error_detail=? "
         "WHERE message_id=? AND idx=?");
  s.Bind(1, int64_t(code)).Bind(2, detail);
  return Changed(s.Bind(3, id).Bind(4, int64_t(index)).Run(), id, index);
}

Result<std::optional<ReportMatch>> SqlitePartLedger::RecordReport(const StatusReport& report) {
  std::optional<ReportMatch> match;
  // One write transaction from the start: a read that later upgrades to a write
  // fails with SQLITE_BUSY, without waiting, if another connection wrote meanwhile.
  Status s = InTransaction([&] { return MatchReport(report, &match); });
  if (!s.ok()) return s;
  return match;
}

Status SqlitePartLedger::MatchReport(const StatusReport& report, std::optional<ReportMatch>* out) {
  Stmt find(db_,
            "SELECT p.message_id, p.idx FROM sms_part p JOIN sms_message m "
            "ON m.id = p.message_id WHERE p.message_ref=? AND p.state='sent' "
            "AND m.recipient=? ORDER BY p.sent_at_us DESC LIMIT 1");
  find.Bind(1, int64_t(report.message_ref)).Bind(2, report.recipient.ToString());
  if (find.Step() != SQLITE_ROW) return Status::Ok();
  ReportMatch match{find.Text(0), int(find.Int(1))};
  Stmt s(db_,
         "UPDATE sms_part SET delivery=?, report_status=?, discharge_time=? "
         "WHERE message_id=? AND idx=?");
  s.Bind(1, std::string(DeliveryOutcomeName(report.outcome))).Bind(2, int64_t(report.status));
  s.Bind(3, FormatRfc3339(report.discharge_time)).Bind(4, match.message_id);
  LIFELINE_RETURN_IF_ERROR(s.Bind(5, int64_t(match.part_index)).Run());
  *out = match;
  return Status::Ok();
}

}  // namespace

std::string_view PartStateName(PartState s) {
  switch (s) {
    case PartState::kNotSent:
      return "not_sent";
    case PartState::kSending:
      return "sending";
    case PartState::kSent:
      return "sent";
    case PartState::kFailed:
      return "failed";
  }
  return "unknown";
}

bool MessageRecord::AllSent() const {
  for (const PartRecord& p : parts) {
    if (p.state != PartState::kSent) return false;
  }
  return true;
}

bool MessageRecord::AnyFailed() const {
  for (const PartRecord& p : parts) {
    if (p.state == PartState::kFailed || p.delivery == DeliveryOutcome::kFailed) return true;
  }
  return false;
}

bool MessageRecord::Confirmed() const {
  for (const PartRecord& p : parts) {
    if (p.delivery != DeliveryOutcome::kDelivered) return false;
  }
  return !parts.empty();
}

std::optional<size_t> MessageRecord::FirstUnsent() const {
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].state == PartState::kNotSent || parts[i].state == PartState::kSending) return i;
  }
  return std::nullopt;
}

Result<std::unique_ptr<SmsPartLedger>> OpenSqlitePartLedger(const std::string& path) {
  sqlite3* db = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  auto ledger = std::make_unique<SqlitePartLedger>(db);  // owns db even when open failed
  if (rc != SQLITE_OK) return IoError("cannot open sms ledger " + path + ": " + sqlite3_errstr(rc));
  LIFELINE_RETURN_IF_ERROR(ledger->Init());
  return std::unique_ptr<SmsPartLedger>(std::move(ledger));
}

}  // namespace lifeline::sms
