// Tampering with the journal in each way an intruder might is detected, and
// verify names the first bad entry.
#include "daemon/journal/journal.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "daemon/core/uuid.h"

namespace lifeline {
namespace {

namespace fs = std::filesystem;

class JournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("journal-" + NewUuidV4().value());
    fs::create_directories(dir_);
    auto key = JournalKey::LoadOrCreate((dir_ / "journal.key").string());
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    key_ = *key;
    auto db = sql::Db::Open((dir_ / "j.db").string(), {});
    ASSERT_TRUE(db.ok());
    db_ = std::move(*db);
    ASSERT_TRUE(CreateJournalTables(*db_).ok());
    for (int i = 0; i < 10; ++i) {
      auto seq = AppendJournal(*db_, key_, clock_, "test.event", i % 2 ? "r-odd" : "r-even", {{"i", i}});
      ASSERT_TRUE(seq.ok());
      EXPECT_EQ(*seq, i + 1);
      clock_.Advance(std::chrono::seconds(1));
    }
  }
  void TearDown() override { fs::remove_all(dir_); }
  void Sql(const std::string& s) { ASSERT_TRUE(db_->Exec(s).ok()) << s; }

  fs::path dir_;
  JournalKey key_;
  std::unique_ptr<sql::Db> db_;
  SimulatedClock clock_{ParseRfc3339("2026-11-21T10:05:00+08:00")->instant};
};

TEST_F(JournalTest, IntactChainVerifies) {
  JournalVerdict v = VerifyJournal(*db_, key_);
  EXPECT_TRUE(v.ok) << v.reason;
  EXPECT_EQ(v.entries, 10);
}

TEST_F(JournalTest, ModifiedPayloadIsDetected) {
  Sql("UPDATE journal SET payload = '{\"i\":99}' WHERE seq = 4");
  JournalVerdict v = VerifyJournal(*db_, key_);
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad, 4);
  EXPECT_NE(v.reason.find("modified"), std::string::npos) << v.reason;
}

TEST_F(JournalTest, ModifiedTimeIsDetected) {
  Sql("UPDATE journal SET wall_time = '2026-11-21T00:00:00.000000Z' WHERE seq = 7");
  EXPECT_EQ(VerifyJournal(*db_, key_).first_bad, 7);
}

TEST_F(JournalTest, DeletedEntryIsDetected) {
  Sql("DELETE FROM journal WHERE seq = 5");
  JournalVerdict v = VerifyJournal(*db_, key_);
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad, 5);
  EXPECT_NE(v.reason.find("missing"), std::string::npos) << v.reason;
}

TEST_F(JournalTest, DeletedAndRenumberedIsDetected) {
  Sql("DELETE FROM journal WHERE seq = 5; UPDATE journal SET seq = seq - 1 WHERE seq > 5");
  JournalVerdict v = VerifyJournal(*db_, key_);
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad, 5);
}

TEST_F(JournalTest, ReorderedEntriesAreDetected) {
  Sql("UPDATE journal SET seq = -1 WHERE seq = 3; UPDATE journal SET seq = 3 WHERE seq = 6;"
      "UPDATE journal SET seq = 6 WHERE seq = -1");
  JournalVerdict v = VerifyJournal(*db_, key_);
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad, 3);
  EXPECT_NE(v.reason.find("does not follow"), std::string::npos) << v.reason;
}

TEST_F(JournalTest, TruncationIsDetected) {
  Sql("DELETE FROM journal WHERE seq > 7");
  JournalVerdict v = VerifyJournal(*db_, key_);
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad, 8);
  EXPECT_NE(v.reason.find("truncated"), std::string::npos) << v.reason;
}

TEST_F(JournalTest, TruncationWithAForgedHeadIsDetected) {
  Sql("DELETE FROM journal WHERE seq > 7;"
      "UPDATE journal_head SET seq = 7, last_mac = (SELECT mac FROM journal WHERE seq = 7)");
  JournalVerdict v = VerifyJournal(*db_, key_);
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.reason.find("head record was modified"), std::string::npos) << v.reason;
}

TEST_F(JournalTest, AnotherKeyDoesNotVerify) {
  auto other = JournalKey::LoadOrCreate((dir_ / "other.key").string());
  ASSERT_TRUE(other.ok());
  JournalVerdict v = VerifyJournal(*db_, *other);
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad, 1);
}

TEST_F(JournalTest, ReadsOneReportsTimeline) {
  auto odd = ReadJournal(*db_, "r-odd");
  ASSERT_TRUE(odd.ok());
  ASSERT_EQ(odd->size(), 5u);
  EXPECT_EQ((*odd)[0].seq, 2);
  EXPECT_EQ((*odd)[0].clock_source, "simulated");
  EXPECT_EQ((*odd)[0].wall_time, "2026-11-21T02:05:01.000000Z");
}

TEST_F(JournalTest, KeyIsPrivateAndStable) {
  std::string path = (dir_ / "journal.key").string();
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto again = JournalKey::LoadOrCreate(path);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(VerifyJournal(*db_, *again).ok);
  chmod(path.c_str(), 0644);
  EXPECT_EQ(JournalKey::Load(path).status().code(), StatusCode::kPermissionDenied);
  std::string short_key = (dir_ / "short.key").string();
  std::ofstream(short_key) << "abc";
  chmod(short_key.c_str(), 0600);
  EXPECT_EQ(JournalKey::Load(short_key).status().code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace lifeline
