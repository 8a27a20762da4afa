// Escalation state in the store: why a report fell back, recipients gone
// loud, attempt progress, phone tasks, reminders and drills. Each write checks
// what it changes and journals it in the same transaction.
#include "daemon/core/text.h"
#include "daemon/store/store.h"

namespace lifeline {
namespace {

using nlohmann::json;

json ParseOrNull(const std::string& text) {
  if (text.empty()) return nullptr;
  return json::parse(text, nullptr, false);
}

constexpr const char* kPhoneColumns =
    "SELECT id, attempt_id, report_id, revision, drill, recipient, recipient_name, number, hours, script,"
    " reason, due_at, created_at, state, COALESCE(answered_by,''), COALESCE(answered_at,''),"
    " COALESCE(note,''), COALESCE(confirmed_at,''), reminders FROM phone_tasks ";

PhoneTask ReadPhoneTask(const sql::Stmt& st) {
  PhoneTask t;
  t.id = st.Int(0);
  t.attempt_id = st.Int(1);
  t.report_id = st.Text(2);
  t.revision = static_cast<int>(st.Int(3));
  t.drill = st.Int(4) != 0;
  t.recipient = st.Text(5);
  t.recipient_name = st.Text(6);
  t.number = st.Text(7);
  t.hours = st.Text(8);
  t.script = st.Text(9);
  t.reason = st.Text(10);
  t.due_at = st.Text(11);
  t.created_at = st.Text(12);
  t.state = st.Text(13);
  t.answered_by = st.Text(14);
  t.answered_at = st.Text(15);
  t.note = st.Text(16);
  t.confirmed_at = st.Text(17);
  t.reminders = static_cast<int>(st.Int(18));
  return t;
}

Result<std::vector<PhoneTask>> QueryPhoneTasks(sql::Db& db, const std::string& where, int64_t arg) {
  auto st = db.Prepare(std::string(kPhoneColumns) + where);
  if (!st.ok()) return st.status();
  if (arg != 0) st->Bind(1, arg);
  std::vector<PhoneTask> out;
  for (;;) {
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    out.push_back(ReadPhoneTask(*st));
  }
}

}  // namespace

Status Store::EscalateReport(const std::string& id, int revision, const json& fallback) {
  return InTransaction([&]() -> Status {
    LIFELINE_RETURN_IF_ERROR(TransitionReport(id, revision, ReportState::kFallback, fallback));
    auto up = db_->Prepare("UPDATE reports SET fallback = ? WHERE report_id = ? AND revision = ?");
    if (!up.ok()) return up.status();
    up->Bind(1, DumpJson(fallback)).Bind(2, id).Bind(3, revision);
    return up->Run();
  });
}

Result<json> Store::FallbackOf(const std::string& id, int revision) {
  auto st = db_->Prepare("SELECT COALESCE(fallback,'') FROM reports WHERE report_id = ? AND revision = ?");
  if (!st.ok()) return st.status();
  st->Bind(1, id).Bind(2, revision);
  auto row = st->Step();
  if (!row.ok()) return row.status();
  if (!*row) return NotFound("report " + id + " revision " + std::to_string(revision) + " not found");
  return ParseOrNull(st->Text(0));
}

Result<ReportState> Store::StateOf(const std::string& id, int revision) {
  auto st = db_->Prepare("SELECT state FROM reports WHERE report_id = ? AND revision = ?");
  if (!st.ok()) return st.status();
  st->Bind(1, id).Bind(2, revision);
  auto row = st->Step();
  if (!row.ok()) return row.status();
  if (!*row) return NotFound("report " + id + " revision " + std::to_string(revision) + " not found");
  return ParseReportState(st->Text(0));
}

Status Store::MarkNotificationLoud(int64_t nid, const std::string& why) {
  return InTransaction([&]() -> Status {
    auto st = db_->Prepare("SELECT report_id, recipient FROM notifications WHERE id = ?");
    if (!st.ok()) return st.status();
    st->Bind(1, nid);
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) return NotFound("notification " + std::to_string(nid) + " not found");
    std::string report = st->Text(0), recipient = st->Text(1);
    auto up = db_->Prepare("UPDATE notifications SET loud = 1 WHERE id = ?");
    if (!up.ok()) return up.status();
    up->Bind(1, nid);
    LIFELINE_RETURN_IF_ERROR(up->Run());
    return Journal("notification.loud", report, {{"notification", nid}, {"recipient", recipient}, {"why", why}})
        .status();
  });
}

Result<std::vector<AttemptRow>> Store::Attempts(const std::string& id) {
  auto st = db_->Prepare(
      "SELECT a.id, a.notification_id, a.channel, a.address, a.started_at, COALESCE(a.ended_at,''),"
      " COALESCE(a.outcome,''), COALESCE(a.evidence,'') FROM attempts a"
      " JOIN notifications n ON n.id = a.notification_id WHERE n.report_id = ? ORDER BY a.id");
  if (!st.ok()) return st.status();
  st->Bind(1, id);
  std::vector<AttemptRow> out;
  for (;;) {
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    out.push_back({st->Int(0), st->Int(1), st->Text(2), st->Text(3), st->Text(4), st->Text(5), st->Text(6),
                   ParseOrNull(st->Text(7))});
  }
}

Result<std::pair<AttemptRow, std::string>> Store::GetAttempt(int64_t attempt_id) {
  auto st = db_->Prepare(
      "SELECT a.id, a.notification_id, a.channel, a.address, a.started_at, COALESCE(a.ended_at,''),"
      " COALESCE(a.outcome,''), COALESCE(a.evidence,''), n.report_id FROM attempts a"
      " JOIN notifications n ON n.id = a.notification_id WHERE a.id = ?");
  if (!st.ok()) return st.status();
  st->Bind(1, attempt_id);
  auto row = st->Step();
  if (!row.ok()) return row.status();
  if (!*row) return NotFound("no attempt " + std::to_string(attempt_id));
  AttemptRow a{st->Int(0), st->Int(1), st->Text(2), st->Text(3), st->Text(4), st->Text(5), st->Text(6),
               ParseOrNull(st->Text(7))};
  return std::pair<AttemptRow, std::string>{std::move(a), st->Text(8)};
}

Status Store::NoteAttempt(int64_t attempt, const std::string& summary, const json& evidence) {
  return InTransaction([&]() -> Status {
    auto st = db_->Prepare(
        "SELECT n.report_id FROM attempts a JOIN notifications n ON n.id = a.notification_id"
        " WHERE a.id = ? AND a.ended_at IS NULL");
    if (!st.ok()) return st.status();
    st->Bind(1, attempt);
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) return FailedPrecondition("attempt " + std::to_string(attempt) + " is not open");
    return Journal("attempt.progress", st->Text(0),
                   {{"attempt", attempt}, {"summary", summary}, {"evidence", evidence}})
        .status();
  });
}

Result<PhoneTask> Store::AddPhoneTask(const PhoneTask& t) {
  PhoneTask out;
  Status s = InTransaction([&]() -> Status {
    auto existing = QueryPhoneTasks(*db_, "WHERE attempt_id = ?1", t.attempt_id);
    if (!existing.ok()) return existing.status();
    if (!existing->empty()) {
      out = existing->front();
      return Status::Ok();
    }
    auto ins = db_->Prepare(
        "INSERT INTO phone_tasks (attempt_id, report_id, revision, drill, recipient, recipient_name, number,"
        " hours, script, reason, due_at, created_at, state) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,'open')");
    if (!ins.ok()) return ins.status();
    std::string now = FormatUtcMicros(clock_.Now());
    ins->Bind(1, t.attempt_id).Bind(2, t.report_id).Bind(3, t.revision).Bind(4, t.drill ? 1 : 0);
    ins->Bind(5, t.recipient).Bind(6, t.recipient_name).Bind(7, t.number).Bind(8, t.hours);
    ins->Bind(9, t.script).Bind(10, t.reason).Bind(11, t.due_at).Bind(12, now);
    LIFELINE_RETURN_IF_ERROR(ins->Run());
    out = t;
    out.id = sqlite3_last_insert_rowid(db_->raw());
    out.created_at = now;
    out.state = "open";
    return Journal("phone.task", t.report_id,
                   {{"task", out.id}, {"attempt", t.attempt_id}, {"recipient", t.recipient},
                    {"number", t.number}, {"due_at", t.due_at}, {"drill", t.drill}})
        .status();
  });
  if (!s.ok()) return s;
  return out;
}

Result<std::vector<PhoneTask>> Store::PhoneTasks(bool open_only) {
  return QueryPhoneTasks(*db_, open_only ? "WHERE state = 'open' ORDER BY id" : "ORDER BY id", 0);
}

Result<PhoneTask> Store::GetPhoneTask(int64_t task_id) {
  auto r = QueryPhoneTasks(*db_, "WHERE id = ?1", task_id);
  if (!r.ok()) return r.status();
  if (r->empty()) return NotFound("no phone task " + std::to_string(task_id));
  return r->front();
}

Result<PhoneTask> Store::ConfirmPhoneTask(int64_t task_id, const std::string& answered_by,
                                          const std::string& answered_at, const std::string& note) {
  PhoneTask out;
  Status s = InTransaction([&]() -> Status {
    auto t = GetPhoneTask(task_id);
    if (!t.ok()) return t.status();
    if (t->state != "open") {
      return FailedPrecondition("phone task " + std::to_string(task_id) + " is already " + t->state);
    }
    std::string now = FormatUtcMicros(clock_.Now());
    auto up = db_->Prepare(
        "UPDATE phone_tasks SET state = 'confirmed', answered_by = ?, answered_at = ?, note = ?,"
        " confirmed_at = ? WHERE id = ?");
    if (!up.ok()) return up.status();
    up->Bind(1, answered_by).Bind(2, answered_at).Bind(3, note).Bind(4, now).Bind(5, task_id);
    LIFELINE_RETURN_IF_ERROR(up->Run());
    out = *t;
    out.state = "confirmed";
    out.answered_by = answered_by;
    out.answered_at = answered_at;
    out.note = note;
    out.confirmed_at = now;
    return Journal("phone.confirmed", t->report_id,
                   {{"task", task_id}, {"attempt", t->attempt_id}, {"recipient", t->recipient},
                    {"number", t->number}, {"answered_by", answered_by}, {"answered_at", answered_at},
                    {"note", note}})
        .status();
  });
  if (!s.ok()) return s;
  return out;
}

Status Store::CancelPhoneTask(int64_t attempt_id, const std::string& why) {
  return InTransaction([&]() -> Status {
    auto t = QueryPhoneTasks(*db_, "WHERE attempt_id = ?1 AND state = 'open'", attempt_id);
    if (!t.ok()) return t.status();
    if (t->empty()) return Status::Ok();
    auto up = db_->Prepare("UPDATE phone_tasks SET state = 'cancelled' WHERE id = ?");
    if (!up.ok()) return up.status();
    up->Bind(1, t->front().id);
    LIFELINE_RETURN_IF_ERROR(up->Run());
    return Journal("phone.cancelled", t->front().report_id, {{"task", t->front().id}, {"why", why}}).status();
  });
}

Status Store::RemindPhoneTask(int64_t task_id) {
  return InTransaction([&]() -> Status {
    auto t = GetPhoneTask(task_id);
    if (!t.ok()) return t.status();
    auto up = db_->Prepare("UPDATE phone_tasks SET reminders = reminders + 1 WHERE id = ? AND state = 'open'");
    if (!up.ok()) return up.status();
    up->Bind(1, task_id);
    LIFELINE_RETURN_IF_ERROR(up->Run());
    return Journal("phone.reminder", t->report_id,
                   {{"task", task_id}, {"recipient", t->recipient}, {"number", t->number},
                    {"reminder", t->reminders + 1}})
        .status();
  });
}

Result<bool> Store::RecordReminder(const std::string& id, int revision, const std::string& deadline,
                                   const std::string& kind, const json& payload) {
  bool fresh = false;
  Status s = InTransaction([&]() -> Status {
    auto ins = db_->Prepare(
        "INSERT OR IGNORE INTO reminders (report_id, revision, deadline, kind, fired_at) VALUES (?,?,?,?,?)");
    if (!ins.ok()) return ins.status();
    ins->Bind(1, id).Bind(2, revision).Bind(3, deadline).Bind(4, kind).Bind(5, FormatUtcMicros(clock_.Now()));
    LIFELINE_RETURN_IF_ERROR(ins->Run());
    fresh = sqlite3_changes(db_->raw()) == 1;
    if (!fresh) return Status::Ok();
    json p = payload;
    p["revision"] = revision;
    p["deadline"] = deadline;
    p["kind"] = kind;
    return Journal("reminder", id, p).status();
  });
  if (!s.ok()) return s;
  return fresh;
}

Result<std::vector<std::string>> Store::RemindersGiven(const std::string& id, int revision) {
  auto st = db_->Prepare("SELECT deadline, kind FROM reminders WHERE report_id = ? AND revision = ?");
  if (!st.ok()) return st.status();
  st->Bind(1, id).Bind(2, revision);
  std::vector<std::string> out;
  for (;;) {
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    out.push_back(st->Text(0) + "/" + st->Text(1));
  }
}

Status Store::StartDrill(const DrillRow& d) {
  return InTransaction([&]() -> Status {
    auto ins = db_->Prepare(
        "INSERT INTO drills (id, report_id, name, scenario, started_at, outage_until) VALUES (?,?,?,?,?,?)");
    if (!ins.ok()) return ins.status();
    ins->Bind(1, d.id).Bind(2, d.report_id).Bind(3, d.name).Bind(4, d.scenario).Bind(5, d.started_at);
    ins->Bind(6, d.outage_until);
    LIFELINE_RETURN_IF_ERROR(ins->Run());
    return Journal("drill.start", d.report_id,
                   {{"drill", d.id}, {"name", d.name}, {"outage_until", d.outage_until}})
        .status();
  });
}

Status Store::EndDrill(const std::string& id) {
  return InTransaction([&]() -> Status {
    auto st = db_->Prepare("SELECT report_id FROM drills WHERE id = ? AND ended_at IS NULL");
    if (!st.ok()) return st.status();
    st->Bind(1, id);
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::Ok();
    std::string report = st->Text(0);
    auto up = db_->Prepare("UPDATE drills SET ended_at = ? WHERE id = ?");
    if (!up.ok()) return up.status();
    up->Bind(1, FormatUtcMicros(clock_.Now())).Bind(2, id);
    LIFELINE_RETURN_IF_ERROR(up->Run());
    return Journal("drill.end", report, {{"drill", id}}).status();
  });
}

Result<std::vector<DrillRow>> Store::Drills() {
  auto st = db_->Prepare(
      "SELECT id, report_id, name, scenario, started_at, outage_until, COALESCE(ended_at,'') FROM drills"
      " ORDER BY started_at");
  if (!st.ok()) return st.status();
  std::vector<DrillRow> out;
  for (;;) {
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    out.push_back({st->Text(0), st->Text(1), st->Text(2), st->Text(3), st->Text(4), st->Text(5), st->Text(6)});
  }
}

}  // namespace lifeline
