// The site client against a real site-sim over HTTPS on loopback: receipts,
// retries through injected faults with exactly one ledger record per key, and
// TLS identity failures that are refused and never retried into success.
#include <gtest/gtest.h>

#include <asio.hpp>
#include <map>

#include "daemon/core/clock.h"
#include "daemon/site/site.h"
#include "tests/integration/site/site_sim_process.h"

namespace lifeline {
namespace {

using std::chrono::milliseconds;

// Records every attempt; with `hold` set it keeps each attempt's go-ahead
// instead of giving it, as a journal whose entry has not committed yet would.
class RecordingObserver : public SiteAttemptObserver {
 public:
  void OnAttemptStart(const SiteAttempt& a, std::function<void()> proceed) override {
    starts.push_back(a);
    if (hold) held.push_back(std::move(proceed));
    else proceed();
  }
  bool hold = false;
  std::vector<std::function<void()>> held;
  void OnAttemptEnd(const SiteAttemptResult& r) override { ends.push_back(r); }
  std::vector<SiteAttempt> starts;
  std::vector<SiteAttemptResult> ends;
};

Submission MakeSubmission(int n, SubmissionKind kind = SubmissionKind::kInitial, int revision = 1) {
  char id[40];
  std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012d", n);
  Submission s;
  s.report_id = id;
  s.revision = revision;
  s.kind = kind;
  s.aware_at = *ParseRfc3339("2026-11-21T09:58:00+08:00");
  s.aware_at.instant += std::chrono::seconds(n);
  s.report_json = R"({"schema_version":"lifeline.report/1","description":"測試事件"})";
  if (kind == SubmissionKind::kLate) {
    s.fallback = FallbackEvidence{"connect", "site unreachable: connection refused",
                                  s.aware_at, {{"superior agency", "fax", s.aware_at, "MCF"}}};
  }
  return s;
}

class SiteClientTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(sim_.ready()) << "site-sim did not start"; }

  SiteOptions Options() {
    SiteOptions o;
    o.base_url = sim_.base_url();
    o.ca_file = sim_.ca();
    o.connect_timeout = milliseconds(2000);
    o.total_timeout = milliseconds(3000);
    o.backoff_base = milliseconds(20);
    o.backoff_cap = milliseconds(200);
    o.max_attempts = 6;
    o.breaker_threshold = 50;
    o.jitter_seed = 7;
    return o;
  }

  std::unique_ptr<SiteClient> Client(SiteOptions o) {
    auto c = SiteClient::Create(io_, clock_, std::move(o), &observer_);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(c).value() : nullptr;
  }

  // Submits and runs the loop until the callback (bounded at 60 s).
  Result<SiteReceipt> SubmitAndWait(SiteClient& c, Submission s) {
    std::optional<Result<SiteReceipt>> out;
    c.Submit(std::move(s), [&](Result<SiteReceipt> r) { out.emplace(std::move(r)); });
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!out && std::chrono::steady_clock::now() < until) {
      io_.restart();  // run_for leaves the context stopped when it ran out of work
      io_.run_for(milliseconds(50));
    }
    if (!out) return Status(StatusCode::kDeadlineExceeded, "no callback within 60 s");
    return *out;
  }

  testing::SiteSimProcess sim_;
  asio::io_context io_;
  SystemClock clock_;
  RecordingObserver observer_;
};

TEST_F(SiteClientTest, HealthySiteGivesReceiptsForEveryKind) {
  auto c = Client(Options());
  ASSERT_TRUE(c);
  std::vector<Submission> subs = {MakeSubmission(1), MakeSubmission(1, SubmissionKind::kRevision, 2),
                                  MakeSubmission(1, SubmissionKind::kLate, 2)};
  for (const Submission& s : subs) {
    Result<SiteReceipt> r = SubmitAndWait(*c, s);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->receipt_no.rfind("SIM-", 0), 0u) << r->receipt_no;
    EXPECT_EQ(r->attempts, 1);
    EXPECT_FALSE(r->replayed);
    // A late submission of revision 2, already on record, is an addendum, not a record.
    bool addendum = s.kind == SubmissionKind::kLate;
    EXPECT_EQ(sim_.CountKey(MakeIdempotencyKey(s.report_id, s.revision, s.kind)), addendum ? 0 : 1);
  }
  EXPECT_EQ(sim_.CountReport(subs[0].report_id), 2) << "one site record per report revision";
  ASSERT_EQ(observer_.starts.size(), 3u);
  ASSERT_EQ(observer_.ends.size(), 3u);
  EXPECT_EQ(observer_.ends[1].http_status, 201);
  EXPECT_EQ(observer_.ends[2].outcome, AttemptClass::kAccepted);
  EXPECT_EQ(observer_.ends[2].http_status, 200) << "answered with revision 2's own receipt";
}

// Invariant 3: the request leaves only after the observer (the journal) said
// its entry is durable.
TEST_F(SiteClientTest, NoRequestLeavesBeforeTheAttemptIsJournaled) {
  auto c = Client(Options());
  ASSERT_TRUE(c);
  observer_.hold = true;
  Submission s = MakeSubmission(30);
  std::optional<Result<SiteReceipt>> out;
  c->Submit(s, [&](Result<SiteReceipt> r) { out.emplace(std::move(r)); });
  for (int i = 0; i < 10; ++i) {
    io_.restart();
    io_.run_for(milliseconds(50));
  }
  ASSERT_EQ(observer_.held.size(), 1u);
  EXPECT_FALSE(out.has_value());
  EXPECT_EQ(sim_.CountReport(s.report_id), 0) << "the site saw a request nobody journaled";
  observer_.hold = false;
  observer_.held.front()();
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!out && std::chrono::steady_clock::now() < until) {
    io_.restart();
    io_.run_for(milliseconds(50));
  }
  ASSERT_TRUE(out.has_value());
  ASSERT_TRUE(out->ok()) << out->status().ToString();
  EXPECT_EQ(sim_.CountReport(s.report_id), 1);
}

TEST_F(SiteClientTest, ServerErrorsAreRetriedUntilAccepted) {
  auto c = Client(Options());
  ASSERT_EQ(sim_.SetFaults(R"({"error_count":3,"error_status":502})"), 200);
  Result<SiteReceipt> r = SubmitAndWait(*c, MakeSubmission(2));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->attempts, 4);
  ASSERT_EQ(observer_.ends.size(), 4u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(observer_.ends[i].outcome, AttemptClass::kHttpStatus);
    EXPECT_EQ(observer_.ends[i].http_status, 502);
    EXPECT_TRUE(observer_.ends[i].retry_in.has_value());
  }
  EXPECT_EQ(sim_.CountReport(MakeSubmission(2).report_id), 1);
}

TEST_F(SiteClientTest, RetryAfterSecondsIsHonoured) {
  auto c = Client(Options());
  ASSERT_EQ(sim_.SetFaults(R"({"throttle_count":1,"retry_after_seconds":1})"), 200);
  Result<SiteReceipt> r = SubmitAndWait(*c, MakeSubmission(3));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(observer_.ends.size(), 2u);
  EXPECT_EQ(observer_.ends[0].http_status, 429);
  ASSERT_TRUE(observer_.ends[0].retry_in);
  // The jittered backoff is at most 200 ms here, so the wait came from Retry-After.
  EXPECT_GE(*observer_.ends[0].retry_in, milliseconds(1000));
  EXPECT_EQ(sim_.CountKey(MakeIdempotencyKey(MakeSubmission(3).report_id, 1,
                                             SubmissionKind::kInitial)), 1);
}

TEST_F(SiteClientTest, RetryAfterHttpDateIsHonoured) {
  auto c = Client(Options());
  ASSERT_EQ(sim_.SetFaults(
                R"({"throttle_count":1,"retry_after_seconds":3,"retry_after_form":"http-date"})"),
            200);
  Result<SiteReceipt> r = SubmitAndWait(*c, MakeSubmission(4));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(observer_.ends.size(), 2u);
  ASSERT_TRUE(observer_.ends[0].retry_in);
  // An HTTP-date has whole seconds: now+3 s truncated is at least 2 s away.
  EXPECT_GE(*observer_.ends[0].retry_in, milliseconds(1000));
}

TEST_F(SiteClientTest, RetryAfterBeyondLimitEndsTheSubmit) {
  SiteOptions o = Options();
  o.max_retry_after = milliseconds(5000);
  auto c = Client(o);
  ASSERT_EQ(sim_.SetFaults(R"({"throttle_count":1,"retry_after_seconds":3600})"), 200);
  Result<SiteReceipt> r = SubmitAndWait(*c, MakeSubmission(5));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(observer_.ends.size(), 1u);
}

TEST_F(SiteClientTest, StalledRequestTimesOutThenIsAccepted) {
  SiteOptions o = Options();
  o.total_timeout = milliseconds(800);
  auto c = Client(o);
  ASSERT_EQ(sim_.SetFaults(R"({"stall":1})"), 200);
  Result<SiteReceipt> r = SubmitAndWait(*c, MakeSubmission(6));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_GE(observer_.ends.size(), 2u);
  EXPECT_EQ(observer_.ends[0].outcome, AttemptClass::kTimeout);
  EXPECT_EQ(sim_.CountReport(MakeSubmission(6).report_id), 1);
}

// The request is recorded, then the response is cut: the retry carries the
// same key and body and gets the stored receipt, so the site holds one record.
TEST_F(SiteClientTest, ResetAfterCommitResolvesToOneRecord) {
  auto c = Client(Options());
  ASSERT_EQ(sim_.SetFaults(R"({"reset":1})"), 200);
  Result<SiteReceipt> r = SubmitAndWait(*c, MakeSubmission(7));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->replayed);
  EXPECT_EQ(r->attempts, 2);
  EXPECT_EQ(observer_.ends[0].outcome, AttemptClass::kTransport);
  EXPECT_EQ(sim_.CountReport(MakeSubmission(7).report_id), 1);
}

// What a restart does: a second client (new process, new connections) replays
// the same submission after the first may have reached the site.
TEST_F(SiteClientTest, ResubmissionFromANewClientGetsTheStoredReceipt) {
  Result<SiteReceipt> first = Status(StatusCode::kInternal, "unset");
  {
    auto c = Client(Options());
    first = SubmitAndWait(*c, MakeSubmission(8));
    ASSERT_TRUE(first.ok());
  }
  auto c2 = Client(Options());
  Result<SiteReceipt> again = SubmitAndWait(*c2, MakeSubmission(8));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(again->replayed);
  EXPECT_EQ(again->receipt_no, first->receipt_no);
  EXPECT_EQ(sim_.CountReport(MakeSubmission(8).report_id), 1);
}

TEST_F(SiteClientTest, SameKeyWithADifferentBodyIsRefusedNotRetried) {
  auto c = Client(Options());
  ASSERT_TRUE(SubmitAndWait(*c, MakeSubmission(9)).ok());
  Submission changed = MakeSubmission(9);
  changed.report_json = R"({"description":"changed"})";
  Result<SiteReceipt> r = SubmitAndWait(*c, changed);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("idempotency_key_reused"), std::string::npos);
  EXPECT_EQ(observer_.ends.back().http_status, 422);
  EXPECT_EQ(observer_.ends.size(), 2u);
}

class TlsIdentityTest : public SiteClientTest,
                        public ::testing::WithParamInterface<const char*> {};

TEST_P(TlsIdentityTest, RefusedOnceAndNeverRetried) {
  auto c = Client(Options());
  ASSERT_EQ(sim_.SetFaults(std::string(R"({"cert":")") + GetParam() + "\"}"), 200);
  Result<SiteReceipt> r = SubmitAndWait(*c, MakeSubmission(10));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied) << r.status().ToString();
  ASSERT_EQ(observer_.ends.size(), 1u);
  EXPECT_EQ(observer_.ends[0].outcome, AttemptClass::kTlsIdentity);
  EXPECT_FALSE(observer_.ends[0].retry_in);
  EXPECT_EQ(sim_.CountReport(MakeSubmission(10).report_id), 0);
}

INSTANTIATE_TEST_SUITE_P(Certs, TlsIdentityTest, ::testing::Values("wrong-host", "untrusted"));

TEST_F(SiteClientTest, PinnedKeyMismatchIsAnIdentityFailure) {
  SiteOptions o = Options();
  o.pinned_public_key = "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
  auto c = Client(o);
  Result<SiteReceipt> r = SubmitAndWait(*c, MakeSubmission(11));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(observer_.ends.size(), 1u);
  EXPECT_EQ(sim_.CountReport(MakeSubmission(11).report_id), 0);
}

TEST_F(SiteClientTest, PinnedKeyMatchIsAccepted) {
  SiteOptions o = Options();
  o.pinned_public_key = sim_.pin();
  auto c = Client(o);
  Result<SiteReceipt> r = SubmitAndWait(*c, MakeSubmission(12));
  EXPECT_TRUE(r.ok()) << r.status().ToString();
}

TEST_F(SiteClientTest, PlainHttpNeedsExplicitPermission) {
  SiteOptions o = Options();
  o.base_url = sim_.base_url("http");
  auto refused = SiteClient::Create(io_, clock_, o, &observer_);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  o.allow_plain_http = true;
  auto c = Client(o);
  ASSERT_EQ(sim_.SetFaults(R"({"tls":false})"), 200);
  Result<SiteReceipt> r = SubmitAndWait(*c, MakeSubmission(13));
  EXPECT_TRUE(r.ok()) << r.status().ToString();
}

TEST_F(SiteClientTest, HttpsAgainstAPlainServerNeverSucceeds) {
  SiteOptions o = Options();
  o.max_attempts = 2;
  auto c = Client(o);
  ASSERT_EQ(sim_.SetFaults(R"({"tls":false})"), 200);
  Result<SiteReceipt> r = SubmitAndWait(*c, MakeSubmission(14));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(observer_.ends[0].outcome, AttemptClass::kTls);
  EXPECT_EQ(sim_.CountReport(MakeSubmission(14).report_id), 0);
}

TEST_F(SiteClientTest, RefusedConnectionsEndUnavailable) {
  SiteOptions o = Options();
  o.max_attempts = 3;
  auto c = Client(o);
  ASSERT_EQ(sim_.SetFaults(R"({"refuse":true})"), 200);
  Result<SiteReceipt> r = SubmitAndWait(*c, MakeSubmission(15));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  ASSERT_EQ(observer_.ends.size(), 3u);
  EXPECT_EQ(observer_.ends[0].outcome, AttemptClass::kConnect);
}

// A name that cannot resolve (RFC 6761 .invalid). This also drives curl's
// threaded resolver, whose wake-up socket the multi reports without having
// opened it through us.
TEST_F(SiteClientTest, UnresolvableNameIsADnsFailure) {
  SiteOptions o = Options();
  o.base_url = "https://lifeline-test.invalid:" + std::to_string(sim_.api_port());
  o.max_attempts = 2;
  auto c = Client(o);
  Result<SiteReceipt> r = SubmitAndWait(*c, MakeSubmission(17));
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(observer_.ends.size(), 2u);
  // kTimeout only where a configured resolver does not answer within 2 s.
  EXPECT_TRUE(observer_.ends[0].outcome == AttemptClass::kDns ||
              observer_.ends[0].outcome == AttemptClass::kTimeout)
      << AttemptClassName(observer_.ends[0].outcome);
}

TEST_F(SiteClientTest, CircuitBreakerShedsLoadAfterRepeatedFailures) {
  SiteOptions o = Options();
  o.breaker_threshold = 2;
  o.breaker_open_for = milliseconds(60000);
  o.max_attempts = 5;
  auto c = Client(o);
  ASSERT_EQ(sim_.SetFaults(R"({"error_count":-1})"), 200);
  Result<SiteReceipt> r = SubmitAndWait(*c, MakeSubmission(16));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("circuit breaker"), std::string::npos);
  EXPECT_EQ(observer_.ends.size(), 2u);  // the breaker stopped the third attempt
}

}  // namespace
}  // namespace lifeline
