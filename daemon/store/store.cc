#include "daemon/store/store.h"
#include "daemon/core/text.h"

#include <mbedtls/md.h>

#include <algorithm>
#include <cstdlib>

#include "daemon/store/compact_schedule.h"
#include "daemon/store/migrations.h"

namespace lifeline {
namespace {

std::string Sha256Hex(const std::string& data) {
  Mac digest{};
  mbedtls_md(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256),
             reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data());
  return HexMac(digest);
}

StoredRevision ReadRevision(const sql::Stmt& st) {
  StoredRevision r;
  r.id = st.Text(0);
  r.revision = static_cast<int>(st.Int(1));
  r.level = static_cast<int>(st.Int(2));
  r.drill = st.Int(3) != 0;
  r.state = st.Text(4);
  r.aware_at = st.Text(5);
  r.received_at = st.Text(6);
  r.idempotency_key = st.Text(7);
  r.document_sha256 = st.Text(8);
  r.site_receipt = st.Text(9);
  r.rules_id = st.Text(10);
  std::string shape = st.Text(13);
  r.schedule = shape.empty() ? nlohmann::json::parse(st.Text(11), nullptr, false) : JoinSchedule(shape, st.Text(14));
  r.document = nlohmann::json::parse(st.Text(12), nullptr, false);
  return r;
}

// What a listing reads in the document's place (RevisionContent): the
// document, nothing, or the few facts the escalation plan needs, picked out
// by SQLite so no whole document is parsed for them.
const char* DocumentColumn(RevisionContent content) {
  switch (content) {
    case RevisionContent::kNoDocument:
      return "'null'";
    case RevisionContent::kPlanFacts:
      return "json_object('agency', json_object('name', json_extract(document, '$.agency.name')),"
             " 'category', json_extract(document, '$.category'),"
             " 'reporter', json_object('phone', json_extract(document, '$.reporter.phone')),"
             " 'aware_at', json_extract(document, '$.aware_at'),"
             " 'affects_others', json_object('affected', CASE WHEN json_extract(document,"
             " '$.affects_others.affected') = 1 THEN json('true') ELSE json('false') END))";
    case RevisionContent::kWhole:
      break;
  }
  return "document";
}

// Columns 13 and 14 are empty for a schedule stored whole (before schema version 4).
std::string RevisionColumns(bool compact_schedules, RevisionContent content = RevisionContent::kWhole) {
  return std::string(
             "report_id, revision, level, drill, state, aware_at, received_at, idempotency_key,"
             " document_sha256, COALESCE(site_receipt, ''), rules_id, schedule, ") +
         DocumentColumn(content) + ", " +
         (compact_schedules ? "COALESCE((SELECT s.shape FROM schedule_shapes s WHERE s.sha256 = schedule_shape), ''),"
                              " COALESCE(schedule_times, '')"
                            : "'', ''");
}

}  // namespace

Result<std::unique_ptr<Store>> Store::Open(const StoreOptions& options, const Clock& clock) {
  auto key = JournalKey::LoadOrCreate(options.key_path);
  if (!key.ok()) return key.status();
  std::unique_ptr<Store> s(new Store(options, clock, *key));
  LIFELINE_RETURN_IF_ERROR(s->OpenDb());
  LIFELINE_RETURN_IF_ERROR(Migrate(*s->db_, options.migrate_to));
  auto version = s->SchemaVersion();
  if (!version.ok()) return version.status();
  s->compact_schedules_ = *version >= 4;
  if (*version >= 5) LIFELINE_RETURN_IF_ERROR(s->ImportSmsLedger(options.legacy_sms_ledger));
  return s;
}

// Opens a new connection and only then replaces the old one, so a failed
// reopen leaves the store usable (the next commit may succeed).
Status Store::OpenDb() {
  auto opened = sql::Db::Open(options_.db_path, {false, options_.vfs});
  if (!opened.ok()) return opened.status();
  sql::Db& db = **opened;
  // FULL: the WAL is fsynced at every commit, so an acknowledged report
  // survives power loss, not only a process crash.
  LIFELINE_RETURN_IF_ERROR(db.Exec("PRAGMA journal_mode=WAL"));
  LIFELINE_RETURN_IF_ERROR(db.Exec("PRAGMA synchronous=FULL"));
  LIFELINE_RETURN_IF_ERROR(db.Exec("PRAGMA foreign_keys=ON"));
  auto mode = db.Prepare("PRAGMA journal_mode");
  if (!mode.ok()) return mode.status();
  auto row = mode->Step();
  if (!row.ok()) return row.status();
  if (mode->Text(0) != "wal") return IoError("cannot enable WAL on " + options_.db_path);
  db_ = std::move(*opened);
  return Status::Ok();
}

Status Store::Begin() {
  // A transaction left open by an I/O error is rolled back before a new one.
  if (!sqlite3_get_autocommit(db_->raw())) db_->Exec("ROLLBACK").IgnoreError();
  LIFELINE_RETURN_IF_ERROR(Run("BEGIN IMMEDIATE"));
  in_batch_ = true;
  return Status::Ok();
}

Status Store::Commit() {
  in_batch_ = false;
  Status s = Run("COMMIT");
  if (s.ok()) return s;
  // The commit record may or may not have reached the disk. Start over on a
  // fresh connection; the caller retries with the same idempotency key.
  db_->Exec("ROLLBACK").IgnoreError();
  Status reopened = OpenDb();
  std::string why = s.message() + (reopened.ok() ? "" : "; reopening failed: " + reopened.message());
  if (s.code() == StatusCode::kResourceExhausted) return ResourceExhausted(why);
  return Status(StatusCode::kUnknownOutcome, "commit failed, outcome unknown: " + why);
}

void Store::Rollback() {
  in_batch_ = false;
  db_->Exec("ROLLBACK").IgnoreError();
}

// The statements every submission runs, prepared once per connection.
Status Store::Run(const char* statement) {
  auto st = db_->Cached(statement);
  if (!st.ok()) return st.status();
  return (*st)->Run();
}

Status Store::Savepoint() { return Run("SAVEPOINT job"); }
void Store::RollbackSavepoint() {
  db_->Exec("ROLLBACK TO job").IgnoreError();
  db_->Exec("RELEASE job").IgnoreError();
}
Status Store::ReleaseSavepoint() { return Run("RELEASE job"); }

Status Store::InTransaction(const std::function<Status()>& body) {
  if (in_batch_) return body();
  LIFELINE_RETURN_IF_ERROR(Begin());
  Status s = body();
  if (!s.ok()) {
    Rollback();
    return s;
  }
  return Commit();
}

Result<int64_t> Store::Journal(std::string_view type, std::string_view report_id,
                               const nlohmann::json& p) {
  if (actor_.empty() || !p.is_object() || p.contains("by")) return AppendJournal(*db_, key_, clock_, type, report_id, p);
  nlohmann::json with = p;
  with["by"] = actor_;
  return AppendJournal(*db_, key_, clock_, type, report_id, with);
}

namespace {

// What Submit needs to know of a report's stored revisions, without parsing documents.
struct RevisionDigest {
  int revision, level;
  bool drill;
  std::string sha256, state;
};

Result<std::vector<RevisionDigest>> Digests(sql::Db& db, const std::string& id) {
  auto st = db.Cached(
      "SELECT revision, level, drill, document_sha256, state FROM reports WHERE report_id = ? ORDER BY revision");
  if (!st.ok()) return st.status();
  (*st)->Bind(1, id);
  std::vector<RevisionDigest> out;
  for (;;) {
    auto row = (*st)->Step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    out.push_back({static_cast<int>((*st)->Int(0)), static_cast<int>((*st)->Int(1)), (*st)->Int(2) != 0, (*st)->Text(3),
                   (*st)->Text(4)});
  }
}

Status CheckNextRevision(const Report& report, const std::vector<RevisionDigest>& existing) {
  int latest = existing.empty() ? 0 : existing.back().revision;
  if (report.revision != latest + 1) {
    return FailedPrecondition(
        latest == 0 ? "report " + report.id + " is not stored yet: its first revision must be 1"
                    : "report " + report.id + " is at revision " + std::to_string(latest) +
                          ": the next revision must be " + std::to_string(latest + 1));
  }
  if (latest > 0 && existing.back().state == "closed") {
    return FailedPrecondition("report " + report.id + " is closed (結案): its record takes no new revision");
  }
  if (latest > 0 && existing.back().drill != report.drill) {
    return FailedPrecondition("report " + report.id + " cannot change between drill and real");
  }
  return Status::Ok();
}

}  // namespace

// The shape's text and name, computed once per distinct shape; nullptr when
// the schedule is not in computed form (it is then stored whole).
const Store::KnownShape* Store::ShapeOf(const std::string& shape_key, const nlohmann::json& schedule) {
  auto known = shapes_.find(shape_key);
  if (known != shapes_.end()) return &known->second;
  std::optional<CompactSchedule> split = SplitSchedule(schedule);
  if (!split) return nullptr;
  if (shapes_.size() >= 64) shapes_.clear();
  std::string sha256 = Sha256Hex(split->shape);
  return &shapes_.emplace(shape_key, KnownShape{std::move(sha256), std::move(split->shape)}).first->second;
}

// The schedule goes in compact form when the schema has it (compact_schedule.h):
// its shape once per distinct shape, the report row with only its instants.
Status Store::InsertRevision(const StoredRevision& row, const Report& report, const std::string& document,
                             const nlohmann::json& schedule) {
  std::optional<ScheduleParts> parts;
  if (compact_schedules_) parts = DescribeSchedule(schedule);
  const KnownShape* shape = parts ? ShapeOf(parts->shape_key, schedule) : nullptr;
  if (shape) {
    auto ins_shape = db_->Cached("INSERT OR IGNORE INTO schedule_shapes (sha256, shape) VALUES (?,?)");
    if (!ins_shape.ok()) return ins_shape.status();
    (*ins_shape)->Bind(1, shape->sha256).Bind(2, shape->text);
    LIFELINE_RETURN_IF_ERROR((*ins_shape)->Run());
  }
  bool compact = shape != nullptr;
  auto ins = db_->Cached(
      compact ? "INSERT INTO reports (report_id, revision, idempotency_key, level, drill, aware_at,"
                " aware_at_us, received_at, document, document_sha256, rules_id, schedule, state,"
                " schedule_shape, schedule_times) VALUES (?,?,?,?,?,?,?,?,?,?,?,'','queued',?,?)"
              : "INSERT INTO reports (report_id, revision, idempotency_key, level, drill, aware_at,"
                " aware_at_us, received_at, document, document_sha256, rules_id, schedule, state)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,'queued')");
  if (!ins.ok()) return ins.status();
  (*ins)->Bind(1, row.id).Bind(2, row.revision).Bind(3, row.idempotency_key).Bind(4, row.level);
  (*ins)->Bind(5, row.drill ? 1 : 0).Bind(6, row.aware_at).Bind(7, report.aware_at.instant.time_since_epoch().count());
  (*ins)->Bind(8, row.received_at).Bind(9, document).Bind(10, row.document_sha256).Bind(11, row.rules_id);
  if (compact) (*ins)->Bind(12, shape->sha256).Bind(13, parts->times);
  else (*ins)->Bind(12, DumpJson(schedule));
  return (*ins)->Run();
}

Result<SubmitResult> Store::Submit(const Report& report, const std::string& rules_id, nlohmann::json schedule) {
  SubmitResult result;
  std::string document = DumpJson(report.document);
  std::string digest = Sha256Hex(document);
  Status s = InTransaction([&]() -> Status {
    auto existing = Digests(*db_, report.id);
    if (!existing.ok()) return existing.status();
    for (const auto& r : *existing) {
      if (r.revision != report.revision) continue;
      if (r.sha256 != digest) {
        return AlreadyExists("report " + report.id + " revision " + std::to_string(report.revision) +
                             " is already stored with different content; a change needs revision " +
                             std::to_string(existing->back().revision + 1));
      }
      auto stored = GetReport(report.id);  // the rare resubmission: return it as stored
      if (!stored.ok()) return stored.status();
      result = {(*stored)[report.revision - 1], true};
      return Status::Ok();
    }
    LIFELINE_RETURN_IF_ERROR(CheckNextRevision(report, *existing));
    StoredRevision row{report.id, report.revision, report.Level(), report.drill, "queued",
                       FormatRfc3339(report.aware_at), FormatUtcMicros(clock_.Now()), report.IdempotencyKey(),
                       digest, "", rules_id, std::move(schedule), report.document};
    LIFELINE_RETURN_IF_ERROR(InsertRevision(row, report, document, row.schedule));
    nlohmann::json entry = {{"revision", row.revision}, {"level", row.level}, {"idempotency_key", row.idempotency_key},
                            {"document_sha256", digest}, {"aware_at", row.aware_at}, {"drill", row.drill},
                            {"rules_id", rules_id}};
    if (!existing->empty()) entry["previous_level"] = existing->back().level;
    auto seq = Journal(existing->empty() ? "report.received" : "report.revision_added", report.id, entry);
    if (!seq.ok()) return seq.status();
    result = {std::move(row), false};
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return result;
}

namespace {

// Runs `where` (the query after the column list, with `id` bound to ?1 when
// given) and reads every row as a stored revision.
Result<std::vector<StoredRevision>> QueryRevisions(sql::Db& db, bool compact_schedules, const std::string& where,
                                                   const std::string* id) {
  auto st = db.Prepare("SELECT " + RevisionColumns(compact_schedules) + " " + where);
  if (!st.ok()) return st.status();
  if (id) st->Bind(1, *id);
  std::vector<StoredRevision> out;
  for (;;) {
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    out.push_back(ReadRevision(*st));
  }
}

}  // namespace

Result<std::vector<StoredRevision>> Store::GetReport(const std::string& id) {
  return QueryRevisions(*db_, compact_schedules_, "FROM reports WHERE report_id = ?1 ORDER BY revision", &id);
}

Result<std::vector<StoredRevision>> Store::ListLatest() {
  return QueryRevisions(*db_, compact_schedules_,
                        "FROM reports r WHERE revision = (SELECT MAX(revision) FROM reports"
                        " WHERE report_id = r.report_id) ORDER BY aware_at_us, report_id",
                        nullptr);
}

// Pages by rowid, the order of receipt: a range of the table's own b-tree,
// so a page costs its rows and not a scan and sort of every report (there is
// no index by awareness; see migration 4). A report appears once, at the row
// of its latest revision.
Result<RevisionPage> Store::ListLatestPage(const PageQuery& q) {
  int64_t after = 0;
  if (!q.cursor.empty()) {
    char* end = nullptr;
    after = std::strtoll(q.cursor.c_str(), &end, 10);
    if (*end != '\0' || after < 0) return InvalidArgument("not a page cursor: '" + q.cursor + "'");
  }
  const size_t limit = std::clamp<size_t>(q.limit, 1, kMaxPageSize);
  auto st = db_->Prepare("SELECT " + RevisionColumns(compact_schedules_, q.content) +
                         ", rowid FROM reports r WHERE rowid > ?1 AND revision = (SELECT MAX(revision) FROM reports"
                         " WHERE report_id = r.report_id)" +
                         (q.open_only ? " AND state IN ('queued','fallback')" : "") + " ORDER BY rowid LIMIT " +
                         std::to_string(limit + 1));
  if (!st.ok()) return st.status();
  st->Bind(1, after);
  RevisionPage page;
  int64_t last = after;
  for (;;) {
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) return page;
    if (page.revisions.size() == limit) {
      page.next = std::to_string(last);
      return page;
    }
    page.revisions.push_back(ReadRevision(*st));
    last = st->Int(15);
  }
}

Result<std::vector<StoredRevision>> Store::OpenReports(WallTime since, size_t limit) {
  const int64_t since_us = std::chrono::duration_cast<std::chrono::microseconds>(since.time_since_epoch()).count();
  return QueryRevisions(*db_, compact_schedules_,
                        "FROM reports r WHERE revision = (SELECT MAX(revision) FROM reports"
                        " WHERE report_id = r.report_id) AND state <> 'closed' AND (state IN ('queued','fallback') OR aware_at_us >= " +
                            std::to_string(since_us) + ") ORDER BY aware_at_us DESC, report_id LIMIT " +
                            std::to_string(limit),
                        nullptr);
}

Result<std::vector<StoredRevision>> Store::ListUnacknowledged() {
  return QueryRevisions(*db_, compact_schedules_, "FROM reports WHERE site_receipt IS NULL ORDER BY aware_at_us, report_id, revision",
                        nullptr);
}

Result<std::vector<StoredRevision>> Store::ListUnacknowledged(const UnacknowledgedAfter& after, size_t limit) {
  auto st = db_->Prepare("SELECT " + RevisionColumns(compact_schedules_) +
                         " FROM reports WHERE site_receipt IS NULL AND (aware_at_us, report_id, revision) > (?1, ?2, ?3)"
                         " ORDER BY aware_at_us, report_id, revision LIMIT " + std::to_string(limit));
  if (!st.ok()) return st.status();
  st->Bind(1, after.aware_at_us).Bind(2, after.report_id).Bind(3, after.revision);
  std::vector<StoredRevision> out;
  for (;;) {
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    out.push_back(ReadRevision(*st));
  }
}

Status Store::RecordEvent(std::string_view type, std::string_view report_id,
                          const nlohmann::json& payload) {
  return InTransaction([&]() { return Journal(type, report_id, payload).status(); });
}

Result<std::string> Store::IntegrityCheck() {
  auto st = db_->Prepare("PRAGMA integrity_check");
  if (!st.ok()) return st.status();
  std::string out;
  for (;;) {
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    out += (out.empty() ? "" : "\n") + st->Text(0);
  }
}

JournalVerdict Store::VerifyJournal() { return lifeline::VerifyJournal(*db_, key_); }

Result<int64_t> Store::SchemaVersion() { return db_->QueryInt("PRAGMA user_version"); }

}  // namespace lifeline
