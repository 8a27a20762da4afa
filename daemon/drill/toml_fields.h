// TomlFields: typed reading of one TOML table whose every error names the
// file, line and key ("config/drills/x.toml:12: simulate[1].duration_seconds:
// must be 1-86400"). Keys read are remembered, so Finish() reports the first
// key nobody asked for as unknown. Pure: it reads a parsed table, no I/O.
// (The drill files' reader until the tree shares one TOML reader.)
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "daemon/core/status.h"

namespace lifeline::drill {

// Parses TOML text; a syntax error names origin and line.
Result<toml::table> ParseToml(std::string_view text, const std::string& origin);
// A whole file's bytes.
Result<std::string> ReadTextFile(const std::string& path);
// An id as the drill files write them: 1-64 of [a-z0-9-], not starting with '-'.
bool IsSlugId(std::string_view s);

class TomlFields {
 public:
  // `table` must outlive this object; `prefix` is the table's key path ("" at the root).
  TomlFields(const toml::table& table, std::string origin, std::string prefix);

  bool Has(std::string_view key) const { return table_.contains(key); }
  // The node at `key` (marked as read), or nullptr.
  const toml::node* Node(std::string_view key);
  // A sub-table, or an error naming the key when it is missing or not a table.
  Result<const toml::table*> Table(std::string_view key);
  // An array of tables ([[key]]); missing = empty.
  Result<const toml::array*> TableArray(std::string_view key);

  Result<std::string> String(std::string_view key, size_t max_len = 200);
  Result<std::optional<std::string>> OptionalString(std::string_view key, size_t max_len = 200);
  Result<int64_t> Int(std::string_view key, int64_t min, int64_t max);
  Result<std::optional<int64_t>> OptionalInt(std::string_view key, int64_t min, int64_t max);

  // "origin:line: prefix.key" for the key (the table's line when it is absent).
  std::string Where(std::string_view key) const;
  Status Error(std::string_view key, const std::string& why) const;
  // The first key of the table that was never read, as an error; OK when none.
  Status Finish() const;

  const std::string& origin() const { return origin_; }
  std::string KeyPath(std::string_view key) const;

 private:
  const toml::table& table_;
  std::string origin_, prefix_;
  std::set<std::string, std::less<>> read_;
};

}  // namespace lifeline::drill
