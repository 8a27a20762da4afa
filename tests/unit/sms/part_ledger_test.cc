#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>

#include "daemon/channels/sms/sms.h"

namespace lifeline::sms {
namespace {

class PartLedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (std::filesystem::temp_directory_path() /
             ("lifeline-sms-ledger-" + std::to_string(getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".sqlite"))
                .string();
    Remove();
    auto l = OpenSqlitePartLedger(path_);
    ASSERT_TRUE(l.ok()) << l.status().ToString();
    ledger_ = std::move(*l);
  }
  void TearDown() override {
    ledger_.reset();
    Remove();
  }
  void Remove() {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix);
  }
  EncodedMessage Encode(const std::string& text, uint8_t ref) {
    return *EncodeSubmit(*ParsePhoneNumber("+886912345678"), text, ref, SubmitOptions{});
  }
  void Sql(const char* sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
  StatusReport Report(int mr, uint8_t st = 0) {
    StatusReport r;
    r.message_ref = mr;
    r.recipient = *ParsePhoneNumber("+886912345678");
    r.sc_timestamp = r.discharge_time = *ParseRfc3339("2026-11-21T10:00:00+08:00");
    r.status = st;
    r.outcome = OutcomeFromStatus(st);
    return r;
  }

  std::string path_;
  std::unique_ptr<SmsPartLedger> ledger_;
};

TEST_F(PartLedgerTest, StoresPartsAndTracksTheirStates) {
  const std::string text(300, 'x');
  auto enc = Encode(text, 7);
  ASSERT_TRUE(ledger_->Create("m1", "+886912345678", text, enc).ok());
  EXPECT_EQ(ledger_->Create("m1", "+886912345678", text, enc).code(), StatusCode::kAlreadyExists);
  auto m = ledger_->Load("m1");
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->parts.size(), 2u);
  EXPECT_EQ(m->concat_ref, 7);
  EXPECT_EQ(m->parts[1].pdu_hex, enc.parts[1].pdu_hex);
  EXPECT_EQ(*m->FirstUnsent(), 0u);
  const WallTime t = ParseRfc3339("2026-11-21T10:00:00+08:00")->instant;
  ASSERT_TRUE(ledger_->MarkSending("m1", 1).ok());
  ASSERT_TRUE(ledger_->MarkSent("m1", 1, 42, t).ok());
  ASSERT_TRUE(ledger_->MarkSending("m1", 2).ok());
  ASSERT_TRUE(ledger_->MarkRetry("m1", 2, 42, "congestion").ok());
  m = ledger_->Load("m1");
  EXPECT_EQ(m->parts[0].state, PartState::kSent);
  EXPECT_EQ(m->parts[0].message_ref, 42);
  EXPECT_EQ(*m->parts[0].sent_at, t);
  EXPECT_EQ(m->parts[1].state, PartState::kNotSent);
  EXPECT_EQ(m->parts[1].attempts, 1);
  EXPECT_EQ(m->parts[1].error_detail, "congestion");
  EXPECT_EQ(*m->FirstUnsent(), 1u);
  EXPECT_FALSE(m->AllSent());
  EXPECT_EQ(ledger_->MarkSending("m1", 9).code(), StatusCode::kNotFound);
  EXPECT_EQ(ledger_->Load("nope").status().code(), StatusCode::kNotFound);
}

TEST_F(PartLedgerTest, SentPartsCannotGoBackToSending) {
  auto enc = Encode("short", 1);
  ASSERT_TRUE(ledger_->Create("m", "+886912345678", "short", enc).ok());
  ASSERT_TRUE(ledger_->MarkSent("m", 1, 3, WallTime{}).ok());
  EXPECT_EQ(ledger_->MarkSending("m", 1).code(), StatusCode::kNotFound)
      << "a sent part is never handed to the modem again";
}

TEST_F(PartLedgerTest, StateSurvivesReopen) {
  auto enc = Encode("durable", 1);
  ASSERT_TRUE(ledger_->Create("m", "+886912345678", "durable", enc).ok());
  ASSERT_TRUE(ledger_->MarkSending("m", 1).ok());
  ledger_.reset();
  auto reopened = OpenSqlitePartLedger(path_);
  ASSERT_TRUE(reopened.ok());
  auto m = (*reopened)->Load("m");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->parts[0].state, PartState::kSending);
  EXPECT_EQ(*m->FirstUnsent(), 0u) << "an in-flight part of unknown outcome is sent again";
}

TEST_F(PartLedgerTest, ConcatRefsAdvanceAndWrap) {
  auto first = ledger_->AllocateConcatRef();
  ASSERT_TRUE(first.ok());
  uint8_t last = *first;
  for (int i = 0; i < 300; ++i) {
    auto next = ledger_->AllocateConcatRef();
    ASSERT_TRUE(next.ok());
    EXPECT_EQ(*next, uint8_t(last + 1));
    last = *next;
  }
}

TEST_F(PartLedgerTest, StatusReportsMatchTheLatestPartWithThatReference) {
  for (const char* id : {"old", "new"}) {
    ASSERT_TRUE(ledger_->Create(id, "+886912345678", id, Encode(id, 1)).ok());
  }
  const WallTime t0 = ParseRfc3339("2026-11-21T10:00:00+08:00")->instant;
  ASSERT_TRUE(ledger_->MarkSent("old", 1, 5, t0).ok());
  ASSERT_TRUE(ledger_->MarkSent("new", 1, 5, t0 + std::chrono::hours(1)).ok());  // MR wrapped
  auto match = ledger_->RecordReport(Report(5));
  ASSERT_TRUE(match.ok() && match->has_value());
  EXPECT_EQ((*match)->message_id, "new");
  EXPECT_TRUE(ledger_->Load("new")->Confirmed());
  EXPECT_FALSE(ledger_->Load("old")->Confirmed());
  auto none = ledger_->RecordReport(Report(77));
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  auto failed = ledger_->RecordReport(Report(5, 0x41));
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(ledger_->Load("new")->parts[0].delivery, DeliveryOutcome::kFailed);
  EXPECT_TRUE(ledger_->Load("new")->AnyFailed());
}

TEST_F(PartLedgerTest, RejectsCorruptStateAndNewerSchema) {
  ASSERT_TRUE(ledger_->Create("m", "+886912345678", "x", Encode("x", 1)).ok());
  ledger_.reset();
  Sql("PRAGMA ignore_check_constraints=ON; UPDATE sms_part SET state='bogus'");
  auto l = OpenSqlitePartLedger(path_);
  ASSERT_TRUE(l.ok());
  EXPECT_EQ((*l)->Load("m").status().code(), StatusCode::kCorruption);
  l->reset();
  Sql("PRAGMA user_version=9");
  EXPECT_EQ(OpenSqlitePartLedger(path_).status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(PartLedgerTest, UnopenablePathIsAnError) {
  auto l = OpenSqlitePartLedger("/nonexistent-dir/ledger.sqlite");
  EXPECT_EQ(l.status().code(), StatusCode::kIoError);
}

}  // namespace
}  // namespace lifeline::sms
