// Store::Counts: a handful of aggregate queries for the metrics. Each reads
// counts, never documents, so a scrape costs the same with ten reports or
// ten thousand (bar the table scan of the first).
#include "daemon/store/store.h"

namespace lifeline {
namespace {

// Runs `sql` and hands each row to `row`.
template <typename Row>
Status EachRow(sql::Db& db, const char* sql, Row row) {
  auto st = db.Cached(sql);
  if (!st.ok()) return st.status();
  for (;;) {
    auto more = (*st)->Step();
    if (!more.ok()) return more.status();
    if (!*more) return (*st)->Reset();
    row(**st);
  }
}

}  // namespace

Result<StoreCounts> Store::Counts() {
  StoreCounts c;
  sql::Db& db = *db_;
  LIFELINE_RETURN_IF_ERROR(EachRow(db,
                                   "SELECT state, drill, COUNT(*) FROM reports r WHERE revision = (SELECT MAX(revision)"
                                   " FROM reports WHERE report_id = r.report_id) GROUP BY state, drill",
                                   [&](const sql::Stmt& s) { c.reports[{s.Text(0), s.Int(1) != 0}] = s.Int(2); }));
  LIFELINE_RETURN_IF_ERROR(EachRow(db, "SELECT state, COUNT(*) FROM notifications GROUP BY state",
                                   [&](const sql::Stmt& s) { c.notifications[s.Text(0)] = s.Int(1); }));
  LIFELINE_RETURN_IF_ERROR(EachRow(db,
                                   "SELECT channel, CASE WHEN ended_at IS NULL THEN 'open' ELSE COALESCE(outcome, '')"
                                   " END, COUNT(*) FROM attempts GROUP BY 1, 2",
                                   [&](const sql::Stmt& s) { c.attempts[{s.Text(0), s.Text(1)}] = s.Int(2); }));
  LIFELINE_RETURN_IF_ERROR(EachRow(db, "SELECT COALESCE(MAX(seq), 0) FROM journal",
                                   [&](const sql::Stmt& s) { c.journal_entries = s.Int(0); }));
  LIFELINE_RETURN_IF_ERROR(EachRow(db, "SELECT COUNT(*) FROM phone_tasks WHERE state = 'open'",
                                   [&](const sql::Stmt& s) { c.phone_tasks_open = s.Int(0); }));
  LIFELINE_RETURN_IF_ERROR(EachRow(db, "SELECT MIN(aware_at_us) FROM reports WHERE site_receipt IS NULL AND drill = 0",
                                   [&](const sql::Stmt& s) {
                                     if (!s.IsNull(0)) c.oldest_unaccepted_aware_at_us = s.Int(0);
                                   }));
  return c;
}

Result<std::vector<std::pair<NotificationRow, bool>>> Store::OpenNotifications() {
  std::vector<std::pair<NotificationRow, bool>> out;
  LIFELINE_RETURN_IF_ERROR(EachRow(*db_,
                                   "SELECT n.id, n.report_id, n.revision, n.recipient, n.state, n.due_at, n.loud, r.drill"
                                   " FROM notifications n JOIN reports r ON r.report_id = n.report_id AND r.revision ="
                                   " n.revision WHERE n.state IN ('pending','in_progress','failed') ORDER BY n.id",
                                   [&](const sql::Stmt& s) {
                                     NotificationRow n;
                                     n.id = s.Int(0);
                                     n.report_id = s.Text(1);
                                     n.revision = static_cast<int>(s.Int(2));
                                     n.recipient = s.Text(3);
                                     n.state = s.Text(4);
                                     n.due_at = s.Text(5);
                                     n.loud = s.Int(6) != 0;
                                     out.emplace_back(std::move(n), s.Int(7) != 0);
                                   }));
  return out;
}

}  // namespace lifeline
