// Brings a store database to schema version `target` (at most the newest this
// build knows); refuses a database newer than that.
#pragma once

#include "daemon/store/sqlite.h"

namespace lifeline {
Status Migrate(sql::Db& db, int target);
}  // namespace lifeline
