// ReadFleetEntries: one range query over the journal after the cursor, joined
// to the report's row for what the summary needs (category, level, drill). On
// the store's worker, like every read of the store.
#include "daemon/fleet/fleet.h"

namespace lifeline {

namespace {

constexpr const char* kRead =
    "SELECT j.seq, j.wall_time, j.type, j.report_id, j.payload,"
    " COALESCE(json_extract(r.document, '$.category'), ''), COALESCE(r.level, 0), COALESCE(r.drill, 0)"
    " FROM journal j LEFT JOIN reports r ON j.report_id <> '' AND r.report_id = j.report_id"
    "  AND r.revision = COALESCE(json_extract(j.payload, '$.revision'),"
    "                            (SELECT MAX(revision) FROM reports WHERE report_id = j.report_id))"
    " WHERE j.seq > ?1 ORDER BY j.seq LIMIT ?2";

}  // namespace

Result<std::vector<FleetEntry>> ReadFleetEntries(Store& store, int64_t after_seq, size_t limit) {
  auto st = store.db().Cached(kRead);
  if (!st.ok()) return st.status();
  (*st)->Bind(1, after_seq).Bind(2, static_cast<int64_t>(limit));
  std::vector<FleetEntry> out;
  for (;;) {
    auto row = (*st)->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    FleetEntry f;
    sql::Stmt& s = **st;
    f.entry.seq = s.Int(0);
    f.entry.wall_time = s.Text(1);
    f.entry.type = s.Text(2);
    f.entry.report_id = s.Text(3);
    f.entry.payload = s.Text(4);
    f.report = {s.Text(5), static_cast<int>(s.Int(6)), s.Int(7) != 0};
    out.push_back(std::move(f));
  }
  LIFELINE_RETURN_IF_ERROR((*st)->Reset());
  return out;
}

}  // namespace lifeline
