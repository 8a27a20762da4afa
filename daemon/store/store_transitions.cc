// State changes of report revisions, notifications and channel attempts. Each
// checks its state machine, writes, and journals in one transaction.
#include "daemon/core/text.h"
#include "daemon/store/store.h"

namespace lifeline {
namespace {

Result<std::string> CurrentState(sql::Db& db, const char* sql, const std::function<void(sql::Stmt&)>& bind,
                                 const std::string& what) {
  auto st = db.Prepare(sql);
  if (!st.ok()) return st.status();
  bind(*st);
  auto row = st->Step();
  if (!row.ok()) return row.status();
  if (!*row) return NotFound(what + " not found");
  return st->Text(0);
}

}  // namespace

Status Store::TransitionReport(const std::string& id, int revision, ReportState to,
                               const nlohmann::json& detail) {
  return InTransaction([&]() -> Status {
    auto cur = CurrentState(
        *db_, "SELECT state FROM reports WHERE report_id = ? AND revision = ?",
        [&](sql::Stmt& s) { s.Bind(1, id).Bind(2, revision); },
        "report " + id + " revision " + std::to_string(revision));
    if (!cur.ok()) return cur.status();
    auto from = ParseReportState(*cur);
    if (!from.ok()) return from.status();
    LIFELINE_RETURN_IF_ERROR(CheckTransition(*from, to));
    auto up = db_->Prepare("UPDATE reports SET state = ? WHERE report_id = ? AND revision = ?");
    if (!up.ok()) return up.status();
    up->Bind(1, Name(to)).Bind(2, id).Bind(3, revision);
    LIFELINE_RETURN_IF_ERROR(up->Run());
    return Journal("report.state", id,
                   {{"revision", revision}, {"from", Name(*from)}, {"to", Name(to)}, {"detail", detail}})
        .status();
  });
}

Status Store::SetSiteReceipt(const std::string& id, int revision, const std::string& receipt) {
  return InTransaction([&]() -> Status {
    auto up = db_->Prepare(
        "UPDATE reports SET site_receipt = ? WHERE report_id = ? AND revision = ? AND site_receipt IS NULL");
    if (!up.ok()) return up.status();
    up->Bind(1, receipt).Bind(2, id).Bind(3, revision);
    LIFELINE_RETURN_IF_ERROR(up->Run());
    if (sqlite3_changes(db_->raw()) != 1) {
      return FailedPrecondition("report " + id + " revision " + std::to_string(revision) +
                                " has no such revision or already has a site receipt");
    }
    return Journal("report.site_receipt", id, {{"revision", revision}, {"receipt", receipt}}).status();
  });
}

Result<int64_t> Store::AddNotification(const std::string& id, int revision,
                                       const std::string& recipient, const std::string& due_at) {
  int64_t new_id = 0;
  Status s = InTransaction([&]() -> Status {
    auto ins = db_->Prepare(
        "INSERT INTO notifications (report_id, revision, recipient, due_at, state)"
        " VALUES (?,?,?,?,'pending')");
    if (!ins.ok()) return ins.status();
    ins->Bind(1, id).Bind(2, revision).Bind(3, recipient).Bind(4, due_at);
    LIFELINE_RETURN_IF_ERROR(ins->Run());
    new_id = sqlite3_last_insert_rowid(db_->raw());
    return Journal("notification.required", id,
                   {{"revision", revision}, {"notification", new_id}, {"recipient", recipient},
                    {"due_at", due_at}})
        .status();
  });
  if (!s.ok()) return s;
  return new_id;
}

Status Store::TransitionNotification(int64_t nid, NotificationState to, const nlohmann::json& detail) {
  return InTransaction([&]() -> Status {
    auto st = db_->Prepare("SELECT state, report_id FROM notifications WHERE id = ?");
    if (!st.ok()) return st.status();
    st->Bind(1, nid);
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) return NotFound("notification " + std::to_string(nid) + " not found");
    auto from = ParseNotificationState(st->Text(0));
    std::string report_id = st->Text(1);
    if (!from.ok()) return from.status();
    LIFELINE_RETURN_IF_ERROR(CheckTransition(*from, to));
    auto up = db_->Prepare("UPDATE notifications SET state = ? WHERE id = ?");
    if (!up.ok()) return up.status();
    up->Bind(1, Name(to)).Bind(2, nid);
    LIFELINE_RETURN_IF_ERROR(up->Run());
    return Journal("notification.state", report_id,
                   {{"notification", nid}, {"from", Name(*from)}, {"to", Name(to)}, {"detail", detail}})
        .status();
  });
}

Result<std::vector<NotificationRow>> Store::Notifications(const std::string& id) {
  auto st = db_->Prepare(
      "SELECT id, report_id, revision, recipient, state, due_at, loud FROM notifications"
      " WHERE report_id = ? ORDER BY id");
  if (!st.ok()) return st.status();
  st->Bind(1, id);
  std::vector<NotificationRow> out;
  for (;;) {
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    out.push_back({st->Int(0), st->Text(1), st->Text(3), st->Text(4), st->Text(5),
                   static_cast<int>(st->Int(2)), st->Int(6) != 0});
  }
}

Result<int64_t> Store::StartAttempt(int64_t nid, const std::string& channel, const std::string& address,
                                    const nlohmann::json& detail) {
  int64_t attempt = 0;
  Status s = InTransaction([&]() -> Status {
    auto report = CurrentState(*db_, "SELECT report_id FROM notifications WHERE id = ?",
                               [&](sql::Stmt& st) { st.Bind(1, nid); },
                               "notification " + std::to_string(nid));
    if (!report.ok()) return report.status();
    auto ins = db_->Prepare(
        "INSERT INTO attempts (notification_id, channel, address, started_at) VALUES (?,?,?,?)");
    if (!ins.ok()) return ins.status();
    ins->Bind(1, nid).Bind(2, channel).Bind(3, address).Bind(4, FormatUtcMicros(clock_.Now()));
    LIFELINE_RETURN_IF_ERROR(ins->Run());
    attempt = sqlite3_last_insert_rowid(db_->raw());
    return Journal("attempt.start", *report,
                   {{"attempt", attempt}, {"notification", nid}, {"channel", channel}, {"address", address},
                    {"detail", detail}})
        .status();
  });
  if (!s.ok()) return s;
  return attempt;
}

Status Store::FinishAttempt(int64_t attempt, const std::string& outcome, const nlohmann::json& evidence) {
  return InTransaction([&]() -> Status {
    auto report = CurrentState(
        *db_, "SELECT n.report_id FROM attempts a JOIN notifications n ON n.id = a.notification_id"
              " WHERE a.id = ? AND a.ended_at IS NULL",
        [&](sql::Stmt& st) { st.Bind(1, attempt); }, "open attempt " + std::to_string(attempt));
    if (!report.ok()) return report.status();
    auto up = db_->Prepare("UPDATE attempts SET ended_at = ?, outcome = ?, evidence = ? WHERE id = ?");
    if (!up.ok()) return up.status();
    up->Bind(1, FormatUtcMicros(clock_.Now())).Bind(2, outcome).Bind(3, DumpJson(evidence)).Bind(4, attempt);
    LIFELINE_RETURN_IF_ERROR(up->Run());
    return Journal("attempt.end", *report, {{"attempt", attempt}, {"outcome", outcome}, {"evidence", evidence}})
        .status();
  });
}

}  // namespace lifeline
