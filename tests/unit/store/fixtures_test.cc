// Databases made by earlier lifelined versions (tests/fixtures/store/v<N>,
// each the state a demo run of that version left, v3 and v4 with their SMS
// part ledger in its own file) open with today's store:
// migrated to the current schema, intact, their journal still verifying, and
// every report readable with its document and deadlines. A change to a
// migration or to how old rows are read fails here.
#include <gtest/gtest.h>
#include <sqlite3.h>

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
  const int64_t reports = Count(db, "SELECT count(*) FROM reports");
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

INSTANTIATE_TEST_SUITE_P(EveryShippedVersion, StoreFixtureTest, ::testing::Values("v2", "v3", "v4"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace lifeline
