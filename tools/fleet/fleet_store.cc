// FleetStore: the agency's view as SQLite rows. A message is applied in one
// transaction that first claims its (unit, seq); a claim that exists already
// is a repeat and the transaction is rolled back, as it is when the message's
// detail turns out not to fit (the caller then counts it as refused).
#include "tools/fleet/fleet_store.h"

#include <sqlite3.h>

#include <map>

#include "daemon/core/text.h"

namespace lifeline::fleet {

using nlohmann::json;

namespace {

Status MigrateTo1(sql::Db& db) {
  return db.Exec(
      "CREATE TABLE units ("
      "  unit TEXT PRIMARY KEY, first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, last_seen_us INTEGER NOT NULL,"
      "  last_seq INTEGER NOT NULL DEFAULT 0, health TEXT NOT NULL DEFAULT '{}');"
      "CREATE TABLE messages ("
      "  unit TEXT NOT NULL, seq INTEGER NOT NULL CHECK (seq >= 1), kind TEXT NOT NULL, type TEXT NOT NULL,"
      "  report_id TEXT NOT NULL, received_at TEXT NOT NULL, payload TEXT NOT NULL,"
      "  PRIMARY KEY (unit, seq));"
      "CREATE TABLE reports ("
      "  unit TEXT NOT NULL, report_id TEXT NOT NULL, revision INTEGER NOT NULL, level INTEGER NOT NULL,"
      "  category TEXT NOT NULL, drill INTEGER NOT NULL, aware_at TEXT NOT NULL, state TEXT NOT NULL,"
      "  fallback INTEGER NOT NULL DEFAULT 0, received_at TEXT NOT NULL, review_due TEXT NOT NULL,"
      "  reviewed_at TEXT NOT NULL DEFAULT '', reviewed_level INTEGER NOT NULL DEFAULT 0,"
      "  authority_notice_due TEXT NOT NULL DEFAULT '', recipients TEXT NOT NULL DEFAULT '{}',"
      "  notifications TEXT NOT NULL DEFAULT '{}', PRIMARY KEY (unit, report_id));"
      "CREATE TABLE reviews ("
      "  id INTEGER PRIMARY KEY, unit TEXT NOT NULL, report_id TEXT NOT NULL, revision INTEGER NOT NULL,"
      "  level_before INTEGER NOT NULL, level_after INTEGER NOT NULL, reason TEXT NOT NULL, by_whom TEXT NOT NULL,"
      "  at TEXT NOT NULL, authority_notice_due TEXT NOT NULL);"
      "CREATE TABLE rejections (reason TEXT PRIMARY KEY, count INTEGER NOT NULL, last_at TEXT NOT NULL);");
}

// heard_through: every entry the unit's box published up to here is in the
// view. A view upgraded from 1 starts at 0, so its units' boxes publish their
// journals once more and any loss of the past is filled. alerts: each
// reminder and alarm raised once, with what the agency's program made of it.
Status MigrateTo2(sql::Db& db) {
  return db.Exec(
      "ALTER TABLE units ADD COLUMN heard_through INTEGER NOT NULL DEFAULT 0;"
      "CREATE TABLE alerts ("
      "  id INTEGER PRIMARY KEY, event TEXT NOT NULL, subject TEXT NOT NULL, at TEXT NOT NULL,"
      "  detail TEXT NOT NULL, outcome TEXT NOT NULL DEFAULT '', outcome_detail TEXT NOT NULL DEFAULT '',"
      "  UNIQUE (event, subject));");
}

using Step = Status (*)(sql::Db&);
constexpr Step kSteps[] = {MigrateTo1, MigrateTo2};

// Each step in its own write transaction, the version read inside it: a
// `status` started while `run` migrates waits for it and then finds nothing to do.
Status Migrate(sql::Db& db) {
  const int known = static_cast<int>(std::size(kSteps));
  for (;;) {
    LIFELINE_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
    auto current = db.QueryInt("PRAGMA user_version");
    Status s = current.status();
    if (s.ok() && *current > known) {
      s = FailedPrecondition("fleet store " + db.path() + " has schema version " + std::to_string(*current) +
                             ", newer than this lifeline-fleet knows (" + std::to_string(known) + ")");
    }
    if (s.ok() && *current == known) return db.Exec("COMMIT");
    if (s.ok()) s = kSteps[*current](db);
    if (s.ok()) s = db.Exec("PRAGMA user_version = " + std::to_string(*current + 1));
    if (s.ok()) s = db.Exec("COMMIT");
    if (!s.ok()) {
      db.Exec("ROLLBACK").IgnoreError();
      return s;
    }
  }
}

int64_t Micros(WallTime t) { return t.time_since_epoch().count(); }

// A report row as read for one message's change.
struct Row {
  bool exists = false;
  int revision = 0, level = 0;
  std::string state, received_at;
  json recipients = json::object(), notifications = json::object();
};

Result<Row> ReadRow(sql::Db& db, const std::string& unit, const std::string& id) {
  auto st = db.Prepare(
      "SELECT revision, level, state, received_at, recipients, notifications FROM reports"
      " WHERE unit = ?1 AND report_id = ?2");
  if (!st.ok()) return st.status();
  st->Bind(1, unit).Bind(2, id);
  auto row = st->Step();
  if (!row.ok()) return row.status();
  Row r;
  if (!*row) return r;
  r = {true, static_cast<int>(st->Int(0)), static_cast<int>(st->Int(1)), st->Text(2), st->Text(3),
       json::parse(st->Text(4), nullptr, false), json::parse(st->Text(5), nullptr, false)};
  if (!r.recipients.is_object()) r.recipients = json::object();
  if (!r.notifications.is_object()) r.notifications = json::object();
  return r;
}

Status RequireString(const json& d, const char* key) {
  if (!d.contains(key) || !d.at(key).is_string()) return InvalidArgument(std::string("detail.") + key + " is not a string");
  return Status::Ok();
}

Status RequireInt(const json& d, const char* key, int64_t lo, int64_t hi) {
  if (!d.contains(key) || !d.at(key).is_number_integer() || d.at(key) < lo || d.at(key) > hi) {
    return InvalidArgument(std::string("detail.") + key + " is not an integer " + std::to_string(lo) + "-" +
                           std::to_string(hi));
  }
  return Status::Ok();
}

}  // namespace

Result<ReviewRules> ReviewRulesFrom(const RuleSet& rules) {
  ReviewRules r;
  r.rules_id = rules.id;
  for (const DeadlineRule& d : rules.deadlines) {
    if (d.key != "review_by") continue;
    if (d.after.months != 0) return InvalidArgument("rule set " + rules.id + ": review_by in months is not supported");
    for (int level : d.levels) {
      if (level >= 1 && level <= 4) r.review_after_seconds[level] = d.after.seconds;
    }
  }
  for (int level = 1; level <= 4; ++level) {
    if (r.review_after_seconds[level] <= 0) {
      return InvalidArgument("rule set " + rules.id + " has no review_by deadline for level " + std::to_string(level));
    }
  }
  for (const FigureRule& f : rules.figures) {
    if (f.key != "reviewer_level_change_notice") continue;
    auto d = ParseRuleDuration(f.value);
    if (!d.ok()) return d.status();
    r.level_change_notice_seconds = d->seconds;
  }
  if (r.level_change_notice_seconds <= 0) {
    return InvalidArgument("rule set " + rules.id + " has no reviewer_level_change_notice figure");
  }
  return r;
}

Result<std::unique_ptr<FleetStore>> FleetStore::Open(const std::string& path, ReviewRules rules) {
  auto db = sql::Db::Open(path, {});
  if (!db.ok()) return db.status();
  // The wait first: turning a new store to WAL needs a moment alone with it,
  // and another opener (status beside a starting run) may hold it then.
  LIFELINE_RETURN_IF_ERROR((*db)->Exec("PRAGMA busy_timeout=5000; PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL"));
  LIFELINE_RETURN_IF_ERROR(Migrate(**db));
  return std::unique_ptr<FleetStore>(new FleetStore(std::move(*db), std::move(rules)));
}

Result<std::unique_ptr<FleetStore>> FleetStore::OpenReadOnly(const std::string& path) {
  sql::OpenOptions options;
  options.read_only = true;
  auto db = sql::Db::Open(path, options);
  if (!db.ok()) return db.status();
  LIFELINE_RETURN_IF_ERROR((*db)->Exec("PRAGMA busy_timeout=2000"));
  auto version = (*db)->QueryInt("PRAGMA user_version");
  if (!version.ok()) return version.status();
  if (*version != kFleetSchemaVersion) {
    return FailedPrecondition("fleet store " + path + " has schema version " + std::to_string(*version) + ", not " +
                              std::to_string(kFleetSchemaVersion) + " (run lifeline-fleet once to migrate it)");
  }
  return std::unique_ptr<FleetStore>(new FleetStore(std::move(*db), ReviewRules{}));
}

std::string FleetStore::DueAfter(WallTime from, int level) const {
  if (level < 1 || level > 4) return "";
  return FormatUtcMicros(from + std::chrono::seconds(rules_.review_after_seconds[level]));
}

Result<IngestOutcome> FleetStore::Ingest(const UnitMessage& m, WallTime received) {
  LIFELINE_RETURN_IF_ERROR(db_->Exec("BEGIN IMMEDIATE"));
  const std::string now = FormatUtcMicros(received);
  Status s = Status::Ok();
  bool repeat = false;
  if (m.kind != "heartbeat") {
    auto claim = db_->Prepare(
        "INSERT OR IGNORE INTO messages (unit, seq, kind, type, report_id, received_at, payload)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    s = claim.status();
    if (s.ok()) {
      claim->Bind(1, m.unit).Bind(2, m.seq).Bind(3, m.kind).Bind(4, m.type).Bind(5, m.report_id).Bind(6, now);
      claim->Bind(7, m.payload);
      s = claim->Run();
    }
    repeat = s.ok() && sqlite3_changes(db_->raw()) == 0;
  }
  if (s.ok() && !repeat) s = Apply(m, now, received);
  if (s.ok() && !repeat) s = db_->Exec("COMMIT");
  if (!s.ok() || repeat) db_->Exec("ROLLBACK").IgnoreError();
  if (!s.ok()) return s;
  return repeat ? IngestOutcome::kRepeat : IngestOutcome::kApplied;
}

Status FleetStore::Apply(const UnitMessage& m, const std::string& now, WallTime received) {
  auto unit = db_->Prepare(
      "INSERT INTO units (unit, first_seen, last_seen, last_seen_us, last_seq) VALUES (?1, ?2, ?2, ?3, ?4)"
      " ON CONFLICT (unit) DO UPDATE SET last_seen = ?2, last_seen_us = ?3, last_seq = MAX(last_seq, ?4)");
  if (!unit.ok()) return unit.status();
  unit->Bind(1, m.unit).Bind(2, now).Bind(3, Micros(received)).Bind(4, m.seq);
  LIFELINE_RETURN_IF_ERROR(unit->Run());
  if (m.kind == "report" || m.kind == "notice") return ApplyReport(m, now, received);
  if (m.kind == "heartbeat") return Status::Ok();
  // health and drill: the latest of each type, as the box journaled it.
  auto up = db_->Prepare("UPDATE units SET health = json_set(health, '$.' || json_quote(?2), json(?3)) WHERE unit = ?1");
  if (!up.ok()) return up.status();
  json latest = {{"at", m.at}, {"seq", m.seq}, {"detail", m.detail}};
  up->Bind(1, m.unit).Bind(2, m.type).Bind(3, DumpJson(latest));
  return up->Run();
}

Status FleetStore::ApplyReport(const UnitMessage& m, const std::string& now, WallTime received) {
  auto row = ReadRow(*db_, m.unit, m.report_id);
  if (!row.ok()) return row.status();
  const json& d = m.detail;
  int revision = row->revision, level = row->level ? row->level : m.level;
  std::string state = row->state.empty() ? "queued" : row->state;
  bool new_revision = !row->exists;
  std::string aware_at;
  if (m.type == "report.received" || m.type == "report.revision_added") {
    LIFELINE_RETURN_IF_ERROR(RequireInt(d, "revision", 1, 1000000));
    LIFELINE_RETURN_IF_ERROR(RequireInt(d, "level", 1, 4));
    LIFELINE_RETURN_IF_ERROR(RequireString(d, "aware_at"));
    if (row->exists && d.at("revision").get<int>() <= row->revision) return Status::Ok();  // an older revision, late
    new_revision = true;
    revision = d.at("revision").get<int>();
    level = d.at("level").get<int>();
    aware_at = d.at("aware_at").get<std::string>();
    state = "queued";
  } else if (m.type == "report.state") {
    LIFELINE_RETURN_IF_ERROR(RequireString(d, "to"));
    state = d.at("to").get<std::string>();
  } else if (m.type == "notification.required") {
    LIFELINE_RETURN_IF_ERROR(RequireInt(d, "notification", 1, INT64_MAX));
    LIFELINE_RETURN_IF_ERROR(RequireString(d, "recipient"));
    const std::string recipient = d.at("recipient").get<std::string>();
    row->notifications[std::to_string(d.at("notification").get<int64_t>())] = recipient;
    row->recipients[recipient] = {{"state", "pending"}, {"due_at", d.value("due_at", "")}};
  } else if (m.type == "notification.state") {
    LIFELINE_RETURN_IF_ERROR(RequireInt(d, "notification", 1, INT64_MAX));
    LIFELINE_RETURN_IF_ERROR(RequireString(d, "to"));
    const std::string key = std::to_string(d.at("notification").get<int64_t>());
    if (row->notifications.contains(key) && row->notifications[key].is_string()) {
      row->recipients[row->notifications[key].get<std::string>()]["state"] = d.at("to");
    }
  }
  if (new_revision) {
    auto up = db_->Prepare(
        "INSERT INTO reports (unit, report_id, revision, level, category, drill, aware_at, state, fallback,"
        " received_at, review_due) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
        " ON CONFLICT (unit, report_id) DO UPDATE SET revision = ?3, level = ?4, category = ?5, drill = ?6,"
        "  aware_at = CASE WHEN ?7 = '' THEN aware_at ELSE ?7 END, state = ?8, received_at = ?10,"
        "  review_due = ?11, reviewed_at = '', reviewed_level = 0, authority_notice_due = ''");
    if (!up.ok()) return up.status();
    up->Bind(1, m.unit).Bind(2, m.report_id).Bind(3, std::max(revision, 1)).Bind(4, level).Bind(5, m.category);
    up->Bind(6, m.drill ? 1 : 0).Bind(7, aware_at).Bind(8, state).Bind(9, m.kind == "notice" ? 1 : 0);
    up->Bind(10, now).Bind(11, DueAfter(received, level));
    LIFELINE_RETURN_IF_ERROR(up->Run());
  }
  auto up = db_->Prepare(
      "UPDATE reports SET state = ?3, fallback = MAX(fallback, ?4), recipients = ?5, notifications = ?6,"
      " category = CASE WHEN ?7 = '' THEN category ELSE ?7 END WHERE unit = ?1 AND report_id = ?2");
  if (!up.ok()) return up.status();
  up->Bind(1, m.unit).Bind(2, m.report_id).Bind(3, state).Bind(4, m.kind == "notice" ? 1 : 0);
  up->Bind(5, DumpJson(row->recipients)).Bind(6, DumpJson(row->notifications)).Bind(7, m.category);
  return up->Run();
}

Result<int64_t> FleetStore::Follow(const UnitMessage& m) {
  const bool heartbeat = m.kind == "heartbeat";
  if ((heartbeat ? m.heard_seq : m.after_seq) < 0) return int64_t{0};  // a box that does not say
  auto st = db_->Prepare("SELECT heard_through FROM units WHERE unit = ?1");
  if (!st.ok()) return st.status();
  st->Bind(1, m.unit);
  auto row = st->Step();
  if (!row.ok()) return row.status();
  const int64_t held = *row ? st->Int(0) : 0;
  if (heartbeat) return m.heard_seq > held ? held + 1 : 0;
  if (m.after_seq > held) return held + 1;  // something between held and after_seq never came
  if (m.seq <= held) return int64_t{0};
  auto up = db_->Prepare("UPDATE units SET heard_through = ?2 WHERE unit = ?1 AND heard_through < ?2");
  if (!up.ok()) return up.status();
  up->Bind(1, m.unit).Bind(2, m.seq);
  LIFELINE_RETURN_IF_ERROR(up->Run());
  return int64_t{0};
}

Result<bool> FleetStore::ClaimAlert(const std::string& event, const std::string& subject, const json& detail,
                                    WallTime at) {
  auto ins = db_->Prepare("INSERT OR IGNORE INTO alerts (event, subject, at, detail) VALUES (?1, ?2, ?3, ?4)");
  if (!ins.ok()) return ins.status();
  ins->Bind(1, event).Bind(2, subject).Bind(3, FormatUtcMicros(at)).Bind(4, DumpJson(detail));
  LIFELINE_RETURN_IF_ERROR(ins->Run());
  return sqlite3_changes(db_->raw()) == 1;
}

Status FleetStore::RecordAlertOutcome(const std::string& event, const std::string& subject, const std::string& outcome,
                                      const std::string& detail) {
  auto up = db_->Prepare("UPDATE alerts SET outcome = ?3, outcome_detail = ?4 WHERE event = ?1 AND subject = ?2");
  if (!up.ok()) return up.status();
  up->Bind(1, event).Bind(2, subject).Bind(3, outcome).Bind(4, SafeText(detail, 2000));
  return up->Run();
}

Result<std::vector<AlertView>> FleetStore::Alerts() {
  auto st = db_->Prepare("SELECT event, subject, at, detail, outcome FROM alerts ORDER BY id");
  if (!st.ok()) return st.status();
  std::vector<AlertView> out;
  for (;;) {
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    json detail = json::parse(st->Text(3), nullptr, false);
    out.push_back({st->Text(0), st->Text(1), st->Text(2), detail.is_discarded() ? json::object() : detail, st->Text(4)});
  }
}

Status FleetStore::CountRejected(const std::string& reason, WallTime at) {
  auto up = db_->Prepare(
      "INSERT INTO rejections (reason, count, last_at) VALUES (?1, 1, ?2)"
      " ON CONFLICT (reason) DO UPDATE SET count = count + 1, last_at = ?2");
  if (!up.ok()) return up.status();
  up->Bind(1, SafeText(reason, 200)).Bind(2, FormatUtcMicros(at));
  return up->Run();
}

Status FleetStore::RecordReview(const ReviewInput& r, WallTime at) {
  if (r.reason.empty() || r.reason.size() > 2000 || !IsValidUtf8(r.reason)) {
    return InvalidArgument("a review needs its reason: 1-2000 bytes of UTF-8");
  }
  if (r.by.empty() || !IsValidUtf8(r.by)) return InvalidArgument("a review names who made it (--by)");
  if (r.new_level && (*r.new_level < 1 || *r.new_level > 4)) return InvalidArgument("a level is 1-4");
  LIFELINE_RETURN_IF_ERROR(db_->Exec("BEGIN IMMEDIATE"));
  Status s = [&]() -> Status {
    auto st = db_->Prepare("SELECT revision, level, reviewed_at FROM reports WHERE unit = ?1 AND report_id = ?2");
    if (!st.ok()) return st.status();
    st->Bind(1, r.unit).Bind(2, r.report_id);
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) return NotFound("no report " + r.report_id + " of unit " + r.unit + " in this view");
    const int revision = static_cast<int>(st->Int(0)), before = static_cast<int>(st->Int(1));
    if (!st->Text(2).empty()) {
      return FailedPrecondition("report " + r.report_id + " revision " + std::to_string(revision) +
                                " was reviewed at " + st->Text(2));
    }
    const int after = r.new_level.value_or(before);
    const std::string notice_due =
        after == before ? "" : FormatUtcMicros(at + std::chrono::seconds(rules_.level_change_notice_seconds));
    auto ins = db_->Prepare(
        "INSERT INTO reviews (unit, report_id, revision, level_before, level_after, reason, by_whom, at,"
        " authority_notice_due) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    if (!ins.ok()) return ins.status();
    ins->Bind(1, r.unit).Bind(2, r.report_id).Bind(3, revision).Bind(4, before).Bind(5, after).Bind(6, r.reason);
    ins->Bind(7, r.by).Bind(8, FormatUtcMicros(at)).Bind(9, notice_due);
    LIFELINE_RETURN_IF_ERROR(ins->Run());
    auto up = db_->Prepare(
        "UPDATE reports SET reviewed_at = ?3, reviewed_level = ?4, authority_notice_due = ?5"
        " WHERE unit = ?1 AND report_id = ?2");
    if (!up.ok()) return up.status();
    up->Bind(1, r.unit).Bind(2, r.report_id).Bind(3, FormatUtcMicros(at)).Bind(4, after).Bind(5, notice_due);
    return up->Run();
  }();
  if (s.ok()) s = db_->Exec("COMMIT");
  if (!s.ok()) db_->Exec("ROLLBACK").IgnoreError();
  return s;
}

Result<std::vector<UnitView>> FleetStore::Units(const std::vector<std::string>& known, WallTime now,
                                                std::chrono::seconds silent_after) {
  auto st = db_->Prepare(
      "SELECT unit, first_seen, last_seen, last_seen_us, last_seq, health, heard_through FROM units ORDER BY unit");
  if (!st.ok()) return st.status();
  std::map<std::string, UnitView> by_unit;
  for (const std::string& u : known) by_unit[u] = UnitView{u, "", "", 0, 0, json::object(), true};
  const int64_t limit = Micros(now) - std::chrono::duration_cast<std::chrono::microseconds>(silent_after).count();
  for (;;) {
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    json health = json::parse(st->Text(5), nullptr, false);
    by_unit[st->Text(0)] = UnitView{st->Text(0), st->Text(1), st->Text(2), st->Int(4), st->Int(6),
                                    health.is_object() ? health : json::object(), st->Int(3) < limit};
  }
  std::vector<UnitView> out;
  for (auto& [name, view] : by_unit) out.push_back(std::move(view));
  return out;
}

Result<std::vector<ReportView>> FleetStore::Reports() {
  auto st = db_->Prepare(
      "SELECT unit, report_id, category, state, aware_at, revision, level, drill, fallback, received_at, review_due,"
      " reviewed_at, reviewed_level, authority_notice_due, recipients FROM reports ORDER BY received_at, unit");
  if (!st.ok()) return st.status();
  std::vector<ReportView> out;
  for (;;) {
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    ReportView v{st->Text(0), st->Text(1), st->Text(2), st->Text(3), st->Text(4),
                 static_cast<int>(st->Int(5)), static_cast<int>(st->Int(6)), st->Int(7) != 0, st->Int(8) != 0,
                 st->Text(9), st->Text(10), st->Text(11), static_cast<int>(st->Int(12)), st->Text(13),
                 json::parse(st->Text(14), nullptr, false)};
    out.push_back(std::move(v));
  }
}

Result<std::vector<std::pair<std::string, int64_t>>> FleetStore::Rejections() {
  auto st = db_->Prepare("SELECT reason, count FROM rejections ORDER BY reason");
  if (!st.ok()) return st.status();
  std::vector<std::pair<std::string, int64_t>> out;
  for (;;) {
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    out.emplace_back(st->Text(0), st->Int(1));
  }
}

Result<int64_t> FleetStore::MessageCount(const std::string& unit) {
  auto st = db_->Prepare("SELECT count(*) FROM messages WHERE unit = ?1");
  if (!st.ok()) return st.status();
  st->Bind(1, unit);
  auto row = st->Step();
  if (!row.ok()) return row.status();
  return st->Int(0);
}

}  // namespace lifeline::fleet
