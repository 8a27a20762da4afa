// The site's API semantics (proto/site-api.yaml) without sockets: routing,
// validation, Idempotency-Key handling against the ledger, receipts. A write
// is two steps, Prepare then Commit (or Abandon), so the key counts as "in
// flight" while the server delays or stalls it. Single-threaded.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "tools/site-sim/http_message.h"
#include "tools/site-sim/ledger.h"

namespace sitesim {

struct PendingWrite {
  NewRecord record;
};

struct Prepared {
  std::optional<HttpResponse> response;  // answer now (health, error, stored response)
  std::optional<PendingWrite> write;     // or commit this, then answer
};

class SiteApi {
 public:
  explicit SiteApi(Ledger* ledger) : ledger_(ledger) {}

  Prepared Prepare(const HttpRequest& req);
  HttpResponse Commit(const PendingWrite& w);
  void Abandon(const PendingWrite& w) { in_flight_.erase(w.record.idempotency_key); }
  size_t InFlight() const { return in_flight_.size(); }

 private:
  Prepared PrepareWrite(const HttpRequest& req, const std::string& kind,
                        const std::string& path_id);

  Ledger* ledger_;
  std::set<std::string> in_flight_;
};

// SHA-256 of `bytes` in lower-case hex.
std::string Sha256Hex(const std::string& bytes);

}  // namespace sitesim
