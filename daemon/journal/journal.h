// The journal: an append-only, hash-chained, keyed record of every fact about
// every report. Entries live in the store's SQLite database so that a state
// change and its entry commit together. Each entry carries an HMAC-SHA256 (device
// key, mbedTLS) over its fields and the previous entry's MAC; a head record,
// also MAC'd, names the last entry so truncation is detected. Not thread-safe:
// used by the one thread that owns the database connection.
#pragma once

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "daemon/core/clock.h"
#include "daemon/core/status.h"
#include "daemon/store/sqlite.h"

namespace lifeline {

using Mac = std::array<uint8_t, 32>;

// The device key: 32 random bytes in a 0600 file, created on first start and
// never logged or printed.
class JournalKey {
 public:
  static Result<JournalKey> LoadOrCreate(const std::string& path);
  static Result<JournalKey> Load(const std::string& path);
  Mac Sign(const std::vector<uint8_t>& message) const;

 private:
  std::array<uint8_t, 32> key_{};
};

struct JournalEntry {
  int64_t seq = 0;
  std::string wall_time;     // RFC 3339 UTC with microseconds
  int64_t mono_us = 0;       // CLOCK_MONOTONIC, microseconds
  std::string clock_source;  // "system", "simulated", ...
  std::string type;          // "report.received", "site.attempt.start", ...
  std::string report_id;     // "" when not about one report
  std::string payload;       // JSON text
  Mac prev_mac{}, mac{};
};

// Creates the journal tables (part of the store's first migration).
Status CreateJournalTables(sql::Db& db);

// Appends one entry inside the caller's open transaction; returns its sequence.
Result<int64_t> AppendJournal(sql::Db& db, const JournalKey& key, const Clock& clock,
                              std::string_view type, std::string_view report_id,
                              const nlohmann::json& payload);

struct JournalVerdict {
  bool ok = false;
  int64_t entries = 0;       // entries that verified before the first bad one
  int64_t first_bad = 0;     // sequence of the first bad entry (0 when ok)
  std::string reason;        // what is wrong, for people
};

// Walks the whole chain and the head record.
JournalVerdict VerifyJournal(sql::Db& db, const JournalKey& key);

// Entries in sequence order; only those about `report_id` when given.
Result<std::vector<JournalEntry>> ReadJournal(sql::Db& db, std::optional<std::string> report_id);

std::string HexMac(const Mac& mac);

}  // namespace lifeline
