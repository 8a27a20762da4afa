// The SMS part ledger in lifelined's store, through the same path lifelined
// uses (StoreSmsLedger over an AsyncStore): parts and their states, what a
// restart finds, concatenation references, status reports (an unknown one
// kept as evidence), every write journaled, corrupt rows refused, and an old
// ledger file (schema 1, its own file) imported once and renamed.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>

#include <filesystem>

#include "daemon/channels/sms/sms.h"
#include "daemon/channels/wiring/store_sms_ledger.h"
#include "daemon/channels/wiring/wiring.h"
#include "daemon/core/uuid.h"
#include "tests/support/fixtures.h"

namespace lifeline {
namespace {

using sms::MessageRecord;
using sms::PartState;

class SmsLedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) / ("sms-ledger-" + NewUuidV4().value());
    std::filesystem::create_directories(dir_);
    Open();
  }
  void TearDown() override {
    Close();
    std::filesystem::remove_all(dir_);
  }
  void Open() {
    auto store = Store::Open(StoreOptionsFor(dir_.string()), clock_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    async_ = std::make_unique<AsyncStore>(std::move(*store), io_);
    ledger_ = std::make_unique<StoreSmsLedger>(*async_);
  }
  void Close() {
    ledger_.reset();
    async_.reset();
  }

  // Runs the loop until the callback gave its result; bounded.
  template <typename T>
  Result<T> Wait(std::function<void(sms::SmsPartLedger::Then<T>)> call) {
    std::optional<Result<T>> out;
    call([&](Result<T> r) { out.emplace(std::move(r)); });
    // The store's worker posts the answer later; until then the loop has no work of its own.
    auto guard = asio::make_work_guard(io_);
    for (int i = 0; i < 2000 && !out; ++i) {
      io_.restart();
      io_.run_for(std::chrono::milliseconds(5));
    }
    if (!out) return Status(StatusCode::kDeadlineExceeded, "no callback");
    return std::move(*out);
  }
  Result<MessageRecord> Create(const std::string& id, const std::string& text, int* ref_seen = nullptr) {
    return Wait<MessageRecord>([&](auto done) {
      ledger_->Create(id, "+886912345678", text,
                      [text, ref_seen](uint8_t ref) {
                        if (ref_seen) *ref_seen = ref;
                        return sms::EncodeSubmit(*sms::ParsePhoneNumber("+886912345678"), text, ref, {});
                      },
                      done);
    });
  }
  Result<MessageRecord> Load(const std::string& id) {
    return Wait<MessageRecord>([&](auto done) { ledger_->Load(id, done); });
  }
  Result<MessageRecord> Sending(const std::string& id, int i) {
    return Wait<MessageRecord>([&](auto done) { ledger_->MarkSending(id, i, done); });
  }
  Result<MessageRecord> Sent(const std::string& id, int i, int ref, WallTime at) {
    return Wait<MessageRecord>([&](auto done) { ledger_->MarkSent(id, i, ref, at, done); });
  }
  Result<std::optional<MessageRecord>> Report(int mr, uint8_t st = 0) {
    sms::StatusReport r;
    r.message_ref = mr;
    r.recipient = *sms::ParsePhoneNumber("+886912345678");
    r.sc_timestamp = r.discharge_time = *ParseRfc3339("2026-11-21T10:00:00+08:00");
    r.status = st;
    r.outcome = sms::OutcomeFromStatus(st);
    return Wait<std::optional<MessageRecord>>([&](auto done) { ledger_->RecordReport(r, "0011AB", done); });
  }
  int JournalCount(const std::string& type) {
    sqlite3* db = nullptr;
    sqlite3_open((dir_ / "lifeline.db").c_str(), &db);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "SELECT count(*) FROM journal WHERE type = ?", -1, &st, nullptr);
    sqlite3_bind_text(st, 1, type.c_str(), -1, SQLITE_TRANSIENT);
    int n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
  }
  void Sql(const char* sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ / "lifeline.db").c_str(), &db), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_close(db);
  }

  std::filesystem::path dir_;
  SystemClock clock_;
  asio::io_context io_;
  std::unique_ptr<AsyncStore> async_;
  std::unique_ptr<StoreSmsLedger> ledger_;
};

TEST_F(SmsLedgerTest, StoresPartsAndTracksTheirStates) {
  const std::string text(300, 'x');
  auto m = Create("m1", text);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(Create("m1", text).status().code(), StatusCode::kAlreadyExists);
  ASSERT_EQ(m->parts.size(), 2u);
  EXPECT_EQ(*m->FirstUnsent(), 0u);
  const WallTime t = ParseRfc3339("2026-11-21T10:00:00+08:00")->instant;
  ASSERT_TRUE(Sending("m1", 1).ok());
  ASSERT_TRUE(Sent("m1", 1, 42, t).ok());
  ASSERT_TRUE(Sending("m1", 2).ok());
  auto retried = Wait<MessageRecord>([&](auto done) { ledger_->MarkRetry("m1", 2, 42, "congestion", done); });
  ASSERT_TRUE(retried.ok());
  EXPECT_EQ(retried->parts[0].state, PartState::kSent);
  EXPECT_EQ(retried->parts[0].message_ref, 42);
  EXPECT_EQ(*retried->parts[0].sent_at, t);
  EXPECT_EQ(retried->parts[1].state, PartState::kNotSent);
  EXPECT_EQ(retried->parts[1].attempts, 1);
  EXPECT_EQ(retried->parts[1].error_detail, "congestion");
  EXPECT_EQ(*retried->FirstUnsent(), 1u);
  EXPECT_EQ(Sending("m1", 9).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(Load("nope").status().code(), StatusCode::kNotFound);
  // Every change is a journal entry, the message's creation with its PDUs too.
  EXPECT_EQ(JournalCount("sms.message"), 1);
  EXPECT_EQ(JournalCount("sms.part"), 4);
}

TEST_F(SmsLedgerTest, SentPartsCannotGoBackToSending) {
  ASSERT_TRUE(Create("m", "short").ok());
  ASSERT_TRUE(Sent("m", 1, 3, WallTime{}).ok());
  EXPECT_EQ(Sending("m", 1).status().code(), StatusCode::kNotFound) << "a sent part is never handed to the modem again";
}

TEST_F(SmsLedgerTest, StateSurvivesReopen) {
  ASSERT_TRUE(Create("m", "durable").ok());
  ASSERT_TRUE(Sending("m", 1).ok());
  Close();
  Open();
  auto m = Load("m");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->parts[0].state, PartState::kSending);
  EXPECT_EQ(*m->FirstUnsent(), 0u) << "an in-flight part of unknown outcome is sent again";
}

TEST_F(SmsLedgerTest, ConcatRefsAdvanceAndWrap) {
  int first = -1;
  ASSERT_TRUE(Create("m0", "x", &first).ok());
  int last = first;
  for (int i = 1; i < 300; ++i) {
    int ref = -1;
    ASSERT_TRUE(Create("m" + std::to_string(i), "x", &ref).ok());
    EXPECT_EQ(ref, (last + 1) % 256);
    last = ref;
  }
}

TEST_F(SmsLedgerTest, StatusReportsMatchTheLatestPartAndUnknownOnesAreKept) {
  ASSERT_TRUE(Create("old", "old").ok());
  ASSERT_TRUE(Create("new", "new").ok());
  const WallTime t0 = ParseRfc3339("2026-11-21T10:00:00+08:00")->instant;
  ASSERT_TRUE(Sent("old", 1, 5, t0).ok());
  ASSERT_TRUE(Sent("new", 1, 5, t0 + std::chrono::hours(1)).ok());  // MR wrapped
  auto match = Report(5);
  ASSERT_TRUE(match.ok() && match->has_value());
  EXPECT_EQ((*match)->id, "new");
  EXPECT_TRUE((*match)->Confirmed());
  EXPECT_FALSE(Load("old")->Confirmed());
  auto none = Report(77);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  EXPECT_EQ(JournalCount("sms.report.unmatched"), 1) << "kept as evidence, not dropped";
  ASSERT_TRUE(Report(5, 0x41).ok());
  EXPECT_EQ(Load("new")->parts[0].delivery, sms::DeliveryOutcome::kFailed);
  EXPECT_TRUE(Load("new")->AnyFailed());
}

TEST_F(SmsLedgerTest, CorruptStateIsRefused) {
  ASSERT_TRUE(Create("m", "x").ok());
  Close();
  Sql("PRAGMA ignore_check_constraints=ON; UPDATE sms_part SET state='bogus'");
  Open();
  EXPECT_EQ(Load("m").status().code(), StatusCode::kCorruption);
}

// A ledger file from before schema version 5, as lifelined left it
// (tests/fixtures/store/v4: the demo's state), is copied into the store once,
// journaled, and renamed; a second start imports nothing.
TEST_F(SmsLedgerTest, AnOldLedgerFileIsImportedOnceAndRenamed) {
  Close();
  std::filesystem::remove_all(dir_);
  std::filesystem::create_directories(dir_);
  testing_support::CopyStateFixture("v4", dir_);
  Open();
  EXPECT_FALSE(std::filesystem::exists(dir_ / "sms-ledger.sqlite"));
  EXPECT_TRUE(std::filesystem::exists(dir_ / "sms-ledger.sqlite.imported"));
  auto m = Load("attempt-2");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  ASSERT_EQ(m->parts.size(), 3u);
  EXPECT_TRUE(m->Confirmed()) << "the status reports came with it";
  EXPECT_EQ(JournalCount("sms.ledger.imported"), 1);
  auto verdict = Wait<MessageRecord>([&](auto done) { ledger_->Load("attempt-2", done); });
  ASSERT_TRUE(verdict.ok());
  Close();
  Open();
  EXPECT_EQ(JournalCount("sms.ledger.imported"), 1);
  auto again = Store::Open(StoreOptionsFor(dir_.string()), clock_);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE((*again)->VerifyJournal().ok) << (*again)->VerifyJournal().reason;
}

TEST_F(SmsLedgerTest, AFreshStoreMakesNoLedgerFile) {
  ASSERT_TRUE(Create("m", "x").ok());
  EXPECT_FALSE(std::filesystem::exists(dir_ / "sms-ledger.sqlite"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "sms-ledger.sqlite.imported"));
}

}  // namespace
}  // namespace lifeline
