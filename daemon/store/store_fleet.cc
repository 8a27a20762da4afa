// Store::FleetCursor and AdvanceFleetCursor: the journal as the fleet
// publisher's outbox. The cursor is a plain row, not a journal entry, so
// publishing never grows the journal it follows.
#include "daemon/store/store.h"

namespace lifeline {

Result<int64_t> Store::FleetCursor() {
  return db_->QueryInt("SELECT COALESCE((SELECT acked_seq FROM fleet_cursor WHERE id = 1), 0)");
}

Status Store::AdvanceFleetCursor(int64_t acked_seq) {
  auto up = db_->Cached(
      "INSERT INTO fleet_cursor (id, acked_seq, updated_at) VALUES (1, ?1, ?2)"
      " ON CONFLICT (id) DO UPDATE SET acked_seq = excluded.acked_seq, updated_at = excluded.updated_at"
      " WHERE excluded.acked_seq > fleet_cursor.acked_seq");
  if (!up.ok()) return up.status();
  (*up)->Bind(1, acked_seq).Bind(2, FormatUtcMicros(clock_.Now()));
  return (*up)->Run();
}

}  // namespace lifeline
