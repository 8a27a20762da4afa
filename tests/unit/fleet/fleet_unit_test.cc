// The fleet's pure parts and its store: what a journal entry becomes on the
// wire (golden bytes, proto/fleet.md), what the agency refuses and why, and
// the agency's store taking each (unit, seq) once, with its review deadlines
// from the rule set.
#include <gtest/gtest.h>

#include <filesystem>
#include <thread>
#include <vector>

#include "daemon/core/uuid.h"
#include "daemon/fleet/fleet.h"
#include "tools/fleet/fleet_store.h"
#include "tools/fleet/message_parser.h"
#include "tools/fleet/reminders.h"

namespace lifeline {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

FleetOptions Box() {
  FleetOptions o;
  o.agency = "kcg-civil";
  o.unit = "hr-qianjin";
  return o;
}

JournalEntry Entry(int64_t seq, std::string type, std::string report, json payload) {
  JournalEntry e;
  e.seq = seq;
  e.wall_time = "2026-11-21T01:58:00.000000Z";
  e.type = std::move(type);
  e.report_id = std::move(report);
  e.payload = payload.dump();
  return e;
}

TEST(FleetMessage, ReportReceivedIsGolden) {
  auto m = FleetMessageFor(Box(), Entry(7, "report.received", "r-1", {{"revision", 1}, {"level", 3}, {"aware_at", "2026-11-21T09:58:00+08:00"}}),
                           {"intrusion", 3, false});
  ASSERT_TRUE(m);
  EXPECT_EQ(m->topic, "lifeline/kcg-civil/hr-qianjin/report/r-1");
  EXPECT_EQ(m->payload,
            R"({"agency":"kcg-civil","at":"2026-11-21T01:58:00.000000Z","category":"intrusion",)"
            R"("detail":{"aware_at":"2026-11-21T09:58:00+08:00","level":3,"revision":1},"drill":false,)"
            R"("kind":"report","level":3,"report_id":"r-1","schema":"lifeline.fleet/1","seq":7,)"
            R"("type":"report.received","unit":"hr-qianjin"})");
}

TEST(FleetMessage, FallbackIsANoticeHealthAndDrillHaveTheirTopicsOthersAreNotHeard) {
  auto notice = FleetMessageFor(Box(), Entry(9, "report.state", "r-1", {{"from", "queued"}, {"to", "fallback"}}), {});
  ASSERT_TRUE(notice);
  EXPECT_EQ(notice->topic, "lifeline/kcg-civil/hr-qianjin/notice/r-1");
  auto accepted = FleetMessageFor(Box(), Entry(10, "report.state", "r-1", {{"to", "accepted"}}), {});
  EXPECT_EQ(accepted->topic, "lifeline/kcg-civil/hr-qianjin/report/r-1");
  EXPECT_EQ(FleetMessageFor(Box(), Entry(11, "power.change", "", {{"known", true}}), {})->topic,
            "lifeline/kcg-civil/hr-qianjin/health");
  EXPECT_EQ(FleetMessageFor(Box(), Entry(12, "drill.end", "r-2", {{"drill", "d"}}), {})->topic,
            "lifeline/kcg-civil/hr-qianjin/drill");
  EXPECT_FALSE(FleetMessageFor(Box(), Entry(13, "attempt.progress", "r-1", json::object()), {}));
  EXPECT_FALSE(FleetMessageFor(Box(), Entry(14, "user.added", "", json::object()), {}));
}

TEST(FleetMessage, WhatTheBoxSendsTheAgencyAccepts) {
  auto m = FleetMessageFor(Box(), Entry(7, "report.received", "r-1", {{"revision", 1}, {"level", 3}, {"aware_at", "x"}}),
                           {"intrusion", 3, true});
  auto parsed = fleet::ParseUnitMessage(m->topic, m->payload, {"kcg-civil", 65536});
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->unit, "hr-qianjin");
  EXPECT_EQ(parsed->seq, 7);
  EXPECT_EQ(parsed->level, 3);
  EXPECT_TRUE(parsed->drill);
  auto hb = FleetHeartbeat(Box(), WallTime{}, 42);
  auto beat = fleet::ParseUnitMessage(hb.topic, hb.payload, {"kcg-civil", 65536});
  ASSERT_TRUE(beat.ok()) << beat.status().ToString();
  EXPECT_EQ(beat->kind, "heartbeat");
}

struct Refused {
  const char* why;
  std::string topic, payload;
};

TEST(FleetParser, RefusesEachKindOfBadMessageWithItsReason) {
  const std::string topic = "lifeline/kcg-civil/u1/report/r-1";
  json good = {{"schema", "lifeline.fleet/1"}, {"agency", "kcg-civil"}, {"unit", "u1"}, {"kind", "report"},
               {"at", "t"}, {"seq", 3}, {"type", "report.state"}, {"report_id", "r-1"}, {"detail", json::object()}};
  ASSERT_TRUE(fleet::ParseUnitMessage(topic, good.dump(), {"kcg-civil", 4096}).ok());
  auto with = [&](const char* key, json v) {
    json j = good;
    if (v.is_null()) {
      j.erase(key);
    } else {
      j[key] = v;
    }
    return j.dump();
  };
  const Refused cases[] = {
      {"oversized", topic, std::string(5000, ' ')},
      {"not UTF-8", topic, "{\"schema\":\"\xff\xfe\"}"},
      {"not JSON", topic, "{\"schema\":"},
      {"not an object", topic, "[1,2]"},
      {"another agency", "lifeline/other/u1/report/r-1", good.dump()},
      {"not a lifeline topic", "elsewhere/kcg-civil/u1/report/r-1", good.dump()},
      {"unit differs", "lifeline/kcg-civil/u2/report/r-1", good.dump()},
      {"report id differs", "lifeline/kcg-civil/u1/report/r-2", good.dump()},
      {"kind differs", "lifeline/kcg-civil/u1/drill", good.dump()},
      {"seq a string", topic, with("seq", "3")},
      {"seq zero", topic, with("seq", 0)},
      {"no type", topic, with("type", nullptr)},
      {"detail not an object", topic, with("detail", "x")},
      {"level out of range", topic, with("level", 7)},
      {"wrong schema", topic, with("schema", "lifeline.fleet/0")},
  };
  for (const Refused& c : cases) {
    auto r = fleet::ParseUnitMessage(c.topic, c.payload, {"kcg-civil", 4096});
    EXPECT_FALSE(r.ok()) << c.why;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << c.why;
    }
  }
}

class FleetStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (fs::path(::testing::TempDir()) / ("fleet-" + NewUuidV4().value() + ".db")).string();
    auto rules = DefaultRuleSet();
    ASSERT_TRUE(rules.ok());
    auto review = fleet::ReviewRulesFrom(*rules);
    ASSERT_TRUE(review.ok()) << review.status().ToString();
    rules_ = *review;
    auto store = fleet::FleetStore::Open(path_, rules_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
  }
  void TearDown() override {
    store_.reset();
    fs::remove(path_);
  }
  fleet::UnitMessage Message(int64_t seq, std::string type, json detail, std::string kind = "report",
                             int64_t after_seq = -1) {
    auto m = FleetMessageFor(Box(), Entry(seq, std::move(type), "r-1", std::move(detail)), {"intrusion", 3, false},
                             after_seq);
    auto parsed = fleet::ParseUnitMessage(m->topic, m->payload, {"kcg-civil", 65536});
    EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
    EXPECT_EQ(parsed->kind, kind);
    return *parsed;
  }
  std::string path_;
  fleet::ReviewRules rules_;
  std::unique_ptr<fleet::FleetStore> store_;
};

TEST_F(FleetStoreTest, ReviewFiguresComeFromTheRuleSet) {
  EXPECT_EQ(rules_.review_after_seconds[1], 8 * 3600);
  EXPECT_EQ(rules_.review_after_seconds[2], 8 * 3600);
  EXPECT_EQ(rules_.review_after_seconds[3], 2 * 3600);
  EXPECT_EQ(rules_.review_after_seconds[4], 2 * 3600);
  EXPECT_EQ(rules_.level_change_notice_seconds, 3600);
  auto scaled = fleet::ReviewRulesFrom(ScaleRuleSet(*DefaultRuleSet(), 60));
  EXPECT_EQ(scaled->review_after_seconds[3], 120);
}

TEST_F(FleetStoreTest, EachSequenceIsTakenOnceAndTheReviewIsDueFromReceipt) {
  const WallTime t0 = WallTime{} + std::chrono::hours(24 * 365 * 56);
  auto received = Message(5, "report.received", {{"revision", 1}, {"level", 3}, {"aware_at", "2026-11-21T09:58:00+08:00"}});
  ASSERT_EQ(*store_->Ingest(received, t0), fleet::IngestOutcome::kApplied);
  auto notice = Message(6, "report.state", {{"from", "queued"}, {"to", "fallback"}}, "notice");
  ASSERT_EQ(*store_->Ingest(notice, t0 + std::chrono::minutes(1)), fleet::IngestOutcome::kApplied);
  // The same messages again (a resend after a reconnect): nothing changes.
  EXPECT_EQ(*store_->Ingest(received, t0 + std::chrono::minutes(5)), fleet::IngestOutcome::kRepeat);
  EXPECT_EQ(*store_->Ingest(notice, t0 + std::chrono::minutes(5)), fleet::IngestOutcome::kRepeat);
  EXPECT_EQ(*store_->MessageCount("hr-qianjin"), 2);
  auto reports = store_->Reports();
  ASSERT_EQ(reports->size(), 1u);
  const auto& r = reports->front();
  EXPECT_EQ(r.level, 3);
  EXPECT_EQ(r.state, "fallback");
  EXPECT_TRUE(r.fallback);
  EXPECT_EQ(r.received_at, FormatUtcMicros(t0));
  EXPECT_EQ(r.review_due, FormatUtcMicros(t0 + std::chrono::hours(2)));
}

TEST_F(FleetStoreTest, ADetailThatDoesNotFitChangesNothing) {
  const WallTime t0 = WallTime{} + std::chrono::hours(24 * 365 * 56);
  auto bad = Message(5, "report.received", {{"revision", "one"}, {"level", 3}, {"aware_at", "x"}});
  EXPECT_FALSE(store_->Ingest(bad, t0).ok());
  EXPECT_EQ(*store_->MessageCount("hr-qianjin"), 0) << "the claim of its sequence is rolled back too";
  EXPECT_TRUE(store_->Reports()->empty());
  EXPECT_TRUE(store_->Units({}, t0, std::chrono::seconds(60))->empty());
}

TEST_F(FleetStoreTest, AReviewKeepsOrChangesTheLevelOnceWithItsReason) {
  const WallTime t0 = WallTime{} + std::chrono::hours(24 * 365 * 56);
  ASSERT_TRUE(store_->Ingest(Message(5, "report.received", {{"revision", 1}, {"level", 2}, {"aware_at", "x"}}), t0).ok());
  EXPECT_EQ(store_->Reports()->front().review_due, FormatUtcMicros(t0 + std::chrono::hours(8)));
  EXPECT_FALSE(store_->RecordReview({"hr-qianjin", "r-1", "", "chen", 3}, t0).ok()) << "a reason is required";
  EXPECT_EQ(store_->RecordReview({"hr-qianjin", "r-9", "why", "chen", 3}, t0).code(), StatusCode::kNotFound);
  ASSERT_TRUE(store_->RecordReview({"hr-qianjin", "r-1", "戶政資料外洩，應為 3 級", "chen", 3}, t0 + std::chrono::hours(1)).ok());
  const auto r = store_->Reports()->front();
  EXPECT_EQ(r.reviewed_level, 3);
  EXPECT_EQ(r.authority_notice_due, FormatUtcMicros(t0 + std::chrono::hours(2))) << "1 h after the change";
  EXPECT_EQ(store_->RecordReview({"hr-qianjin", "r-1", "again", "chen", std::nullopt}, t0).code(),
            StatusCode::kFailedPrecondition);
}

TEST_F(FleetStoreTest, AUnitNotHeardForLongerThanTheLimitIsSilentAndAnExpectedOneNeverHeardToo) {
  const WallTime t0 = WallTime{} + std::chrono::hours(24 * 365 * 56);
  ASSERT_TRUE(store_->Ingest(Message(1, "power.change", {{"known", true}}, "health"), t0).ok());
  auto units = store_->Units({"hr-other"}, t0 + std::chrono::seconds(30), std::chrono::seconds(60));
  ASSERT_EQ(units->size(), 2u);
  EXPECT_TRUE((*units)[0].silent) << (*units)[0].unit;  // hr-other, never heard
  EXPECT_FALSE((*units)[1].silent);
  EXPECT_TRUE((*units)[1].health.contains("power.change"));
  units = store_->Units({}, t0 + std::chrono::seconds(61), std::chrono::seconds(60));
  EXPECT_TRUE((*units)[0].silent);
}

// The view holds every entry through heard_through; a message whose
// after_seq lies beyond it, or a heartbeat whose heard_seq does, shows entries
// lost on the way, to be asked for again from heard_through + 1.
TEST_F(FleetStoreTest, AGapInTheUnitsSequenceIsFoundAndFilledByTheReplay) {
  const WallTime t0 = WallTime{} + std::chrono::hours(24 * 365 * 56);
  auto take = [&](const fleet::UnitMessage& m) {
    EXPECT_TRUE(store_->Ingest(m, t0).ok());
    auto from = store_->Follow(m);
    EXPECT_TRUE(from.ok()) << from.status().ToString();
    return from.ok() ? *from : -1;
  };
  auto held = [&] { return store_->Units({}, t0, std::chrono::hours(1))->front().heard_through; };
  const json power = {{"known", true}};
  EXPECT_EQ(take(Message(2, "power.change", power, "health", 0)), 0) << "nothing heard before entry 2";
  EXPECT_EQ(held(), 2);
  EXPECT_EQ(take(Message(9, "power.change", power, "health", 5)), 3) << "entry 5 never came";
  EXPECT_EQ(held(), 2) << "not past the gap";
  // The replay: 5 (after 2), then 9 again (after 5, a repeat) closes the gap.
  EXPECT_EQ(take(Message(5, "power.change", power, "health", 2)), 0);
  EXPECT_EQ(take(Message(9, "power.change", power, "health", 5)), 0);
  EXPECT_EQ(held(), 9);
  auto beat = [&](int64_t heard) {
    auto hb = FleetHeartbeat(Box(), t0, heard, heard);
    auto parsed = fleet::ParseUnitMessage(hb.topic, hb.payload, {"kcg-civil", 65536});
    EXPECT_TRUE(parsed.ok());
    return take(*parsed);
  };
  EXPECT_EQ(beat(9), 0);
  EXPECT_EQ(beat(12), 10) << "the box published 12, the view has 9";
  EXPECT_EQ(held(), 9);
  // A box that does not say (no after_seq) is taken as it comes.
  EXPECT_EQ(take(Message(20, "power.change", power, "health")), 0);
  EXPECT_EQ(held(), 9);
}

// `lifeline-fleet status` started while `run` creates the store: each opener
// migrates inside its own write transaction, so neither fails on the other's
// tables.
TEST(FleetStoreOpen, OpenersRacingOnANewStoreAllSucceed) {
  const std::string path = (fs::path(::testing::TempDir()) / ("fleet-race-" + NewUuidV4().value() + ".db")).string();
  auto rules = fleet::ReviewRulesFrom(*DefaultRuleSet());
  ASSERT_TRUE(rules.ok());
  std::vector<std::thread> openers;
  std::vector<Status> outcomes(4, Status::Ok());
  for (size_t i = 0; i < outcomes.size(); ++i) {
    openers.emplace_back([&, i] { outcomes[i] = fleet::FleetStore::Open(path, *rules).status(); });
  }
  for (auto& t : openers) t.join();
  for (const Status& s : outcomes) EXPECT_TRUE(s.ok()) << s.ToString();
  auto reader = fleet::FleetStore::OpenReadOnly(path);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ(*(*reader)->db().QueryInt("PRAGMA user_version"), fleet::kFleetSchemaVersion);
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path + suffix);
}

TEST(FleetReplayRequest, RoundTripsAndRefusesWhatIsNotOne) {
  auto r = FleetReplayRequest("kcg-civil", "hr-qianjin", 17);
  EXPECT_EQ(r.topic, "lifeline/kcg-civil/hr-qianjin/replay");
  EXPECT_EQ(*ParseFleetReplayRequest(r.payload), 17);
  for (const char* bad : {"", "[]", "{\"schema\":\"lifeline.fleet/1\"}", "{\"schema\":\"x\",\"from_seq\":3}",
                          "{\"schema\":\"lifeline.fleet/1\",\"from_seq\":0}",
                          "{\"schema\":\"lifeline.fleet/1\",\"from_seq\":\"3\"}", "\xff\xfe"}) {
    EXPECT_FALSE(ParseFleetReplayRequest(bad).ok()) << bad;
  }
  EXPECT_FALSE(ParseFleetReplayRequest(std::string(2000, ' ')).ok());
}

TEST_F(FleetStoreTest, AnAlertIsRaisedOnceAndKeepsTheProgramsOutcome) {
  const WallTime t0 = WallTime{} + std::chrono::hours(24 * 365 * 56);
  EXPECT_TRUE(*store_->ClaimAlert("review_overdue", "u/r-1/1", {{"unit", "u"}}, t0));
  EXPECT_FALSE(*store_->ClaimAlert("review_overdue", "u/r-1/1", {{"unit", "u"}}, t0)) << "raised once";
  EXPECT_TRUE(*store_->ClaimAlert("review_overdue", "u/r-1/2", {{"unit", "u"}}, t0)) << "a new revision, a new review";
  ASSERT_TRUE(store_->RecordAlertOutcome("review_overdue", "u/r-1/1", "failed", "exit 1: \xff").ok());
  auto alerts = store_->Alerts();
  ASSERT_EQ(alerts->size(), 2u);
  EXPECT_EQ((*alerts)[0].outcome, "failed");
  EXPECT_EQ((*alerts)[1].outcome, "");
}

TEST(FleetReminders, DueSoonThenLateEachOnceAndNoneOnceReviewed) {
  const WallTime t0 = WallTime{} + std::chrono::hours(24 * 365 * 56);
  fleet::ReportView r;
  r.unit = "u1";
  r.report_id = "r-1";
  r.revision = 1;
  r.review_due = FormatUtcMicros(t0 + std::chrono::hours(2));
  std::vector<fleet::ReportView> reports = {r};
  std::set<std::string> told;
  const auto ahead = std::chrono::minutes(30);
  EXPECT_TRUE(fleet::DueReminders(reports, t0, ahead, &told).empty());
  auto soon = fleet::DueReminders(reports, t0 + std::chrono::minutes(95), ahead, &told);
  ASSERT_EQ(soon.size(), 1u);
  EXPECT_FALSE(soon[0].late);
  EXPECT_TRUE(fleet::DueReminders(reports, t0 + std::chrono::minutes(100), ahead, &told).empty()) << "once";
  auto late = fleet::DueReminders(reports, t0 + std::chrono::hours(2), ahead, &told);
  ASSERT_EQ(late.size(), 1u);
  EXPECT_TRUE(late[0].late);
  EXPECT_TRUE(fleet::DueReminders(reports, t0 + std::chrono::hours(3), ahead, &told).empty()) << "once";
  reports[0].revision = 2;  // the unit changed the level: a new review, a new clock
  reports[0].review_due = FormatUtcMicros(t0 + std::chrono::hours(4));
  EXPECT_EQ(fleet::DueReminders(reports, t0 + std::chrono::hours(5), ahead, &told).size(), 1u);
  reports[0].reviewed_at = FormatUtcMicros(t0 + std::chrono::hours(5));
  reports[0].revision = 3;
  EXPECT_TRUE(fleet::DueReminders(reports, t0 + std::chrono::hours(6), ahead, &told).empty());
}

}  // namespace
}  // namespace lifeline
