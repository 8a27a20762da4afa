// The site's ledger: every submission site-sim accepted, and per Idempotency-Key
// the body fingerprint and the response given, in one SQLite file (WAL) so that
// tests and people can count records per key or per report while it runs.
// One Ledger per process, used from the server's single thread.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace sitesim {

struct StoredResponse {
  std::string fingerprint;
  int status = 0;
  std::string body;
};

struct NewRecord {
  std::string idempotency_key, fingerprint, kind, report_id, request_body, received_at;
  int revision = 0;  // a stage's version for the stage kinds
  // What the record is of: "report" (its revisions, whatever the kind) or a
  // stage ("damage-control", "closing"); one record per report, slot and revision.
  std::string slot = "report";
};

class Ledger {
 public:
  // `read_only` opens an existing ledger for counting from another process.
  static std::unique_ptr<Ledger> Open(const std::string& path, bool read_only, std::string* error);
  ~Ledger();
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;

  std::optional<StoredResponse> Lookup(const std::string& key, std::string* error);
  // Stores the record and the key's response in one transaction. `respond`
  // builds the 201 body from the record's sequence number. A revision already
  // on record gets no second record: the request is kept as an addendum of it
  // and answered 200 with that record's receipt.
  bool Accept(const NewRecord& rec, const std::function<std::string(int64_t seq)>& respond,
              std::string* response_body, int* status, std::string* error);
  int64_t CountByKey(const std::string& key);
  int64_t CountByReport(const std::string& report_id, int revision);  // revision 0: any; stage 1 only
  int64_t CountStage(const std::string& report_id, const std::string& stage);  // every version
  int64_t Total();

 private:
  explicit Ledger(sqlite3* db) : db_(db) {}
  bool Exec(const char* sql, std::string* error);
  bool Prepare(std::string* error);
  bool StoreKey(const NewRecord& rec, int status, const std::string& response_body);
  int64_t CountWhere(const char* sql, const std::function<void(sqlite3_stmt*)>& bind);

  sqlite3* db_;
  sqlite3_stmt* lookup_ = nullptr;
  sqlite3_stmt* insert_record_ = nullptr;
  sqlite3_stmt* insert_key_ = nullptr;
  sqlite3_stmt* find_revision_ = nullptr;
  sqlite3_stmt* insert_addendum_ = nullptr;
};

}  // namespace sitesim
