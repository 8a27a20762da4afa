#include "daemon/site/policy.h"

#include <gtest/gtest.h>

namespace lifeline::site_internal {
namespace {

using std::chrono::milliseconds;

TEST(PolicyTest, ClassifiesCurlResults) {
  EXPECT_EQ(ClassifyTransfer(CURLE_OK, 201), AttemptClass::kAccepted);
  EXPECT_EQ(ClassifyTransfer(CURLE_OK, 503), AttemptClass::kHttpStatus);
  EXPECT_EQ(ClassifyTransfer(CURLE_COULDNT_RESOLVE_HOST, 0), AttemptClass::kDns);
  EXPECT_EQ(ClassifyTransfer(CURLE_COULDNT_CONNECT, 0), AttemptClass::kConnect);
  EXPECT_EQ(ClassifyTransfer(CURLE_OPERATION_TIMEDOUT, 0), AttemptClass::kTimeout);
  EXPECT_EQ(ClassifyTransfer(CURLE_PEER_FAILED_VERIFICATION, 0), AttemptClass::kTlsIdentity);
  EXPECT_EQ(ClassifyTransfer(CURLE_SSL_PINNEDPUBKEYNOTMATCH, 0), AttemptClass::kTlsIdentity);
  EXPECT_EQ(ClassifyTransfer(CURLE_SSL_CONNECT_ERROR, 0), AttemptClass::kTls);
  EXPECT_EQ(ClassifyTransfer(CURLE_RECV_ERROR, 0), AttemptClass::kTransport);
  EXPECT_EQ(ClassifyTransfer(CURLE_GOT_NOTHING, 0), AttemptClass::kTransport);
  EXPECT_EQ(ClassifyTransfer(CURLE_SSL_CACERT_BADFILE, 0), AttemptClass::kLocal);
}

TEST(PolicyTest, JudgesWhatToRetry) {
  EXPECT_EQ(Judge(AttemptClass::kAccepted, 201), Verdict::kDone);
  EXPECT_EQ(Judge(AttemptClass::kTlsIdentity, 0), Verdict::kIdentity);
  for (int s : {408, 409, 425, 429, 500, 502, 503, 504}) {
    EXPECT_EQ(Judge(AttemptClass::kHttpStatus, s), Verdict::kRetry) << s;
  }
  for (int s : {400, 401, 403, 404, 413, 422}) {
    EXPECT_EQ(Judge(AttemptClass::kHttpStatus, s), Verdict::kPermanent) << s;
  }
  for (AttemptClass c : {AttemptClass::kDns, AttemptClass::kConnect, AttemptClass::kTimeout,
                         AttemptClass::kTls, AttemptClass::kTransport, AttemptClass::kProtocol}) {
    EXPECT_EQ(Judge(c, 0), Verdict::kRetry) << AttemptClassName(c);
  }
  EXPECT_TRUE(IsLinkFailure(AttemptClass::kHttpStatus, 503));
  EXPECT_FALSE(IsLinkFailure(AttemptClass::kHttpStatus, 422));
  EXPECT_FALSE(IsLinkFailure(AttemptClass::kHttpStatus, 429));
  EXPECT_TRUE(IsLinkFailure(AttemptClass::kConnect, 0));
}

TEST(PolicyTest, FullJitterStaysUnderTheExponentialCeilingAndTheCap) {
  std::mt19937_64 rng(1);
  for (int attempt = 1; attempt <= 40; ++attempt) {
    int64_t ceiling = std::min<int64_t>(100LL << std::min(attempt - 1, 30), 5000);
    for (int i = 0; i < 50; ++i) {
      milliseconds d = FullJitter(attempt, milliseconds(100), milliseconds(5000), &rng);
      EXPECT_GE(d.count(), 0);
      EXPECT_LE(d.count(), ceiling) << attempt;
    }
  }
}

TEST(PolicyTest, FullJitterSpreadsDelays) {
  std::mt19937_64 rng(2);
  std::set<int64_t> seen;
  for (int i = 0; i < 100; ++i) {
    seen.insert(FullJitter(6, milliseconds(100), milliseconds(60000), &rng).count());
  }
  EXPECT_GT(seen.size(), 50u);  // not a fixed schedule that synchronises clients
}

TEST(CircuitBreakerTest, OpensHalfOpensAndCloses) {
  CircuitBreaker b(3, milliseconds(1000));
  MonoTime t{};
  EXPECT_TRUE(b.Allow(t));
  b.Record(t, true);
  b.Record(t, true);
  EXPECT_EQ(b.state(), CircuitBreaker::State::kClosed);
  b.Record(t, true);
  EXPECT_EQ(b.state(), CircuitBreaker::State::kOpen);
  EXPECT_FALSE(b.Allow(t + milliseconds(999)));
  EXPECT_TRUE(b.Allow(t + milliseconds(1000)));   // the one trial
  EXPECT_FALSE(b.Allow(t + milliseconds(1001)));  // others wait for it
  b.Record(t + milliseconds(1100), true);         // trial failed: open again
  EXPECT_EQ(b.state(), CircuitBreaker::State::kOpen);
  EXPECT_FALSE(b.Allow(t + milliseconds(2000)));
  EXPECT_TRUE(b.Allow(t + milliseconds(2100)));
  b.Record(t + milliseconds(2200), false);
  EXPECT_EQ(b.state(), CircuitBreaker::State::kClosed);
  EXPECT_TRUE(b.Allow(t + milliseconds(2200)));
}

TEST(CircuitBreakerTest, SuccessResetsTheCount) {
  CircuitBreaker b(2, milliseconds(1000));
  MonoTime t{};
  b.Record(t, true);
  b.Record(t, false);
  b.Record(t, true);
  EXPECT_EQ(b.state(), CircuitBreaker::State::kClosed);
}

TEST(SiteNamesTest, KeysAndNames) {
  EXPECT_EQ(MakeIdempotencyKey("id", 3, SubmissionKind::kRevision), "id:3:revision");
  EXPECT_EQ(AttemptClassName(AttemptClass::kTlsIdentity), "tls_identity");
  EXPECT_EQ(SubmissionKindName(SubmissionKind::kLate), "late");
}

}  // namespace
}  // namespace lifeline::site_internal
