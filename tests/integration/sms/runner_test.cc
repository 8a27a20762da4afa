// SmsRunner, the SMS channel as the escalation engine drives it, over a real
// pty against modem-sim: confirmation by status report, resume after the
// runner is destroyed mid-message, permanent failures, Cancel and Stop.
// Every wait is bounded; nothing asserts on durations.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <map>
#include <set>

#include "daemon/channels/sms/sms.h"
#include "daemon/channels/wiring/store_sms_ledger.h"
#include "daemon/channels/wiring/wiring.h"
#include "daemon/core/clock.h"
#include "tests/integration/sms/sim_process.h"

namespace lifeline::sms::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr char kTo[] = "+886912345678";

std::string LongChinese() {
  std::string t;
  for (int i = 0; i < 8; ++i) t += "資安事件通報：網站無法連線，改以簡訊通報。";
  return t;  // 176 characters: three UCS-2 parts
}

// What the runner told the engine about one attempt.
struct Calls {
  std::vector<std::pair<std::string, nlohmann::json>> progress;
  std::optional<NoticeOutcome> done;
  int done_count = 0;
  bool Any() const { return done_count > 0 || !progress.empty(); }
};

// The payloads of the journal entries of one type, in order.
std::vector<nlohmann::json> JournalEntriesOfKind(const std::string& dir, const std::string& type) {
  std::vector<nlohmann::json> out;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2((dir + "/lifeline.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "SELECT payload FROM journal WHERE type = ? ORDER BY seq", -1, &st, nullptr);
    sqlite3_bind_text(st, 1, type.c_str(), -1, SQLITE_TRANSIENT);
    while (sqlite3_step(st) == SQLITE_ROW) {
      out.push_back(nlohmann::json::parse(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)),
                                          nullptr, false));
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return out;
}

class RunnerTest : public ::testing::Test {
 protected:
  void TearDown() override {
    runner_.reset();
    sim_.reset();
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }

  void StartSim(const std::vector<std::string>& args = {}) {
    dir_ = ScratchDir(::testing::UnitTest::GetInstance()->current_test_info()->name());
    auto sim = SimProcess::Start(dir_, args);
    ASSERT_TRUE(sim.ok()) << sim.status().ToString();
    sim_ = std::move(*sim);
  }

  // A fresh runner on the same store, opened and waited (bounded) to be ready.
  void OpenRunner() {
    runner_.reset();
    ledger_.reset();
    auto ledger = OpenStoreSmsLedger(io_, StoreOptionsFor(dir_), clock_);
    ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
    ledger_ = std::move(*ledger);
    SmsRunnerOptions o;
    o.modem.at.device = sim_->link();
    o.modem.at.reopen_delay = milliseconds(200);
    o.modem.command_timeout = milliseconds(1000);
    o.modem.send_timeout = milliseconds(2000);
    o.modem.health_interval = milliseconds(500);
    o.modem.boot_settle = milliseconds(100);
    o.modem.trouble_before_reset = 2;
    o.ledger = ledger_.get();
    o.max_attempts_per_part = 4;
    o.retry_delay = milliseconds(200);
    o.max_modem_waits = 100;
    runner_ = std::make_unique<SmsRunner>(io_, clock_, o);
    runner_->SetHealthHandler([this](const ModemHealth&) { ++health_changes_; });
    ASSERT_TRUE(runner_->Open().ok());
    ASSERT_TRUE(RunUntil([&] { return runner_->health()->Ready(); }))
        << runner_->health()->ToJson();
  }

  // Runs the io_context until `done` holds; false after `limit` (bounded loop).
  bool RunUntil(const std::function<bool()>& done, seconds limit = seconds(30)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (int i = 0; i < 100000 && !done(); ++i) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      io_.run_for(milliseconds(20));
      if (io_.stopped()) io_.restart();
    }
    return done();
  }

  void Start(int64_t attempt_id, const std::string& text, Calls& calls,
             const std::string& to = kTo) {
    NoticeJob job;
    job.attempt_id = attempt_id;
    job.report_id = "r-1";
    job.recipient_key = "superior";
    job.address = ChannelAddress{"sms", to, ""};
    job.text = text;
    runner_->Start(
        job,
        [&calls](const std::string& s, const nlohmann::json& e) {
          calls.progress.emplace_back(s, e);
        },
        [&calls](const NoticeOutcome& o) {
          calls.done = o;
          ++calls.done_count;
        });
  }

  // How many status reports wait in the modem's memory.
  int StoredReports() {
    auto reply = sim_->Control("status");
    if (!reply.ok() || reply->rfind("OK ", 0) != 0) return -1;
    auto j = nlohmann::json::parse(reply->substr(3), nullptr, false);
    return j.is_object() && j.contains("stored_reports") ? int(j["stored_reports"]) : -1;
  }

  MessageRecord LedgerRecord(const std::string& id) {
    auto m = LoadNow(io_, *ledger_, id);
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    return m.ok() ? *m : MessageRecord{};
  }

  std::string dir_;
  asio::io_context io_;
  SystemClock clock_;
  std::unique_ptr<SimProcess> sim_;
  std::unique_ptr<SmsPartLedger> ledger_;  // before the runner: it borrows the ledger
  std::unique_ptr<SmsRunner> runner_;
  int health_changes_ = 0;
};

TEST_F(RunnerTest, ChineseNoticeIsConfirmedByStatusReportsForEveryPart) {
  StartSim();
  OpenRunner();
  EXPECT_GT(health_changes_, 0) << "modem health reaches the handler";
  Calls c;
  Start(1, LongChinese(), c);
  ASSERT_TRUE(RunUntil([&] { return c.done.has_value(); }));
  ASSERT_EQ(c.done->kind, NoticeOutcome::Kind::kConfirmed) << c.done->summary;
  EXPECT_EQ(c.done_count, 1);
  ASSERT_EQ(c.progress.size(), 1u);
  EXPECT_EQ(c.progress[0].first, "sent, waiting for the status report");
  for (const auto& p : c.progress[0].second["parts"]) EXPECT_EQ(p["state"], "sent") << p;

  const nlohmann::json& e = c.done->evidence;
  const auto submits = sim_->Submits();
  ASSERT_EQ(submits.size(), 3u);
  ASSERT_EQ(e["parts"].size(), 3u) << e;
  EXPECT_EQ(e["message_id"], "attempt-1");
  EXPECT_EQ(e["recipient"], kTo);
  EXPECT_EQ(e["confirmed"], true);
  std::string joined;
  for (size_t i = 0; i < 3; ++i) {
    const nlohmann::json& p = e["parts"][i];
    ASSERT_TRUE(submits[i].decoded_ok) << submits[i].pdu_hex;
    EXPECT_EQ(submits[i].decoded.coding, Coding::kUcs2);
    EXPECT_EQ(submits[i].decoded.concat->ref, e["concat_ref"]);
    EXPECT_EQ(submits[i].decoded.concat->seq, int(i + 1));
    EXPECT_EQ(p["index"], int(i + 1));
    EXPECT_EQ(p["message_ref"], submits[i].mr);
    EXPECT_EQ(p["delivery"], "delivered");
    EXPECT_TRUE(p.contains("sent_at") && p.contains("discharge_time")) << p;
    joined += EncodeUtf8(submits[i].decoded.text);
  }
  EXPECT_EQ(joined, LongChinese());
  EXPECT_TRUE(runner_->health()->report_memory) << runner_->health()->ToJson();
  EXPECT_TRUE(RunUntil([&] { return StoredReports() == 0; }))
      << "each report is deleted from the modem once the ledger holds it: " << StoredReports();
}

// lifelined is stopped after the parts are sent and before their status reports
// come: the modem keeps them, and the next start-up reads them (AT+CMGL), matches
// them to the parts and deletes them. A report for a reference nobody sent is kept
// as evidence too, never dropped.
TEST_F(RunnerTest, ReportsThatCameWhileStoppedAreReadAtTheNextStart) {
  StartSim({"--report-delay-ms", "1500"});
  OpenRunner();
  Calls first;
  Start(9, LongChinese(), first);
  ASSERT_TRUE(RunUntil([&] { return first.progress.size() == 1; })) << "all parts sent";
  runner_.reset();
  ASSERT_TRUE(sim_->Control("store-report 200 +886955000111").ok());
  ASSERT_TRUE(RunUntil([&] { return StoredReports() == 4; })) << StoredReports();
  EXPECT_FALSE(first.done.has_value());
  for (const PartRecord& p : LedgerRecord("attempt-9").parts) {
    EXPECT_FALSE(p.delivery.has_value()) << "no report reached the ledger while stopped";
  }

  OpenRunner();
  ASSERT_TRUE(RunUntil([&] { return StoredReports() == 0; })) << StoredReports();
  for (const PartRecord& p : LedgerRecord("attempt-9").parts) {
    EXPECT_EQ(p.delivery, DeliveryOutcome::kDelivered);
  }
  Calls second;
  Start(9, LongChinese(), second);
  ASSERT_TRUE(RunUntil([&] { return second.done.has_value(); }));
  EXPECT_EQ(second.done->kind, NoticeOutcome::Kind::kConfirmed) << second.done->summary;
  EXPECT_EQ(sim_->Submits().size(), 3u) << "nothing sent again";
  auto unmatched = JournalEntriesOfKind(dir_, "sms.report.unmatched");
  ASSERT_EQ(unmatched.size(), 1u);
  EXPECT_EQ(unmatched[0]["message_ref"], 200);
  EXPECT_EQ(unmatched[0]["recipient"], "+886955000111");
}

TEST_F(RunnerTest, NewRunnerResumesTheSameMessageWithoutResendingSentParts) {
  StartSim();
  OpenRunner();
  // The second AT+CMGS is swallowed: part 1 is sent, part 2 hangs at the modem.
  ASSERT_TRUE(sim_->Control("silent-at 2").ok());
  Calls first;
  Start(7, LongChinese(), first);
  ASSERT_TRUE(RunUntil([&] { return sim_->Submits().size() >= 2; }));
  runner_.reset();
  EXPECT_FALSE(first.done.has_value()) << "no outcome after the runner is gone";
  {
    const MessageRecord m = LedgerRecord("attempt-7");
    ASSERT_EQ(m.parts.size(), 3u);
    EXPECT_EQ(m.parts[0].state, PartState::kSent);
    EXPECT_NE(m.parts[1].state, PartState::kSent);
    EXPECT_EQ(m.parts[2].state, PartState::kNotSent);
  }
  ASSERT_TRUE(sim_->Control("silent off").ok());

  OpenRunner();
  Calls second;
  Start(7, LongChinese(), second);
  ASSERT_TRUE(RunUntil([&] { return second.done.has_value(); }));
  ASSERT_EQ(second.done->kind, NoticeOutcome::Kind::kConfirmed) << second.done->summary;
  EXPECT_EQ(second.done->evidence["parts"].size(), 3u);
  EXPECT_FALSE(first.done.has_value());

  std::map<int, int> accepted, handed;  // per part: "ok" answers, and all submits
  std::set<int> refs;
  for (const LoggedSubmit& s : sim_->Submits()) {
    ASSERT_TRUE(s.decoded_ok && s.decoded.concat) << s.pdu_hex;
    ++handed[s.decoded.concat->seq];
    if (s.result == "ok") ++accepted[s.decoded.concat->seq];
    refs.insert(s.decoded.concat->ref);
  }
  EXPECT_EQ(refs, std::set<int>{int(second.done->evidence["concat_ref"])});
  EXPECT_EQ(handed[1], 1) << "part 1 was accepted before the restart: never again";
  EXPECT_EQ(handed[2], 2) << "the part in flight had no known outcome: sent again";
  EXPECT_EQ(accepted[1], 1);
  EXPECT_EQ(accepted[2], 1);
  EXPECT_EQ(accepted[3], 1);

  // A third life: the ledger already holds every delivery report.
  const size_t before = sim_->Submits().size();
  runner_.reset();
  OpenRunner();
  Calls third;
  Start(7, LongChinese(), third);
  ASSERT_TRUE(RunUntil([&] { return third.done.has_value(); }));
  EXPECT_EQ(third.done->kind, NoticeOutcome::Kind::kConfirmed) << third.done->summary;
  EXPECT_TRUE(third.progress.empty());
  EXPECT_EQ(sim_->Submits().size(), before) << "nothing sent for a confirmed attempt";
}

TEST_F(RunnerTest, PermanentCmsErrorFailsTheAttempt) {
  StartSim();
  OpenRunner();
  ASSERT_TRUE(sim_->Control("cms 1").ok());  // unassigned number
  Calls c;
  Start(3, "資安事件通報", c);
  ASSERT_TRUE(RunUntil([&] { return c.done.has_value(); }));
  ASSERT_EQ(c.done->kind, NoticeOutcome::Kind::kFailed);
  EXPECT_NE(c.done->summary.find("refused"), std::string::npos) << c.done->summary;
  EXPECT_TRUE(c.progress.empty());
  const nlohmann::json& p = c.done->evidence["parts"][0];
  EXPECT_EQ(p["state"], "failed") << c.done->evidence;
  EXPECT_EQ(p["error_code"], 1);
  EXPECT_EQ(sim_->Submits().size(), 1u) << "a permanent error is not retried";
}

// A modem that cannot keep reports (no AT+CNMI ds=2) routes them as +CDS.
TEST_F(RunnerTest, FailedStatusReportFailsTheAttempt) {
  StartSim({"--report", "failed", "--no-report-memory"});
  OpenRunner();
  EXPECT_FALSE(runner_->health()->report_memory);
  EXPECT_TRUE(runner_->health()->status_reports);
  Calls c;
  Start(4, "phone switched off", c);
  ASSERT_TRUE(RunUntil([&] { return c.done.has_value(); }));
  ASSERT_EQ(c.done->kind, NoticeOutcome::Kind::kFailed);
  EXPECT_EQ(c.progress.size(), 1u) << "accepted by the network first";
  EXPECT_EQ(c.done->evidence["parts"][0]["delivery"], "failed") << c.done->evidence;
  EXPECT_EQ(c.done->evidence["parts"][0]["tp_st"], 0x41);
}

TEST_F(RunnerTest, PersistentTemporaryTroubleFailsWithASummary) {
  StartSim();
  OpenRunner();
  ASSERT_TRUE(sim_->Control("cms 42 always").ok());  // congestion
  Calls c;
  Start(5, "network busy", c);
  ASSERT_TRUE(RunUntil([&] { return c.done.has_value(); }));
  ASSERT_EQ(c.done->kind, NoticeOutcome::Kind::kFailed);
  EXPECT_NE(c.done->summary.find("temporary"), std::string::npos) << c.done->summary;
  EXPECT_EQ(c.done->evidence["sender_state"], "deferred");
}

TEST_F(RunnerTest, CancelledQueuedAttemptIsNeverSentNorReported) {
  StartSim();
  OpenRunner();
  Calls a, b;
  Start(10, LongChinese(), a);
  Start(11, "second notice", b);  // queued behind the first
  runner_->Cancel(11);
  ASSERT_TRUE(RunUntil([&] { return a.done.has_value(); }));
  EXPECT_EQ(a.done->kind, NoticeOutcome::Kind::kConfirmed) << a.done->summary;
  RunUntil([] { return false; }, seconds(1));  // room for a stray callback to show
  EXPECT_FALSE(b.Any());
  EXPECT_EQ(sim_->Submits().size(), 3u) << "only the first attempt's parts";
}

TEST_F(RunnerTest, CancelWhileWaitingForTheNetworkDropsTheAttempt) {
  StartSim();
  OpenRunner();
  for (const char* d : {"cs", "gprs", "eps"})
    ASSERT_TRUE(sim_->Control(std::string("reg ") + d + " 3").ok());
  ASSERT_TRUE(RunUntil([&] { return !runner_->health()->Registered(); }));
  Calls held, later;
  Start(20, "held back", held);
  runner_->Cancel(20);
  ASSERT_TRUE(sim_->Control("reg eps 1").ok());
  Start(21, "after the network returned", later);
  ASSERT_TRUE(RunUntil([&] { return later.done.has_value(); }));
  EXPECT_EQ(later.done->kind, NoticeOutcome::Kind::kConfirmed) << later.done->summary;
  EXPECT_FALSE(held.Any());
  const auto submits = sim_->Submits();
  ASSERT_EQ(submits.size(), 1u);
  EXPECT_EQ(EncodeUtf8(submits[0].decoded.text), "after the network returned");
}

TEST_F(RunnerTest, NoCallbackAfterStop) {
  StartSim();
  OpenRunner();
  Calls c;
  Start(30, LongChinese(), c);
  runner_->Stop();
  RunUntil([] { return false; }, seconds(1));
  EXPECT_FALSE(c.Any());
}

TEST_F(RunnerTest, StartBeforeOpenFailsWithoutTouchingTheModem) {
  StartSim();
  SmsRunnerOptions o;
  o.modem.at.device = sim_->link();
  runner_ = std::make_unique<SmsRunner>(io_, clock_, o);
  Calls c;
  Start(40, "too early", c);
  EXPECT_FALSE(c.Any()) << "never from inside Start";
  ASSERT_TRUE(RunUntil([&] { return c.done.has_value(); }));
  EXPECT_EQ(c.done->kind, NoticeOutcome::Kind::kFailed);
  EXPECT_TRUE(sim_->Submits().empty());
}

}  // namespace
}  // namespace lifeline::sms::testing
