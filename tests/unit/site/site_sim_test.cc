// site-sim's pure parts: fault decisions and the API semantics (idempotency, validation) against a real SQLite ledger file.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "tools/site-sim/faults.h"
#include "tools/site-sim/http_message.h"
#include "tools/site-sim/ledger.h"
#include "tools/site-sim/site_api.h"

namespace sitesim {
namespace {

constexpr const char* kBody =
    R"({"api_version":"1","kind":"initial","report_id":"123e4567-e89b-42d3-a456-426614174000",)"
    R"("revision":1,"aware_at":"2026-11-21T09:58:00+08:00","report":{"a":1}})";

HttpRequest Post(const std::string& key, const std::string& body) {
  HttpRequest r;
  r.method = "POST";
  r.target = "/v1/reports";
  if (!key.empty()) r.headers.Add("idempotency-key", key);
  r.body = body;
  return r;
}

TEST(FaultsTest, CountersAreConsumedInOrder) {
  Faults f;
  std::string error;
  ASSERT_TRUE(ApplyFaults(nlohmann::json::parse(R"({"stall":1,"error_count":2,"throttle_count":1,
      "reset":1})"), &f, &error)) << error;
  std::mt19937_64 rng(1);
  EXPECT_EQ(DecideFault(&f, false, &rng).action, FaultAction::kStall);
  EXPECT_EQ(DecideFault(&f, false, &rng).action, FaultAction::kError);
  EXPECT_EQ(DecideFault(&f, false, &rng).action, FaultAction::kError);
  EXPECT_EQ(DecideFault(&f, false, &rng).action, FaultAction::kThrottle);
  FaultDecision d = DecideFault(&f, false, &rng);
  EXPECT_EQ(d.action, FaultAction::kServe);
  EXPECT_TRUE(d.reset_after_commit);
  EXPECT_FALSE(DecideFault(&f, false, &rng).reset_after_commit);
}

TEST(FaultsTest, InvalidControlsChangeNothing) {
  Faults f;
  std::string error;
  EXPECT_FALSE(ApplyFaults(nlohmann::json::parse(R"({"error_status":404})"), &f, &error));
  EXPECT_FALSE(ApplyFaults(nlohmann::json::parse(R"({"cert":"self"})"), &f, &error));
  EXPECT_FALSE(ApplyFaults(nlohmann::json::parse(R"({"stall":"yes"})"), &f, &error));
  EXPECT_FALSE(ApplyFaults(nlohmann::json::parse(R"({"nonsense":1})"), &f, &error));
  EXPECT_FALSE(ApplyFaults(nlohmann::json::parse("[]"), &f, &error));
  EXPECT_FALSE(ApplyFaults(nlohmann::json::parse(R"({"garble":1,"garble_body_hex":"f"})"), &f, &error));
  EXPECT_FALSE(ApplyFaults(nlohmann::json::parse(R"({"garble":1,"garble_body_hex":"zz"})"), &f, &error));
  EXPECT_FALSE(ApplyFaults(nlohmann::json::parse(R"({"garble":1,"garble_status":99})"), &f, &error));
  EXPECT_EQ(FaultsToJson(f), FaultsToJson(Faults{}));
}

TEST(FaultsTest, AGarbledAnswerCarriesTheGivenBytes) {
  Faults f;
  std::string error;
  ASSERT_TRUE(ApplyFaults(nlohmann::json::parse(R"({"garble":1,"garble_status":500,"garble_body_hex":"ff 00 1b"})"),
                          &f, &error)) << error;
  EXPECT_EQ(f.garble_body, std::string("\xff\x00\x1b", 3));
  EXPECT_EQ(FaultsToJson(f)["garble_body_hex"], "ff001b");
  std::mt19937_64 rng(1);
  EXPECT_TRUE(DecideFault(&f, false, &rng).garble_after_commit);
  EXPECT_FALSE(DecideFault(&f, false, &rng).garble_after_commit) << "one request only";
}

class SiteApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::temp_directory_path() /
            ("site-api-test-" + std::to_string(::getpid()) + ".sqlite");
    std::filesystem::remove(path_);
    std::string error;
    ledger_ = Ledger::Open(path_.string(), false, &error);
    ASSERT_TRUE(ledger_) << error;
  }
  void TearDown() override {
    ledger_.reset();
    for (const char* ext : {"", "-wal", "-shm"}) std::filesystem::remove(path_.string() + ext);
  }
  std::filesystem::path path_;
  std::unique_ptr<Ledger> ledger_;
};

TEST_F(SiteApiTest, IdempotencyKeySemantics) {
  SiteApi api(ledger_.get());
  EXPECT_EQ(api.Prepare(Post("", kBody)).response->status, 400);
  Prepared first = api.Prepare(Post("k1", kBody));
  ASSERT_TRUE(first.write);
  EXPECT_EQ(api.Prepare(Post("k1", kBody)).response->status, 409);  // still in flight
  HttpResponse done = api.Commit(*first.write);
  EXPECT_EQ(done.status, 201);
  Prepared again = api.Prepare(Post("k1", kBody));
  ASSERT_TRUE(again.response);
  EXPECT_EQ(again.response->status, 201);
  EXPECT_EQ(again.response->body, done.body);
  EXPECT_EQ(again.response->headers.GetOr("Idempotent-Replayed", ""), "true");
  std::string changed = kBody;
  changed.replace(changed.find("\"a\":1"), 5, "\"a\":2");
  EXPECT_EQ(api.Prepare(Post("k1", changed)).response->status, 422);
  // Same content, different spacing: same canonical fingerprint.
  std::string spaced = kBody;
  spaced.insert(1, " \n ");
  EXPECT_EQ(api.Prepare(Post("k1", spaced)).response->status, 201);
  EXPECT_EQ(ledger_->CountByKey("k1"), 1);
}

TEST_F(SiteApiTest, ALateSubmissionOfARevisionOnRecordIsAnAddendumNotASecondRecord) {
  SiteApi api(ledger_.get());
  Prepared initial = api.Prepare(Post("id:1:initial", kBody));
  ASSERT_TRUE(initial.write);
  HttpResponse first = api.Commit(*initial.write);
  ASSERT_EQ(first.status, 201);
  // The initial's answer was lost; the report fell back and is re-submitted late.
  std::string late_body = kBody;
  late_body.replace(late_body.find("\"initial\""), 9, "\"late\"");
  late_body.insert(late_body.size() - 1,
                   R"(,"fallback":{"reason_class":"connect","reason":"network outage","notifications":[)"
                   R"({"recipient":"superior","channel":"sms","at":"2026-11-21T10:20:00+08:00","outcome":"delivered"}]})");
  HttpRequest late = Post("id:1:late", late_body);
  late.target = "/v1/reports/123e4567-e89b-42d3-a456-426614174000/late-submissions";
  Prepared p = api.Prepare(late);
  ASSERT_TRUE(p.write) << (p.response ? p.response->body : "");
  HttpResponse second = api.Commit(*p.write);
  EXPECT_EQ(second.status, 200);
  EXPECT_EQ(second.body, first.body) << "answered with the record's own receipt";
  EXPECT_EQ(ledger_->CountByReport("123e4567-e89b-42d3-a456-426614174000", 1), 1);
  // And idempotent like any other key.
  Prepared again = api.Prepare(late);
  ASSERT_TRUE(again.response);
  EXPECT_EQ(again.response->status, 200);
  EXPECT_EQ(again.response->body, first.body);
}

TEST_F(SiteApiTest, AbandonedWriteFreesTheKey) {
  SiteApi api(ledger_.get());
  Prepared p = api.Prepare(Post("k2", kBody));
  ASSERT_TRUE(p.write);
  api.Abandon(*p.write);
  EXPECT_TRUE(api.Prepare(Post("k2", kBody)).write);
}

TEST_F(SiteApiTest, ValidatesBodies) {
  SiteApi api(ledger_.get());
  for (const char* bad : {"", "[]", "{\"api_version\":\"1\"}", "not json"}) {
    EXPECT_EQ(api.Prepare(Post("k", bad)).response->status, 400) << bad;
  }
  HttpRequest late = Post("k3", std::string(kBody));
  late.target = "/v1/reports/123e4567-e89b-42d3-a456-426614174000/late-submissions";
  EXPECT_EQ(api.Prepare(late).response->status, 400);  // kind and fallback missing
  HttpRequest other = Post("k", kBody);
  other.target = "/v1/other";
  EXPECT_EQ(api.Prepare(other).response->status, 404);
}

}  // namespace
}  // namespace sitesim
