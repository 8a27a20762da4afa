#include "tools/site-sim/site_api.h"

#include <openssl/evp.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "daemon/core/time_format.h"
#include "daemon/core/uuid.h"

namespace sitesim {
namespace {

using nlohmann::json;

Prepared Answer(HttpResponse r) {
  Prepared p;
  p.response = std::move(r);
  return p;
}

Prepared Bad(std::string_view message) {
  return Answer(ErrorResponse(400, "bad_request", message));
}

bool IsUuid(const std::string& s) { return lifeline::IsUuid(s); }

// Splits "/v1/reports/{id}/{tail}"; false for any other shape.
bool SplitReportPath(std::string_view path, std::string* id, std::string* tail) {
  constexpr std::string_view kPrefix = "/v1/reports/";
  if (path.substr(0, kPrefix.size()) != kPrefix) return false;
  path.remove_prefix(kPrefix.size());
  size_t slash = path.find('/');
  if (slash == 0 || slash == std::string_view::npos) return false;
  *id = path.substr(0, slash);
  *tail = path.substr(slash + 1);
  return *tail == "revisions" || *tail == "late-submissions" || *tail == "stages/damage-control" ||
         *tail == "stages/closing";
}

bool IsTime(const json& j) {
  return j.is_string() && lifeline::ParseRfc3339(j.get<std::string>()).ok();
}

bool IsStage(const std::string& kind) { return kind == "damage-control" || kind == "closing"; }

// Returns "" when a stage body matches the contract, else why not.
std::string CheckStageBody(const json& b) {
  json version = b.value("version", json()), revision = b.value("report_revision", json());
  if (!version.is_number_integer() || version.get<int64_t>() < 1 || version.get<int64_t>() > 1000)
    return "version must be an integer in [1, 1000]";
  if (!revision.is_number_integer() || revision.get<int64_t>() < 1 || revision.get<int64_t>() > 1000)
    return "report_revision must be an integer in [1, 1000]";
  if (!b.contains("aware_at") || !IsTime(b["aware_at"])) return "aware_at must be RFC 3339";
  if (!b.contains("recorded_at") || !IsTime(b["recorded_at"])) return "recorded_at must be RFC 3339";
  if (!b.contains("document") || !b["document"].is_object()) return "document must be an object";
  return "";
}

bool IsKey(const std::string& k) {
  if (k.empty() || k.size() > 255) return false;
  for (unsigned char c : k) {
    if (c < 0x21 || c > 0x7E) return false;
  }
  return true;
}

// Returns "" when the fallback evidence matches the contract, else why not.
std::string CheckFallback(const json& f) {
  static const std::set<std::string> kReasons = {"dns", "connect", "timeout", "tls",
                                                 "tls_identity", "transport", "http_5xx",
                                                 "http_429", "power"};
  static const std::set<std::string> kChannels = {"sms", "fax", "email", "phone"};
  if (!f.is_object()) return "fallback must be an object";
  if (!f.contains("reason_class") || !f["reason_class"].is_string() ||
      !kReasons.count(f["reason_class"].get<std::string>())) return "fallback.reason_class invalid";
  if (!f.contains("reason") || !f["reason"].is_string() || f["reason"].get<std::string>().empty())
    return "fallback.reason must be a non-empty string";
  if (f.contains("outage_began_at") && !IsTime(f["outage_began_at"]))
    return "fallback.outage_began_at must be RFC 3339";
  if (!f.contains("notifications") || !f["notifications"].is_array() || f["notifications"].empty())
    return "fallback.notifications must be a non-empty array";
  for (const json& n : f["notifications"]) {
    if (!n.is_object() || !n.contains("recipient") || !n["recipient"].is_string() ||
        !n.contains("channel") || !n["channel"].is_string() ||
        !kChannels.count(n["channel"].get<std::string>()) || !n.contains("at") ||
        !IsTime(n["at"]) || !n.contains("outcome") || !n["outcome"].is_string()) {
      return "fallback.notifications[] needs recipient, channel (sms|fax|email|phone), at, outcome";
    }
  }
  return "";
}

// Returns "" when the body matches the contract for `kind`, else why not.
std::string CheckBody(const json& b, const std::string& kind, const std::string& path_id) {
  if (!b.is_object()) return "body must be a JSON object";
  if (b.value("api_version", json()) != "1") return "api_version must be \"1\"";
  if (b.value("kind", json()) != kind) return "kind must be \"" + kind + "\" on this path";
  json id = b.value("report_id", json());
  if (!id.is_string() || !IsUuid(id.get<std::string>())) return "report_id must be a UUID";
  if (!path_id.empty() && id.get<std::string>() != path_id) return "report_id differs from path";
  if (IsStage(kind)) return CheckStageBody(b);
  json rev = b.value("revision", json());
  if (!rev.is_number_integer() || rev.get<int64_t>() < 1 || rev.get<int64_t>() > 1000)
    return "revision must be an integer in [1, 1000]";
  if (kind == "initial" && rev.get<int>() != 1) return "an initial report has revision 1";
  if (kind == "revision" && rev.get<int>() < 2) return "a revision has revision >= 2";
  if (!b.contains("aware_at") || !IsTime(b["aware_at"])) return "aware_at must be RFC 3339";
  if (!b.contains("report") || !b["report"].is_object()) return "report must be an object";
  if (kind == "late") return b.contains("fallback") ? CheckFallback(b["fallback"])
                                                    : "a late submission needs fallback";
  return "";
}

}  // namespace

std::string Sha256Hex(const std::string& bytes) {
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(bytes.data(), bytes.size(), d, &n, EVP_sha256(), nullptr);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < n; ++i) {
    out += kHex[d[i] >> 4];
    out += kHex[d[i] & 15];
  }
  return out;
}

Prepared SiteApi::Prepare(const HttpRequest& req) {
  std::string path = req.Path();
  std::string id, tail;
  if (path == "/v1/health") {
    if (req.method != "GET") return Answer(ErrorResponse(405, "bad_request", "use GET"));
    HttpResponse r;
    r.body = json{{"status", "ok"}, {"api_version", "1"}}.dump();
    return Answer(r);
  }
  bool sub = SplitReportPath(path, &id, &tail);
  if (path != "/v1/reports" && !sub) return Answer(ErrorResponse(404, "not_found", "no such path"));
  if (req.method != "POST") return Answer(ErrorResponse(405, "bad_request", "use POST"));
  std::string kind = !sub ? "initial" : tail == "revisions" ? "revision" : tail == "late-submissions" ? "late"
                                                                           : tail.substr(tail.find('/') + 1);
  return PrepareWrite(req, kind, id);
}

Prepared SiteApi::PrepareWrite(const HttpRequest& req, const std::string& kind,
                               const std::string& path_id) {
  const std::string* key = req.headers.Get("idempotency-key");
  if (!key || !IsKey(*key)) {
    return Answer(ErrorResponse(400, "missing_idempotency_key",
                                "Idempotency-Key header (1-255 printable characters) is required"));
  }
  json body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return Bad("body is not JSON");
  std::string why = CheckBody(body, kind, path_id);
  if (!why.empty()) return Bad(why);
  std::string canonical = body.dump(-1, ' ', false, json::error_handler_t::replace);
  std::string fingerprint = Sha256Hex(canonical);
  std::string error;
  if (auto stored = ledger_->Lookup(*key, &error)) {
    if (stored->fingerprint != fingerprint) {
      return Answer(ErrorResponse(422, "idempotency_key_reused",
                                  "this Idempotency-Key was used with a different body"));
    }
    HttpResponse r;
    r.status = stored->status;
    r.body = stored->body;
    r.headers.Set("Idempotent-Replayed", "true");
    return Answer(r);
  }
  if (!error.empty()) return Answer(ErrorResponse(500, "unavailable", error));
  if (in_flight_.count(*key)) {
    return Answer(ErrorResponse(409, "request_in_progress",
                                "a request with this Idempotency-Key is being processed"));
  }
  const bool stage = IsStage(kind);
  if (stage && ledger_->CountByReport(body["report_id"].get<std::string>(), 0) <= 0) {
    return Answer(ErrorResponse(404, "not_found", "no record of this report: submit the report before its stages"));
  }
  in_flight_.insert(*key);
  PendingWrite w;
  w.record = NewRecord{*key, fingerprint, kind, body["report_id"].get<std::string>(), canonical,
                       "", body[stage ? "version" : "revision"].get<int>(), stage ? kind : "report"};
  Prepared p;
  p.write = std::move(w);
  return p;
}

HttpResponse SiteApi::Commit(const PendingWrite& w) {
  in_flight_.erase(w.record.idempotency_key);
  auto now = std::chrono::time_point_cast<std::chrono::microseconds>(
      std::chrono::system_clock::now());
  NewRecord rec = w.record;
  rec.received_at = lifeline::FormatRfc3339(lifeline::WithOffset(now, 8 * 60));
  std::string day = rec.received_at.substr(0, 4) + rec.received_at.substr(5, 2) +
                    rec.received_at.substr(8, 2);
  auto respond = [&](int64_t seq) {
    char no[48];
    std::snprintf(no, sizeof no, "SIM-%s-%06lld", day.c_str(), static_cast<long long>(seq));
    return json{{"receipt_no", no}, {"report_id", rec.report_id}, {"revision", rec.revision},
                {"kind", rec.kind}, {"received_at", rec.received_at}}.dump();
  };
  HttpResponse r;
  std::string error;
  if (!ledger_->Accept(rec, respond, &r.body, &r.status, &error)) {
    return ErrorResponse(500, "unavailable", error);
  }
  return r;
}

}  // namespace sitesim
