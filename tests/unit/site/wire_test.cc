#include "daemon/site/wire.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace lifeline::site_internal {
namespace {

using std::chrono::milliseconds;

Submission Late() {
  Submission s;
  s.report_id = "123e4567-e89b-42d3-a456-426614174000";
  s.revision = 2;
  s.kind = SubmissionKind::kLate;
  s.aware_at = *ParseRfc3339("2026-11-21T09:58:00+08:00");
  s.report_json = R"({"z":1, "a":{"y":2,"b":3}})";
  s.fallback = FallbackEvidence{"connect", "連線被拒", std::nullopt,
                                {{"上級機關", "fax", s.aware_at, "MCF"}}};
  return s;
}

TEST(WireTest, PathsFollowTheKind) {
  Submission s = Late();
  EXPECT_EQ(RequestPath(s), "/v1/reports/123e4567-e89b-42d3-a456-426614174000/late-submissions");
  s.kind = SubmissionKind::kRevision;
  EXPECT_EQ(RequestPath(s), "/v1/reports/123e4567-e89b-42d3-a456-426614174000/revisions");
  s.kind = SubmissionKind::kInitial;
  EXPECT_EQ(RequestPath(s), "/v1/reports");
}

TEST(WireTest, BodyIsCanonicalWhateverTheReportSpacing) {
  Submission a = Late(), b = Late();
  b.report_json = "{ \"a\" : { \"b\":3, \"y\":2 },\n \"z\" : 1 }";
  Result<std::string> ba = BuildBody(a), bb = BuildBody(b);
  ASSERT_TRUE(ba.ok() && bb.ok());
  EXPECT_EQ(*ba, *bb);
  auto j = nlohmann::json::parse(*ba);
  EXPECT_EQ(j["kind"], "late");
  EXPECT_EQ(j["aware_at"], "2026-11-21T09:58:00+08:00");
  EXPECT_EQ(j["fallback"]["notifications"][0]["channel"], "fax");
  EXPECT_EQ(j["fallback"]["reason"], "連線被拒");
}

// A late submission's key names its evidence: the same bytes on every retry
// give the same key, and evidence that grew (a recipient confirmed after a try
// the site recorded) gives another, so the site never sees a key again with
// other bytes (it would refuse that for good as a reused key).
TEST(WireTest, ALateSubmissionsKeyFollowsItsEvidence) {
  Submission a = Late(), b = Late();
  b.report_json = "{ \"a\" : { \"b\":3, \"y\":2 },\n \"z\" : 1 }";  // same document, other spacing
  auto ka = SubmissionKey(a), kb = SubmissionKey(b);
  ASSERT_TRUE(ka.ok() && kb.ok());
  EXPECT_EQ(*ka, *kb);
  EXPECT_EQ(ka->rfind("123e4567-e89b-42d3-a456-426614174000:2:late:", 0), 0u) << *ka;
  EXPECT_EQ(ka->size(), std::string("123e4567-e89b-42d3-a456-426614174000:2:late:").size() + 16);
  Submission grown = Late();
  grown.fallback->notifications.push_back({"技術服務中心", "phone", grown.aware_at, "answered"});
  auto kg = SubmissionKey(grown);
  ASSERT_TRUE(kg.ok());
  EXPECT_NE(*kg, *ka);
  Submission initial = Late();
  initial.kind = SubmissionKind::kInitial;
  EXPECT_EQ(*SubmissionKey(initial), "123e4567-e89b-42d3-a456-426614174000:2:initial") << "other kinds keep their key";
  Submission empty = Late();
  empty.fallback.reset();
  EXPECT_FALSE(SubmissionKey(empty).ok()) << "a late submission without evidence has no key";
}

TEST(WireTest, BadSubmissionsAreRefusedWithAReason) {
  Submission s = Late();
  s.report_json = "[1,2]";
  EXPECT_EQ(BuildBody(s).status().code(), StatusCode::kInvalidArgument);
  s = Late();
  s.fallback.reset();
  EXPECT_EQ(BuildBody(s).status().code(), StatusCode::kInvalidArgument);
  s = Late();
  s.report_id = "not-a-uuid";
  EXPECT_EQ(BuildBody(s).status().code(), StatusCode::kInvalidArgument);
  s = Late();
  s.kind = SubmissionKind::kInitial;  // revision 2 cannot be initial
  EXPECT_EQ(BuildBody(s).status().code(), StatusCode::kInvalidArgument);
}

TEST(WireTest, ReceiptParsing) {
  auto r = ParseReceipt(R"({"receipt_no":"SIM-20261121-000001","received_at":"x"})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->receipt_no, "SIM-20261121-000001");
  EXPECT_FALSE(ParseReceipt("").ok());
  EXPECT_FALSE(ParseReceipt("{\"receipt_no\":5}").ok());
  EXPECT_FALSE(ParseReceipt("{\"receipt_no\":\"\"}").ok());
  EXPECT_FALSE(ParseReceipt("<html>").ok());
  EXPECT_EQ(ParseErrorCode(R"({"error":"idempotency_key_reused"})"), "idempotency_key_reused");
  EXPECT_EQ(ParseErrorCode("garbage"), "");
}

TEST(WireTest, HttpDateInAllThreeForms) {
  WallTime expect = ParseRfc3339("1994-11-06T08:49:37Z")->instant;
  for (const char* t : {"Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT",
                        "Sun Nov  6 08:49:37 1994"}) {
    Result<WallTime> w = ParseHttpDate(t);
    ASSERT_TRUE(w.ok()) << t;
    EXPECT_EQ(*w, expect) << t;
  }
  for (const char* bad : {"", "Sun, 31 Feb 1994 08:49:37 GMT", "Sun, 06 Nov 1994 25:49:37 GMT",
                          "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 PST",
                          "Sun, 06 Nov 1994 08:49:37 GMT trailing"}) {
    EXPECT_FALSE(ParseHttpDate(bad).ok()) << bad;
  }
}

TEST(WireTest, RetryAfterBothForms) {
  WallTime now = ParseRfc3339("1994-11-06T08:49:30Z")->instant;
  EXPECT_EQ(*ParseRetryAfter("120", now), milliseconds(120000));
  EXPECT_EQ(*ParseRetryAfter(" 0 ", now), milliseconds(0));
  EXPECT_EQ(*ParseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", now), milliseconds(7000));
  EXPECT_EQ(*ParseRetryAfter("Sun, 06 Nov 1994 08:00:00 GMT", now), milliseconds(0));
  EXPECT_FALSE(ParseRetryAfter("-5", now).ok());
  EXPECT_FALSE(ParseRetryAfter("99999999999", now).ok());
  EXPECT_FALSE(ParseRetryAfter("soon", now).ok());
}

}  // namespace
}  // namespace lifeline::site_internal
