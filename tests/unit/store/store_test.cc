#include "daemon/store/store.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "tests/support/report_factory.h"

namespace lifeline {
namespace {

using testing_support::NewDocument;
using testing_support::ToReport;
namespace fs = std::filesystem;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("store-" + NewUuidV4().value());
    fs::create_directories(dir_);
    options_ = {(dir_ / "lifeline.db").string(), (dir_ / "journal.key").string(), "", kStoreSchemaVersion, ""};
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::unique_ptr<Store> OpenStore() {
    auto s = Store::Open(options_, clock_);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }
  fs::path dir_;
  StoreOptions options_;
  SimulatedClock clock_{ParseRfc3339("2026-11-21T10:05:00+08:00")->instant};
};

TEST_F(StoreTest, FreshDatabaseReachesCurrentVersionWithWalAndFullSync) {
  auto store = OpenStore();
  EXPECT_EQ(*store->SchemaVersion(), kStoreSchemaVersion);
  EXPECT_EQ(*store->db().QueryInt("PRAGMA synchronous"), 2);  // FULL
  EXPECT_EQ(*store->IntegrityCheck(), "ok");
  EXPECT_EQ(fs::status(options_.key_path).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
}

TEST_F(StoreTest, OldDatabaseIsMigratedKeepingItsReports) {
  options_.migrate_to = 1;
  Report r = ToReport(NewDocument());
  {
    auto old = OpenStore();
    EXPECT_EQ(*old->SchemaVersion(), 1);
    ASSERT_TRUE(old->Submit(r, "tw-2021", nlohmann::json::array()).ok());
  }
  options_.migrate_to = kStoreSchemaVersion;
  auto store = OpenStore();
  EXPECT_EQ(*store->SchemaVersion(), kStoreSchemaVersion);
  EXPECT_EQ(store->GetReport(r.id)->size(), 1u);
  EXPECT_TRUE(store->AddNotification(r.id, 1, "superior", "2026-11-21T10:58:00+08:00").ok());
  EXPECT_TRUE(store->VerifyJournal().ok);
}

TEST_F(StoreTest, NewerDatabaseIsRefused) {
  { auto store = OpenStore(); ASSERT_TRUE(store->db().Exec("PRAGMA user_version = 99").ok()); }
  auto s = Store::Open(options_, clock_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.status().message().find("schema version 99, newer than this lifelined knows"),
            std::string::npos);
}

// The schedule is stored as a shared shape plus each report's instants, and
// comes back exactly as given; reports under the same rules share one shape.
TEST_F(StoreTest, ScheduleComesBackAsGivenAndItsShapeIsStoredOnce) {
  auto store = OpenStore();
  auto schedule = [](const std::string& at) {
    return nlohmann::json{
        {"level", 3},
        {"deadlines", {{{"key", "notify_by"}, {"at", at}, {"anchor", "aware_at"}, {"after", "1h"},
                        {"title", "依指定方式完成通報"}, {"title_en", "Report"}, {"source", "第 4 條"}}}},
        {"obligations", {{{"key", "report"}, {"due", at}, {"by", "notify_by"}, {"title", "t"},
                          {"title_en", "t"}, {"source", "s"}}}}};
  };
  Report a = ToReport(NewDocument()), b = ToReport(NewDocument());
  ASSERT_TRUE(store->Submit(a, "tw-2021", schedule("2026-11-21T11:05:00+08:00")).ok());
  ASSERT_TRUE(store->Submit(b, "tw-2021", schedule("2026-11-21T12:00:00+08:00")).ok());
  EXPECT_EQ((*store->GetReport(a.id))[0].schedule, schedule("2026-11-21T11:05:00+08:00"));
  EXPECT_EQ((*store->GetReport(b.id))[0].schedule, schedule("2026-11-21T12:00:00+08:00"));
  EXPECT_EQ(*store->db().QueryInt("SELECT COUNT(*) FROM schedule_shapes"), 1);
  EXPECT_EQ(*store->IntegrityCheck(), "ok");
}

TEST_F(StoreTest, SubmitStoresAndResubmitIsIdempotent) {
  auto store = OpenStore();
  Report r = ToReport(NewDocument());
  auto first = store->Submit(r, "tw-2021", {{"k", "v"}});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_FALSE(first->already_stored);
  EXPECT_EQ(first->stored.state, "queued");
  EXPECT_EQ(first->stored.level, 3);
  auto again = store->Submit(r, "tw-2021", {{"k", "v"}});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->already_stored);
  EXPECT_EQ(*store->db().QueryInt("SELECT COUNT(*) FROM reports"), 1);
  EXPECT_EQ(*store->db().QueryInt("SELECT COUNT(*) FROM journal WHERE type='report.received'"), 1);
}

TEST_F(StoreTest, SameRevisionWithOtherContentIsRefused) {
  auto store = OpenStore();
  auto doc = NewDocument();
  ASSERT_TRUE(store->Submit(ToReport(doc), "tw-2021", {}).ok());
  doc["description"] = "changed";
  auto s = store->Submit(ToReport(doc), "tw-2021", {});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kAlreadyExists);
  EXPECT_NE(s.status().message().find("needs revision 2"), std::string::npos);
}

TEST_F(StoreTest, RevisionsMustFollowInOrder) {
  auto store = OpenStore();
  auto doc = NewDocument(2);
  auto s = store->Submit(ToReport(doc), "tw-2021", {});
  EXPECT_EQ(s.status().code(), StatusCode::kFailedPrecondition);
  doc["revision"] = 1;
  ASSERT_TRUE(store->Submit(ToReport(doc), "tw-2021", {}).ok());
  doc["revision"] = 3;
  EXPECT_EQ(store->Submit(ToReport(doc), "tw-2021", {}).status().code(), StatusCode::kFailedPrecondition);
  doc["revision"] = 2;
  doc["impact"]["confidentiality"] = 4;
  auto r2 = store->Submit(ToReport(doc), "tw-2021", {});
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->stored.level, 4);
  EXPECT_EQ(store->GetReport(doc["id"])->size(), 2u);
  EXPECT_EQ(store->ListLatest()->front().revision, 2);
  doc["revision"] = 3;
  doc["drill"] = true;
  EXPECT_EQ(store->Submit(ToReport(doc), "tw-2021", {}).status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(StoreTest, ReportStateMachineRefusesIllegalMoves) {
  auto store = OpenStore();
  Report r = ToReport(NewDocument());
  ASSERT_TRUE(store->Submit(r, "tw-2021", {}).ok());
  EXPECT_EQ(store->TransitionReport(r.id, 1, ReportState::kAcceptedLate, {}).code(),
            StatusCode::kFailedPrecondition);
  ASSERT_TRUE(store->TransitionReport(r.id, 1, ReportState::kFallback, {{"reason", "network"}}).ok());
  EXPECT_EQ(store->TransitionReport(r.id, 1, ReportState::kAccepted, {}).code(),
            StatusCode::kFailedPrecondition);
  ASSERT_TRUE(store->TransitionReport(r.id, 1, ReportState::kAcceptedLate, {}).ok());
  EXPECT_EQ(store->GetReport(r.id)->back().state, "accepted_late");
  EXPECT_EQ(store->TransitionReport("no-such", 1, ReportState::kAccepted, {}).code(), StatusCode::kNotFound);
  ASSERT_TRUE(store->SetSiteReceipt(r.id, 1, "NCERT-2026-000123").ok());
  EXPECT_EQ(store->SetSiteReceipt(r.id, 1, "other").code(), StatusCode::kFailedPrecondition);
}

TEST_F(StoreTest, NotificationsAndAttemptsAreJournaled) {
  auto store = OpenStore();
  Report r = ToReport(NewDocument());
  ASSERT_TRUE(store->Submit(r, "tw-2021", {}).ok());
  auto n = store->AddNotification(r.id, 1, "national_centre", "2026-11-21T10:58:00+08:00");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(store->AddNotification(r.id, 1, "national_centre", "x").status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(store->TransitionNotification(*n, NotificationState::kConfirmed, {}).code(),
            StatusCode::kFailedPrecondition);
  ASSERT_TRUE(store->TransitionNotification(*n, NotificationState::kInProgress, {}).ok());
  auto a = store->StartAttempt(*n, "sms", "+886912345678", {{"number", "+886912345678"}});
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(store->FinishAttempt(*a, "delivered", {{"parts", 2}}).ok());
  EXPECT_EQ(store->FinishAttempt(*a, "delivered", {}).code(), StatusCode::kNotFound);
  ASSERT_TRUE(store->TransitionNotification(*n, NotificationState::kConfirmed, {{"by", "sms"}}).ok());
  EXPECT_EQ(store->Notifications(r.id)->front().state, "confirmed");
  auto types = *ReadJournal(store->db(), r.id);
  std::vector<std::string> names;
  for (const auto& e : types) names.push_back(e.type);
  EXPECT_EQ(names, (std::vector<std::string>{"report.received", "notification.required", "notification.state",
                                             "attempt.start", "attempt.end", "notification.state"}));
  EXPECT_TRUE(store->VerifyJournal().ok) << store->VerifyJournal().reason;
}

TEST(StateMachineTest, EveryStateNameRoundTrips) {
  for (auto s : {ReportState::kQueued, ReportState::kAccepted, ReportState::kFallback, ReportState::kAcceptedLate}) {
    EXPECT_EQ(*ParseReportState(Name(s)), s);
  }
  for (auto s : {NotificationState::kPending, NotificationState::kInProgress, NotificationState::kConfirmed,
                 NotificationState::kFailed, NotificationState::kCancelled}) {
    EXPECT_EQ(*ParseNotificationState(Name(s)), s);
  }
  EXPECT_EQ(ParseReportState("done").status().code(), StatusCode::kCorruption);
}

TEST_F(StoreTest, AsyncStoreGroupsJobsAndPostsResults) {
  asio::io_context io;
  std::vector<Status> results;
  {
    AsyncStore async(OpenStore(), io);
    for (int i = 0; i < 20; ++i) {
      Report r = ToReport(NewDocument());
      async.Run([r](Store& s) { return s.Submit(r, "tw-2021", {}).status(); },
                [&](Status s) { results.push_back(s); });
    }
    async.Run([](Store&) { return InvalidArgument("this job fails alone"); },
              [&](Status s) { results.push_back(s); });
  }
  io.run();
  ASSERT_EQ(results.size(), 21u);
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(results[i].ok()) << results[i].ToString();
  EXPECT_EQ(results[20].code(), StatusCode::kInvalidArgument);
  auto store = OpenStore();
  EXPECT_EQ(*store->db().QueryInt("SELECT COUNT(*) FROM reports"), 20);
}

}  // namespace
}  // namespace lifeline
