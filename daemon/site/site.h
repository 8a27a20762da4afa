// The site module: submits reports to the national site over HTTPS
// (proto/site-api.yaml) with idempotent retries, and replays what is unacknowledged.
// Single-threaded: callbacks and observer calls run on the caller's io_context.
// SiteClient owns its curl state; observers and pending sources are borrowed.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/clock.h"
#include "daemon/core/status.h"
#include "daemon/core/time_format.h"

namespace asio {
class io_context;
}

namespace lifeline {

// 事件通報, 續行通報, 補行通報; then the record's later stages: 損害控制或復原 (stage 2)
// and 調查、處理及改善報告 (stage 3, closing), each a version of its own.
enum class SubmissionKind { kInitial, kRevision, kLate, kDamageControl, kClosing };
// "initial", "revision", "late", "damage-control", "closing".
std::string_view SubmissionKindName(SubmissionKind kind);
bool IsStageKind(SubmissionKind kind);

struct FallbackNotification {
  std::string recipient;  // e.g. the superior agency's window
  std::string channel;    // "sms", "fax", "email", "phone"
  OffsetTime at;
  std::string outcome;    // delivery evidence in words
};

// Why the designated method failed and who was told instead (補行通報 only).
struct FallbackEvidence {
  std::string reason_class;  // a LinkReason name: "connect", "timeout", "tls_identity", "power", ...
  std::string reason;        // for people
  std::optional<OffsetTime> outage_began_at;
  std::vector<FallbackNotification> notifications;
};

struct Submission {
  std::string report_id;  // UUID
  int revision = 1;       // a stage's own version for the stage kinds
  SubmissionKind kind = SubmissionKind::kInitial;
  OffsetTime aware_at;
  std::string report_json;  // the report (or stage document) as stored; sent as-is (canonicalised)
  int report_revision = 0;  // stage kinds: the report revision the document follows
  std::optional<OffsetTime> recorded_at;  // stage kinds: when the box stored it
  std::optional<FallbackEvidence> fallback;  // required for kLate
  // Empty: SubmissionKey(*this). It must be the same on every retry and every
  // replay, and so must the body built from the rest.
  std::string idempotency_key;
};

std::string MakeIdempotencyKey(std::string_view report_id, int revision, SubmissionKind kind);
// The key `s` is sent under: MakeIdempotencyKey for every kind but kLate, whose
// key also names the evidence it carries ("<id>:<rev>:late:<first 16 hex of the
// body's SHA-256>"). The evidence grows while an outage lasts (a recipient
// confirmed after the first try), and a key sent again with other bytes is
// refused by the site for good (422 idempotency_key_reused); the site keeps one
// record per report revision whichever late key reaches it first.
Result<std::string> SubmissionKey(const Submission& s);

struct SiteReceipt {
  std::string receipt_no;   // 通報編號
  std::string received_at;  // as the site wrote it
  bool replayed = false;    // the site answered with its stored response
  int attempts = 0;
};

// What one attempt ended with, for the journal and the link monitor.
enum class AttemptClass {
  kAccepted,     // 2xx with a receipt
  kHttpStatus,   // any other HTTP status; see http_status
  kDns,
  kConnect,      // refused, unreachable
  kTimeout,      // connect or total timeout
  kTls,          // handshake failed (protocol, plain HTTP on the other side)
  kTlsIdentity,  // untrusted chain, wrong host name, pin mismatch: never retried
  kTransport,    // reset, closed, partial response after the request left
  kProtocol,     // a 2xx whose body is not a receipt
  kLocal,        // our own setup failed (out of memory, bad option)
  kCircuitOpen,  // not sent: the circuit breaker is open
};
std::string_view AttemptClassName(AttemptClass c);

struct SiteAttempt {
  std::string idempotency_key;  // "" for a health probe
  int attempt = 0;              // 1-based within one Submit
  std::string url;
  WallTime started_at;
};

struct SiteAttemptResult {
  std::string idempotency_key;
  int attempt = 0;
  AttemptClass outcome = AttemptClass::kLocal;
  int http_status = 0;  // 0 when no response arrived
  std::string detail;   // curl's error text or the site's error code
  MonoTime finished_at;
  std::chrono::milliseconds elapsed{0};
  std::optional<std::chrono::milliseconds> retry_in;  // set when another attempt follows
};

// Implemented by the journal (and fed to the link monitor). The request of an
// attempt leaves only once OnAttemptStart calls `proceed` (the journal's entry
// for it is durable: every side effect is journaled before it starts);
// OnAttemptEnd is called once its outcome is known. `proceed` is called at
// most once, on the io_context thread.
class SiteAttemptObserver {
 public:
  virtual ~SiteAttemptObserver() = default;
  virtual void OnAttemptStart(const SiteAttempt& attempt, std::function<void()> proceed) = 0;
  virtual void OnAttemptEnd(const SiteAttemptResult& result) = 0;
};

struct SiteOptions {
  std::string base_url;           // "https://site.example:443"; no trailing slash needed
  std::string ca_file;            // PEM bundle; empty: the system's
  std::string pinned_public_key;  // "sha256//base64[;sha256//...]"; empty: no pin
  bool allow_plain_http = false;  // tests only; otherwise http:// is refused
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds total_timeout{20000};
  int max_attempts = 8;  // per Submit; the store keeps the rest for replay
  std::chrono::milliseconds backoff_base{500};
  std::chrono::milliseconds backoff_cap{60000};
  std::chrono::milliseconds max_retry_after{300000};  // a longer Retry-After ends the Submit
  int breaker_threshold = 5;  // consecutive link failures that open the breaker
  std::chrono::milliseconds breaker_open_for{30000};
  int max_connections = 8;
  uint64_t jitter_seed = 0;  // 0: random
  std::string user_agent = "lifeline/0.1";
};

class SiteClient {
 public:
  using SubmitCallback = std::function<void(Result<SiteReceipt>)>;
  using ProbeCallback = std::function<void(const SiteAttemptResult&)>;

  // Fails on a malformed base URL, http:// without allow_plain_http, or curl setup.
  static Result<std::unique_ptr<SiteClient>> Create(asio::io_context& io, const Clock& clock,
                                                    SiteOptions options,
                                                    SiteAttemptObserver* observer);
  virtual ~SiteClient() = default;

  // Sends `s` until the site acknowledges it, a permanent failure, or
  // max_attempts. Errors: kPermissionDenied (TLS identity), kInvalidArgument
  // (the site refused the request, e.g. 422), kUnavailable (not delivered),
  // kUnknownOutcome (the last attempt may have reached the site: replay it).
  virtual void Submit(Submission s, SubmitCallback done) = 0;
  // One GET of the health endpoint: no retry, no breaker. For the link monitor.
  virtual void Probe(ProbeCallback done) = 0;
  virtual size_t in_flight() const = 0;
};

// The store's view of what has not been acknowledged yet (implemented by the store).
class PendingSubmissions {
 public:
  virtual ~PendingSubmissions() = default;
  // Every submission the site has not acknowledged; any order (the replayer sorts).
  virtual Result<std::vector<Submission>> ListUnacknowledged() = 0;
  // Stores the receipt; after this the submission is no longer listed.
  virtual Status MarkAcknowledged(const Submission& s, const SiteReceipt& receipt) = 0;
};

struct ReplayOptions {
  int max_concurrency = 8;
  // After a failure that says the link is down again, start nothing new.
  bool stop_on_link_failure = true;
};

struct ReplaySummary {
  size_t listed = 0, acknowledged = 0, failed = 0, not_started = 0;
  Status first_error;
};

// Drains PendingSubmissions oldest aware_at first, at most max_concurrency at a
// time over the client's reused connections. One Drain at a time.
class Replayer {
 public:
  Replayer(SiteClient& client, PendingSubmissions& pending, ReplayOptions options);
  ~Replayer();
  void Drain(std::function<void(const ReplaySummary&)> done);
  bool draining() const;

 private:
  struct Run;
  void StartNext(const std::shared_ptr<Run>& run);
  void Finish(const std::shared_ptr<Run>& run, size_t index, Result<SiteReceipt> r);

  SiteClient& client_;
  PendingSubmissions& pending_;
  ReplayOptions options_;
  std::shared_ptr<Run> run_;
};

}  // namespace lifeline
