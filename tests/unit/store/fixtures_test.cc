// Databases made by earlier lifelined versions (tests/fixtures/store/v<N>,
// each the state a demo run of that version left, v3 and v4 with their SMS
// part ledger in its own file) open with today's store:
// migrated to the current schema, intact, their journal still verifying, and
// every report readable with its document and deadlines. A change to a
// migration or to how old rows are read fails here. v6 was made by a
// lifelined of schema 6 from the v4 fixture, with a CISO account and a report
// of two revisions added; schema 7 rebuilds its reports table (a closed state),
// which must keep every row and every reference to it.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "daemon/core/uuid.h"
#include "daemon/store/store.h"
#include "tests/support/fixtures.h"

namespace lifeline {
namespace {

namespace fs = std::filesystem;

int64_t Count(const fs::path& db, const char* sql) {
  sqlite3* h = nullptr;
  sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(h, sql, -1, &st, nullptr);
  int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
  sqlite3_finalize(st);
  sqlite3_close(h);
  return n;
}

class StoreFixtureTest : public ::testing::TestWithParam<std::string> {};

TEST_P(StoreFixtureTest, OpensMigratedIntactAndReadable) {
  const std::string version = GetParam();
  fs::path dir = fs::path(::testing::TempDir()) / ("fixture-" + version + "-" + NewUuidV4().value());
  testing_support::CopyStateFixture(version, dir);
  const fs::path db = dir / "lifeline.db";
  const int64_t old_version = Count(db, "PRAGMA user_version");
  const int64_t reports = Count(db, "SELECT count(DISTINCT report_id) FROM reports");
  const int64_t entries = Count(db, "SELECT count(*) FROM journal");
  ASSERT_EQ("v" + std::to_string(old_version), version) << "the fixture is not the version it is named after";
  ASSERT_GT(reports, 0);
  const bool had_ledger = fs::exists(dir / "sms-ledger.sqlite");
  const int64_t parts = had_ledger ? Count(dir / "sms-ledger.sqlite", "SELECT count(*) FROM sms_part") : 0;
  SystemClock clock;
  StoreOptions options{db.string(), (dir / "journal.key").string(), "", kStoreSchemaVersion,
                       (dir / "sms-ledger.sqlite").string()};
  auto store = Store::Open(options, clock);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ(*(*store)->SchemaVersion(), kStoreSchemaVersion);
  EXPECT_EQ(*(*store)->IntegrityCheck(), "ok");
  JournalVerdict v = (*store)->VerifyJournal();
  EXPECT_TRUE(v.ok) << v.reason;
  EXPECT_GE(v.entries, entries) << "no journal entry lost in the migration";
  auto latest = (*store)->ListLatest();
  ASSERT_TRUE(latest.ok()) << latest.status().ToString();
  EXPECT_EQ(static_cast<int64_t>(latest->size()), reports);
  for (const StoredRevision& r : *latest) {
    EXPECT_TRUE(r.document.is_object()) << r.id;
    EXPECT_EQ(r.document.value("id", ""), r.id);
    ASSERT_TRUE(r.schedule.is_object()) << r.id;
    EXPECT_FALSE(r.schedule.value("deadlines", nlohmann::json::array()).empty()) << r.id;
    auto notifications = (*store)->Notifications(r.id);
    EXPECT_TRUE(notifications.ok()) << notifications.status().ToString();
  }
  // The SMS part ledger's own file of those versions came in, once.
  if (had_ledger) {
    EXPECT_FALSE(fs::exists(dir / "sms-ledger.sqlite"));
    EXPECT_EQ(*(*store)->db().QueryInt("SELECT count(*) FROM sms_part"), parts);
  }
  // The migrated store takes new work.
  EXPECT_TRUE((*store)->RecordEvent("test.after_migration", "", {{"from", old_version}}).ok());
  EXPECT_TRUE((*store)->VerifyJournal().ok);
  store->reset();
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(EveryShippedVersion, StoreFixtureTest, ::testing::Values("v2", "v3", "v4", "v6"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

std::string Rows(const fs::path& db, const char* sql) {
  sqlite3* h = nullptr;
  sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(h, sql, -1, &st, nullptr);
  std::string out;
  while (sqlite3_step(st) == SQLITE_ROW) {
    for (int i = 0; i < sqlite3_column_count(st); ++i) {
      const unsigned char* t = sqlite3_column_text(st, i);
      out += (t ? reinterpret_cast<const char*>(t) : "NULL") + std::string("|");
    }
    out += "\n";
  }
  sqlite3_finalize(st);
  sqlite3_close(h);
  return out;
}

TEST(StoreFixture6To7, ReportsRebuiltWithEveryRowAndReferenceAndTheRecordTablesAdded) {
  fs::path dir = fs::path(::testing::TempDir()) / ("fixture-v6to7-" + NewUuidV4().value());
  testing_support::CopyStateFixture("v6", dir);
  const fs::path db = dir / "lifeline.db";
  const char* kReports =
      "SELECT report_id, revision, idempotency_key, level, drill, aware_at, aware_at_us, received_at, document,"
      " document_sha256, rules_id, schedule, state, site_receipt, fallback, schedule_shape, schedule_times"
      " FROM reports ORDER BY report_id, revision";
  const std::string before = Rows(db, kReports);
  ASSERT_FALSE(before.empty());
  SystemClock clock;
  StoreOptions options{db.string(), (dir / "journal.key").string(), "", 7, ""};
  {
    auto store = Store::Open(options, clock);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    EXPECT_EQ(*(*store)->SchemaVersion(), 7);
    EXPECT_EQ(*(*store)->db().QueryInt("SELECT count(*) FROM pragma_foreign_key_check"), 0);
    EXPECT_EQ(*(*store)->db().QueryInt("PRAGMA foreign_keys"), 1) << "foreign keys back on after the rebuild";
    EXPECT_EQ(*(*store)->db().QueryInt("SELECT count(*) FROM report_stages"), 0);
    EXPECT_EQ(*(*store)->db().QueryInt("SELECT count(*) FROM record_signoffs"), 0);
    // An accepted report of the old store can now be closed, and its notifications still point at it.
    auto latest = (*store)->ListLatest();
    ASSERT_TRUE(latest.ok());
    const StoredRevision* accepted = nullptr;
    for (const auto& r : *latest) {
      if (r.state == "accepted" || r.state == "accepted_late") accepted = &r;
    }
    ASSERT_NE(accepted, nullptr);
    EXPECT_TRUE((*store)->TransitionReport(accepted->id, accepted->revision, ReportState::kClosed, {}).ok());
    EXPECT_TRUE((*store)->Notifications(accepted->id).ok());
    EXPECT_TRUE((*store)->VerifyJournal().ok);
  }
  const std::string after = Rows(db, kReports);
  EXPECT_EQ(std::count(after.begin(), after.end(), '\n'), std::count(before.begin(), before.end(), '\n'));
  EXPECT_NE(after.find("|closed|"), std::string::npos);
  // Every other column of every row as it was.
  auto unclosed = [](std::string s) {
    for (size_t at; (at = s.find("|closed|")) != std::string::npos;) s.replace(at, 8, "|X|");
    for (const char* st : {"|accepted|", "|accepted_late|"}) {
      for (size_t at; (at = s.find(st)) != std::string::npos;) s.replace(at, std::strlen(st), "|X|");
    }
    return s;
  };
  EXPECT_EQ(unclosed(after), unclosed(before));
  fs::remove_all(dir);
}

// Schema 8 adds the fleet publisher's cursor to a store of schema 7 (the v6
// fixture taken to 7 first, as a lifelined of that schema would have left it):
// every report row as it was, the cursor at 0 until the broker acknowledges,
// and an advance that never moves it back.
TEST(StoreFixture7To8, FleetCursorAddedAtZeroAndOnlyMovesForward) {
  fs::path dir = fs::path(::testing::TempDir()) / ("fixture-v7to8-" + NewUuidV4().value());
  testing_support::CopyStateFixture("v6", dir);
  const fs::path db = dir / "lifeline.db";
  const char* kReports = "SELECT report_id, revision, level, state, document_sha256 FROM reports ORDER BY 1, 2";
  SystemClock clock;
  {
    auto at7 = Store::Open({db.string(), (dir / "journal.key").string(), "", 7, ""}, clock);
    ASSERT_TRUE(at7.ok()) << at7.status().ToString();
    EXPECT_EQ(*(*at7)->SchemaVersion(), 7);
  }
  const std::string before = Rows(db, kReports);
  ASSERT_FALSE(before.empty());
  ASSERT_EQ(Count(db, "SELECT count(*) FROM sqlite_master WHERE name = 'fleet_cursor'"), 0);
  {
    auto store = Store::Open({db.string(), (dir / "journal.key").string(), "", 8, ""}, clock);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    EXPECT_EQ(*(*store)->SchemaVersion(), 8);
    EXPECT_EQ(*(*store)->FleetCursor(), 0);
    EXPECT_TRUE((*store)->AdvanceFleetCursor(12).ok());
    EXPECT_TRUE((*store)->AdvanceFleetCursor(5).ok());
    EXPECT_EQ(*(*store)->FleetCursor(), 12) << "a late acknowledgement never moves the cursor back";
    EXPECT_EQ(*(*store)->IntegrityCheck(), "ok");
    EXPECT_TRUE((*store)->VerifyJournal().ok) << "the cursor is not a journal entry";
  }
  EXPECT_EQ(Rows(db, kReports), before);
  EXPECT_EQ(Count(db, "SELECT acked_seq FROM fleet_cursor"), 12) << "the cursor is on disk";
  fs::remove_all(dir);
}

}  // namespace
}  // namespace lifeline
