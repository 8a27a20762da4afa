// SiteClient's implementation: one libcurl easy handle per attempt on a shared
// multi handle (so connections and TLS sessions are reused), retries scheduled
// on Asio timers, every attempt reported to the observer.
#include <curl/curl.h>
#include <mbedtls/sha256.h>

#include <asio.hpp>
#include <random>

#include "daemon/core/log.h"
#include "daemon/site/curl_multi.h"
#include "daemon/site/policy.h"
#include "daemon/site/site.h"

#include <mbedtls/sha256.h>
#include "daemon/site/wire.h"

namespace lifeline {
namespace site_internal {
namespace {

using std::chrono::milliseconds;

// One HTTP exchange: the easy handle and the buffers curl reads and writes.
struct Transfer {
  ~Transfer() {
    if (easy) curl_easy_cleanup(easy);
    curl_slist_free_all(headers);
  }
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  std::string url, request, response, retry_after;
  bool replayed = false;  // Idempotent-Replayed: true
  char error[CURL_ERROR_SIZE] = {};
  MonoTime started;
};

size_t OnBody(char* data, size_t size, size_t n, void* t) {
  auto* tr = static_cast<Transfer*>(t);
  if (tr->response.size() + size * n > (1u << 20)) return 0;  // a receipt is small
  tr->response.append(data, size * n);
  return size * n;
}

// The value of header `lower_name` ("retry-after") if `line` is that header.
std::optional<std::string> HeaderValue(std::string_view line, std::string_view lower_name) {
  if (line.size() <= lower_name.size() || line[lower_name.size()] != ':') return std::nullopt;
  for (size_t i = 0; i < lower_name.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(line[i])) != lower_name[i]) return std::nullopt;
  }
  std::string_view v = line.substr(lower_name.size() + 1);
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' ')) v.remove_suffix(1);
  return std::string(v);
}

size_t OnHeader(char* data, size_t size, size_t n, void* t) {
  auto* tr = static_cast<Transfer*>(t);
  std::string_view line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) {  // a new response (e.g. after 100 Continue)
    tr->retry_after.clear();
    tr->replayed = false;
  }
  if (auto v = HeaderValue(line, "retry-after")) tr->retry_after = *v;
  if (auto v = HeaderValue(line, "idempotent-replayed")) tr->replayed = *v == "true";
  return size * n;
}

struct Job {
  Submission sub;
  std::string body;
  SiteClient::SubmitCallback done;
  int attempt = 0;
  std::unique_ptr<asio::steady_timer> timer;
};

class SiteClientImpl final : public SiteClient {
 public:
  SiteClientImpl(asio::io_context& io, const Clock& clock, SiteOptions o, SiteAttemptObserver* obs,
                 std::unique_ptr<CurlMulti> multi)
      : io_(io), clock_(clock), opts_(std::move(o)), observer_(obs), multi_(std::move(multi)),
        breaker_(opts_.breaker_threshold, opts_.breaker_open_for),
        rng_(opts_.jitter_seed ? opts_.jitter_seed : std::random_device{}()) {}
  ~SiteClientImpl() override { multi_.reset(); }

  void Submit(Submission s, SubmitCallback done) override;
  void Probe(ProbeCallback done) override;
  size_t in_flight() const override { return jobs_; }

 private:
  std::unique_ptr<Transfer> NewTransfer(const std::string& path);
  void StartAttempt(const std::shared_ptr<Job>& job);
  void OnAttemptDone(const std::shared_ptr<Job>& job, const Transfer& t, CURLcode rc);
  SiteAttemptResult Describe(const Transfer& t, CURLcode rc, AttemptClass* cls);
  void Finish(const std::shared_ptr<Job>& job, Result<SiteReceipt> r);
  void Retry(const std::shared_ptr<Job>& job, milliseconds delay);
  Result<milliseconds> RetryDelay(int attempt, const std::string& retry_after);
  Status FinalStatus(const SiteAttemptResult& last, Verdict v);

  asio::io_context& io_;
  const Clock& clock_;
  SiteOptions opts_;
  SiteAttemptObserver* observer_;
  std::unique_ptr<CurlMulti> multi_;
  CircuitBreaker breaker_;
  std::mt19937_64 rng_;
  size_t jobs_ = 0;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

std::unique_ptr<Transfer> SiteClientImpl::NewTransfer(const std::string& path) {
  auto t = std::make_unique<Transfer>();
  t->easy = curl_easy_init();
  if (!t->easy) return nullptr;
  t->url = opts_.base_url + path;
  CURL* e = t->easy;
  curl_easy_setopt(e, CURLOPT_URL, t->url.c_str());
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, opts_.allow_plain_http ? "http,https" : "https");
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(e, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
  if (!opts_.ca_file.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, opts_.ca_file.c_str());
  if (!opts_.pinned_public_key.empty()) {
    curl_easy_setopt(e, CURLOPT_PINNEDPUBLICKEY, opts_.pinned_public_key.c_str());
  }
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(opts_.connect_timeout.count()));
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(opts_.total_timeout.count()));
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(e, CURLOPT_USERAGENT, opts_.user_agent.c_str());
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->error);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, t.get());
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, t.get());
  t->headers = curl_slist_append(t->headers, "Accept: application/json");
  t->started = clock_.Monotonic();
  return t;
}

void SiteClientImpl::Submit(Submission s, SubmitCallback done) {
  if (s.idempotency_key.empty()) {
    auto key = SubmissionKey(s);
    s.idempotency_key = key.ok() ? *key : MakeIdempotencyKey(s.report_id, s.revision, s.kind);  // BuildBody fails it below
  }
  Result<std::string> body = BuildBody(s);
  auto job = std::make_shared<Job>();
  job->done = std::move(done);
  job->sub = std::move(s);
  ++jobs_;
  if (!body.ok()) {
    Finish(job, body.status());
    return;
  }
  job->body = std::move(body).value();
  job->timer = std::make_unique<asio::steady_timer>(io_);
  StartAttempt(job);
}

void SiteClientImpl::StartAttempt(const std::shared_ptr<Job>& job) {
  if (!breaker_.Allow(clock_.Monotonic())) {
    // Shed load while the site is failing; the store keeps the submission for replay.
    Finish(job, Unavailable("circuit breaker open after repeated link failures"));
    return;
  }
  std::unique_ptr<Transfer> t = NewTransfer(RequestPath(job->sub));
  if (!t) {
    Finish(job, Internal("curl_easy_init failed"));
    return;
  }
  t->request = job->body;
  curl_easy_setopt(t->easy, CURLOPT_POSTFIELDS, t->request.data());
  curl_easy_setopt(t->easy, CURLOPT_POSTFIELDSIZE, static_cast<long>(t->request.size()));
  for (const std::string& h : {std::string("Content-Type: application/json"),
                               "Idempotency-Key: " + job->sub.idempotency_key,
                               std::string("Expect:")}) {  // no 100-continue round trip
    t->headers = curl_slist_append(t->headers, h.c_str());
  }
  curl_easy_setopt(t->easy, CURLOPT_HTTPHEADER, t->headers);
  ++job->attempt;
  // shared_ptr: the transfer must live until curl's completion runs.
  std::shared_ptr<Transfer> owned(std::move(t));
  SiteAttempt attempt{job->sub.idempotency_key, job->attempt, owned->url, clock_.Now()};
  auto send = [this, alive = std::weak_ptr<int>(alive_), job, owned] {
    if (alive.expired()) return;
    owned->started = clock_.Monotonic();
    Status st = multi_->Add(owned->easy, [this, job, owned](CURLcode rc) { OnAttemptDone(job, *owned, rc); });
    if (!st.ok()) Finish(job, st);
  };
  if (observer_) return observer_->OnAttemptStart(attempt, send);
  send();
}

SiteAttemptResult SiteClientImpl::Describe(const Transfer& t, CURLcode rc, AttemptClass* cls) {
  long status = 0, verify = 0;
  curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_getinfo(t.easy, CURLINFO_SSL_VERIFYRESULT, &verify);
  SiteAttemptResult r;
  r.outcome = *cls = ClassifyTransfer(rc, status);
  r.http_status = static_cast<int>(status);
  r.finished_at = clock_.Monotonic();
  r.elapsed = std::chrono::duration_cast<milliseconds>(r.finished_at - t.started);
  if (rc != CURLE_OK) {
    r.detail = t.error[0] ? t.error : curl_easy_strerror(rc);
    if (*cls == AttemptClass::kTlsIdentity && verify != 0) {
      r.detail += " (X.509 verify result " + std::to_string(verify) + ")";
    }
  } else if (*cls == AttemptClass::kHttpStatus) {
    r.detail = ParseErrorCode(t.response);
  }
  return r;
}

void SiteClientImpl::OnAttemptDone(const std::shared_ptr<Job>& job, const Transfer& t,
                                   CURLcode rc) {
  AttemptClass cls;
  SiteAttemptResult r = Describe(t, rc, &cls);
  r.idempotency_key = job->sub.idempotency_key;
  r.attempt = job->attempt;
  std::optional<ParsedReceipt> receipt;
  if (cls == AttemptClass::kAccepted) {
    Result<ParsedReceipt> p = ParseReceipt(t.response);
    if (p.ok()) {
      receipt = std::move(p).value();
    } else {
      r.outcome = cls = AttemptClass::kProtocol;
      r.detail = p.status().message();
    }
  }
  breaker_.Record(r.finished_at, IsLinkFailure(cls, r.http_status));
  Verdict v = Judge(cls, r.http_status);
  if (v == Verdict::kRetry && job->attempt < opts_.max_attempts) {
    Result<milliseconds> delay = RetryDelay(job->attempt, t.retry_after);
    if (delay.ok()) r.retry_in = *delay;
    if (!delay.ok()) r.detail += " (" + delay.status().message() + ")";
    if (observer_) observer_->OnAttemptEnd(r);
    if (delay.ok()) Retry(job, *delay);
    if (!delay.ok()) Finish(job, delay.status());
    return;
  }
  if (observer_) observer_->OnAttemptEnd(r);
  if (v != Verdict::kDone) {
    Finish(job, FinalStatus(r, v));
    return;
  }
  Finish(job, SiteReceipt{receipt->receipt_no, receipt->received_at, t.replayed, job->attempt});
}

// Full-jitter backoff, stretched to the site's Retry-After; a Retry-After
// beyond max_retry_after ends the Submit (the store keeps it for replay).
Result<milliseconds> SiteClientImpl::RetryDelay(int attempt, const std::string& retry_after) {
  milliseconds delay = FullJitter(attempt, opts_.backoff_base, opts_.backoff_cap, &rng_);
  if (retry_after.empty()) return delay;
  Result<milliseconds> ra = ParseRetryAfter(retry_after, clock_.Now());
  if (!ra.ok()) return delay;  // unreadable: our own backoff still applies
  if (*ra > opts_.max_retry_after) {
    return Unavailable("site asked to retry after " + std::to_string(ra->count() / 1000) +
                       " s, beyond max_retry_after");
  }
  return std::max(delay, *ra);
}

Status SiteClientImpl::FinalStatus(const SiteAttemptResult& last, Verdict v) {
  std::string what = std::string(AttemptClassName(last.outcome));
  if (last.http_status) what += " " + std::to_string(last.http_status);
  if (!last.detail.empty()) what += ": " + last.detail;
  switch (v) {
    case Verdict::kIdentity:
      return {StatusCode::kPermissionDenied, "the site's TLS identity was refused: " + what};
    case Verdict::kPermanent:
      if (last.outcome == AttemptClass::kLocal) return Internal(what);
      return InvalidArgument("the site refused the submission: " + what);
    default: break;
  }
  // The request may have reached the site after a timeout or a cut response.
  bool maybe_sent = last.outcome == AttemptClass::kTimeout ||
                    last.outcome == AttemptClass::kTransport ||
                    last.outcome == AttemptClass::kProtocol;
  std::string msg = "not acknowledged after " + std::to_string(last.attempt) + " attempts; last " +
                    what;
  return maybe_sent ? Status(StatusCode::kUnknownOutcome, msg) : Unavailable(msg);
}

void SiteClientImpl::Retry(const std::shared_ptr<Job>& job, milliseconds delay) {
  job->timer->expires_after(delay);
  std::weak_ptr<int> alive = alive_;
  job->timer->async_wait([this, alive, job](const asio::error_code& ec) {
    if (alive.expired() || ec) return;
    StartAttempt(job);
  });
}

void SiteClientImpl::Finish(const std::shared_ptr<Job>& job, Result<SiteReceipt> r) {
  --jobs_;
  // Posted: a callback never runs inside Submit, and may submit again.
  std::weak_ptr<int> alive = alive_;
  asio::post(io_, [alive, done = std::move(job->done), r = std::move(r)]() mutable {
    if (!alive.expired() && done) done(std::move(r));
  });
}

void SiteClientImpl::Probe(ProbeCallback done) {
  std::shared_ptr<Transfer> t(NewTransfer("/v1/health"));
  if (!t) {
    SiteAttemptResult r;
    r.detail = "curl_easy_init failed";
    asio::post(io_, [done, r] { done(r); });
    return;
  }
  curl_easy_setopt(t->easy, CURLOPT_HTTPGET, 1L);
  curl_easy_setopt(t->easy, CURLOPT_HTTPHEADER, t->headers);
  Status st = multi_->Add(t->easy, [this, t, done](CURLcode rc) {
    AttemptClass cls;
    SiteAttemptResult r = Describe(*t, rc, &cls);
    // A probe that reached a working site closes an open breaker: without this,
    // submissions stay refused for breaker_open_for after the link came back.
    if (!IsLinkFailure(cls, r.http_status)) breaker_.Record(r.finished_at, false);
    done(r);
  });
  if (!st.ok()) {
    SiteAttemptResult r;
    r.detail = st.message();
    asio::post(io_, [done, r] { done(r); });
  }
}

Status ValidateOptions(const SiteOptions& o) {
  bool https = o.base_url.rfind("https://", 0) == 0;
  bool http = o.base_url.rfind("http://", 0) == 0;
  if (!https && !http) return InvalidArgument("site base_url must start with https://");
  if (http && !o.allow_plain_http) {
    return InvalidArgument("site base_url is plain http:// but allow_plain_http is off");
  }
  if (o.base_url.find_first_of(" \t\r\n?#") != std::string::npos) {
    return InvalidArgument("site base_url must be scheme://host[:port][/prefix]");
  }
  if (o.max_attempts < 1 || o.breaker_threshold < 1 || o.max_connections < 1) {
    return InvalidArgument("max_attempts, breaker_threshold and max_connections must be >= 1");
  }
  if (o.connect_timeout.count() <= 0 || o.total_timeout.count() <= 0 ||
      o.backoff_base.count() <= 0 || o.backoff_cap < o.backoff_base) {
    return InvalidArgument("timeouts and backoff must be positive, cap >= base");
  }
  return Status::Ok();
}

}  // namespace
}  // namespace site_internal

Result<std::unique_ptr<SiteClient>> SiteClient::Create(asio::io_context& io, const Clock& clock,
                                                       SiteOptions options,
                                                       SiteAttemptObserver* observer) {
  LIFELINE_RETURN_IF_ERROR(site_internal::ValidateOptions(options));
  while (!options.base_url.empty() && options.base_url.back() == '/') options.base_url.pop_back();
  auto multi = site_internal::CurlMulti::Create(io, options.max_connections);
  if (!multi.ok()) return multi.status();
  return std::unique_ptr<SiteClient>(new site_internal::SiteClientImpl(
      io, clock, std::move(options), observer, std::move(multi).value()));
}

std::string_view SubmissionKindName(SubmissionKind kind) {
  switch (kind) {
    case SubmissionKind::kInitial: return "initial";
    case SubmissionKind::kRevision: return "revision";
    case SubmissionKind::kLate: return "late";
    case SubmissionKind::kDamageControl: return "damage-control";
    case SubmissionKind::kClosing: return "closing";
  }
  return "initial";
}

bool IsStageKind(SubmissionKind kind) {
  return kind == SubmissionKind::kDamageControl || kind == SubmissionKind::kClosing;
}

std::string MakeIdempotencyKey(std::string_view report_id, int revision, SubmissionKind kind) {
  return std::string(report_id) + ":" + std::to_string(revision) + ":" +
         std::string(SubmissionKindName(kind));
}

Result<std::string> SubmissionKey(const Submission& s) {
  std::string key = MakeIdempotencyKey(s.report_id, s.revision, s.kind);
  if (s.kind != SubmissionKind::kLate) return key;
  Result<std::string> body = site_internal::BuildBody(s);
  if (!body.ok()) return body.status();
  unsigned char digest[32];
  mbedtls_sha256_ret(reinterpret_cast<const unsigned char*>(body->data()), body->size(), digest, 0);
  static const char kHex[] = "0123456789abcdef";
  key += ':';
  for (int i = 0; i < 8; ++i) {
    key += kHex[digest[i] >> 4];
    key += kHex[digest[i] & 15];
  }
  return key;
}

std::string_view AttemptClassName(AttemptClass c) {
  switch (c) {
    case AttemptClass::kAccepted: return "accepted";
    case AttemptClass::kHttpStatus: return "http_status";
    case AttemptClass::kDns: return "dns";
    case AttemptClass::kConnect: return "connect";
    case AttemptClass::kTimeout: return "timeout";
    case AttemptClass::kTls: return "tls";
    case AttemptClass::kTlsIdentity: return "tls_identity";
    case AttemptClass::kTransport: return "transport";
    case AttemptClass::kProtocol: return "protocol";
    case AttemptClass::kLocal: return "local";
    case AttemptClass::kCircuitOpen: return "circuit_open";
  }
  return "unknown";
}

}  // namespace lifeline
