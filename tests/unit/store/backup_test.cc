// BackupDatabase while another connection keeps writing: every copy is one
// consistent snapshot (integrity_check ok, the journal chain verifies with
// the key, and each stored report has its journal entry and no entry lacks
// its report), a single file without WAL, mode 0600; an existing target is
// refused and a missing source is reported, never overwritten or crashed on.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <fstream>
#include <filesystem>
#include <thread>

#include "daemon/store/store.h"
#include "tests/support/report_factory.h"

namespace lifeline {
namespace {

namespace fs = std::filesystem;
using testing_support::NewDocument;
using testing_support::ToReport;

class BackupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("backup-" + NewUuidV4().value());
    fs::create_directories(dir_);
    options_ = {db(), (dir_ / "journal.key").string(), "", kStoreSchemaVersion, ""};
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string db() const { return (dir_ / "lifeline.db").string(); }
  std::unique_ptr<Store> Open() {
    auto s = Store::Open(options_, clock_);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }
  // What a copy holds: reports, and journal entries that record a report's arrival.
  struct Copy {
    std::string integrity;
    JournalVerdict verdict;
    int64_t reports = 0, received = 0;
  };
  Copy Check(const std::string& path) {
    Copy c;
    auto copy = sql::Db::Open(path, {.read_only = true, .vfs = ""});
    EXPECT_TRUE(copy.ok()) << copy.status().ToString();
    if (!copy.ok()) return c;
    auto check = (*copy)->Prepare("PRAGMA integrity_check");
    if (check.ok()) {
      auto row = check->Step();
      if (row.ok() && *row) c.integrity = check->Text(0);
    }
    auto key = JournalKey::Load(options_.key_path);
    EXPECT_TRUE(key.ok());
    c.verdict = VerifyJournal(**copy, *key);
    auto reports = (*copy)->QueryInt("SELECT COUNT(*) FROM reports");
    auto received = (*copy)->QueryInt("SELECT COUNT(*) FROM journal WHERE type = 'report.received'");
    c.reports = reports.ok() ? *reports : -1;
    c.received = received.ok() ? *received : -2;
    return c;
  }

  fs::path dir_;
  StoreOptions options_;
  SimulatedClock clock_{ParseRfc3339("2026-11-21T10:05:00+08:00")->instant};
};

TEST_F(BackupTest, CopiesTakenWhileAnotherConnectionWritesAreConsistent) {
  auto seed = Open();
  ASSERT_TRUE(seed);
  ASSERT_TRUE(seed->Submit(ToReport(NewDocument()), "tw-2021", nlohmann::json::array()).ok());
  std::atomic<bool> stop{false};
  std::atomic<int> written{1}, failed{0};
  std::thread writer([&] {
    SimulatedClock clock{clock_.Now()};
    auto st = Store::Open(options_, clock);
    if (!st.ok()) return failed.store(1000);
    while (!stop) {
      if ((*st)->Submit(ToReport(NewDocument()), "tw-2021", nlohmann::json::array()).ok()) ++written;
      else ++failed;
    }
  });
  std::vector<Copy> copies;
  for (int i = 0; i < 8; ++i) {
    // Let the writer get ahead between copies, however slow the machine.
    const int before = written;
    while (written < before + 5 && failed == 0) std::this_thread::yield();
    const std::string out = (dir_ / ("copy-" + std::to_string(i) + ".db")).string();
    Status s = BackupDatabase(db(), out);
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_FALSE(fs::exists(out + "-wal")) << "the copy must be one file";
    struct stat st{};
    ASSERT_EQ(stat(out.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    copies.push_back(Check(out));
  }
  stop = true;
  writer.join();
  EXPECT_EQ(failed, 0) << "the writer was refused while copies were taken";
  int64_t previous = 0;
  for (const Copy& c : copies) {
    EXPECT_EQ(c.integrity, "ok");
    EXPECT_TRUE(c.verdict.ok) << "entry #" << c.verdict.first_bad << ": " << c.verdict.reason;
    EXPECT_EQ(c.reports, c.received) << "a report without its journal entry, or the reverse";
    EXPECT_GT(c.reports, previous) << "each copy holds what was written before it";
    previous = c.reports;
  }
}

TEST_F(BackupTest, ExistingTargetIsRefusedAndLeftAlone) {
  { auto st = Open(); }
  const std::string out = (dir_ / "taken").string();
  { std::ofstream(out) << "someone's file"; }
  Status s = BackupDatabase(db(), out);
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists) << s.ToString();
  EXPECT_EQ(fs::file_size(out), 14u);
}

TEST_F(BackupTest, MissingOrCorruptSourceIsAnErrorAndLeavesNoFile) {
  const std::string out = (dir_ / "copy.db").string();
  EXPECT_EQ(BackupDatabase((dir_ / "absent.db").string(), out).code(), StatusCode::kNotFound);
  EXPECT_FALSE(fs::exists(out));
  const std::string junk = (dir_ / "junk.db").string();
  { std::ofstream(junk) << std::string(8192, 'x'); }
  EXPECT_FALSE(BackupDatabase(junk, out).ok());
  EXPECT_FALSE(fs::exists(out));
}

}  // namespace
}  // namespace lifeline
