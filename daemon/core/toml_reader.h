// TOML files as lifeline reads them: the one reader for the configuration,
// rule sets, recipients, templates, drill scenarios and the roster. Every
// error names the file, line and key ("recipients.toml:12:
// recipient[2].channels: must not be empty"), values of the wrong type are
// errors rather than defaults, and unknown keys can be refused. TomlTable is a
// read-only view into a parsed document that keeps it alive; cheap to copy.
// Not thread-safe for writers (Overlay); readers may share a document.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "daemon/core/status.h"

namespace lifeline {

enum class Need { kRequired, kOptional };
// How Tables numbers its elements in errors: recipient[0] (the configuration's
// files) or simulate[1] (the drill files, counted as their authors count).
enum class Numbering { kFromZero, kFromOne };

class TomlTable {
 public:
  // Where this table is: "" for a document's root, "site", "recipient[2]".
  const std::string& path() const { return path_; }
  // The file the table (or `key`'s value) was read from, and its line.
  std::string OriginOf(std::string_view key = {}) const;
  int LineOf(std::string_view key = {}) const;
  // "<file>:<line>: <path>.<key>", what an error starts with.
  std::string Where(std::string_view key = {}) const;
  // "<file>:<line>: <path>.<key>: <message>" as InvalidArgument.
  Status Error(std::string_view key, std::string_view message) const;

  bool Has(std::string_view key) const;
  std::vector<std::string> Keys() const;  // in file order
  // An error for the first key not in `allowed`.
  Status OnlyKeys(std::initializer_list<std::string_view> allowed) const;

  // Typed values. Absent and kOptional: `out` is left as it is. Absent and
  // kRequired, or of another type: an error naming the key.
  Status Get(std::string_view key, std::string* out, Need need = Need::kRequired) const;
  Status Get(std::string_view key, int64_t* out, Need need = Need::kRequired) const;
  Status Get(std::string_view key, int* out, Need need = Need::kRequired) const;  // must fit an int
  Status Get(std::string_view key, bool* out, Need need = Need::kRequired) const;
  Status Get(std::string_view key, double* out, Need need = Need::kRequired) const;  // integers too
  Status Get(std::string_view key, std::vector<std::string>* out, Need need = Need::kRequired) const;
  Status Get(std::string_view key, std::vector<int64_t>* out, Need need = Need::kRequired) const;
  // A string that must not be empty.
  Status NonEmpty(std::string_view key, std::string* out, Need need = Need::kRequired) const;
  // A string of 1 to `max_bytes` bytes.
  Status Text(std::string_view key, size_t max_bytes, std::string* out, Need need = Need::kRequired) const;
  // An integer in [min, max].
  Status InRange(std::string_view key, int64_t min, int64_t max, int64_t* out, Need need = Need::kRequired) const;
  Status InRange(std::string_view key, int min, int max, int* out, Need need = Need::kRequired) const;

  // A sub-table ([name] or name = {...}); nullopt when absent and kOptional.
  Result<std::optional<TomlTable>> Table(std::string_view key, Need need = Need::kRequired) const;
  // An array whose every element is a table ([[name]] or name = [{...}, ...]),
  // each named "<key>[<i>]" in errors; empty when absent and kOptional.
  Result<std::vector<TomlTable>> Tables(std::string_view key, Need need = Need::kRequired,
                                        Numbering numbering = Numbering::kFromZero) const;
  // Any value as JSON (tables as objects, arrays as arrays), for documents
  // written partly in TOML; an error when absent, or for a date or time, which
  // JSON has no type for.
  Result<nlohmann::json> ToJson(std::string_view key) const;

 private:
  friend class TomlDocument;
  struct Doc;
  TomlTable(std::shared_ptr<const Doc> doc, const void* table, std::string path)
      : doc_(std::move(doc)), table_(table), path_(std::move(path)) {}
  const void* Node(std::string_view key) const;
  const void* Present(std::string_view key, Need need, Status* absent) const;
  std::string Name(std::string_view key) const;
  Status TypeError(std::string_view key, std::string_view wanted) const;

  std::shared_ptr<const Doc> doc_;
  const void* table_;  // a toml::table inside doc_
  std::string path_;
};

class TomlDocument {
 public:
  // A parse error names the origin and line.
  static Result<TomlDocument> Parse(std::string_view text, std::string_view origin);
  static Result<TomlDocument> ParseFile(const std::string& path);  // NotFound when unreadable
  TomlTable root() const;
  // Lays `over` onto this document key by key: each key of `over` must exist
  // here with the same type (tables merge); errors name over's file, line and
  // key. A value taken from `over` reports over's file and line afterwards.
  Status Overlay(const TomlDocument& over);

 private:
  explicit TomlDocument(std::shared_ptr<TomlTable::Doc> doc) : doc_(std::move(doc)) {}
  std::shared_ptr<TomlTable::Doc> doc_;
};

}  // namespace lifeline
