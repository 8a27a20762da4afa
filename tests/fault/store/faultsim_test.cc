// I/O fault loop in the style of SQLite's do_faultsim_test: for N = 1, 2, ...
// the Nth write or sync of the store fails (once, or from then on) while
// reports are submitted, until a run completes with nothing injected. Every
// call ends in success or a clear error; after the fault is gone the same store
// keeps working; nothing acknowledged is lost or duplicated, integrity_check is
// ok and the journal verifies.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "daemon/store/store.h"
#include "tests/fault/store/faultsim_vfs.h"
#include "tests/support/report_factory.h"

namespace lifeline {
namespace {

using testing_support::NewDocument;
using testing_support::ToReport;
namespace fs = std::filesystem;

struct Scenario {
  const char* name;
  faultsim::Target target;
  faultsim::Error error;
  bool persistent;
};

class FaultLoopTest : public ::testing::TestWithParam<Scenario> {
 protected:
  StoreOptions Options(const fs::path& dir, const char* vfs) {
    return {(dir / "lifeline.db").string(), (dir / "journal.key").string(), vfs, kStoreSchemaVersion, ""};
  }
  SystemClock clock_;
};

void ExpectClearError(const Status& s, int n) {
  EXPECT_FALSE(s.message().empty()) << "N=" << n;
  EXPECT_NE(s.code(), StatusCode::kCorruption) << "N=" << n << ": " << s.ToString();
  EXPECT_NE(s.code(), StatusCode::kInternal) << "N=" << n << ": " << s.ToString();
}

TEST_P(FaultLoopTest, NothingAcknowledgedIsLost) {
  faultsim::Register();
  const Scenario& sc = GetParam();
  int n = 1;
  for (; n <= 400; ++n) {
    fs::path dir = fs::path(::testing::TempDir()) / ("faultsim-" + NewUuidV4().value());
    fs::create_directories(dir);
    std::vector<Report> acked, unacked;
    {
      auto clean = Store::Open(Options(dir, ""), clock_);
      ASSERT_TRUE(clean.ok());
      for (int i = 0; i < 3; ++i) {
        Report r = ToReport(NewDocument());
        ASSERT_TRUE((*clean)->Submit(r, "tw-2021", {}).ok());
        acked.push_back(r);
      }
    }
    auto store = Store::Open(Options(dir, "faultsim"), clock_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    faultsim::Arm(n, sc.target, sc.error, sc.persistent);
    for (int i = 0; i < 5; ++i) {
      Report r = ToReport(NewDocument());
      auto s = (*store)->Submit(r, "tw-2021", {});
      if (s.ok()) acked.push_back(r);
      else {
        ExpectClearError(s.status(), n);
        if (sc.error == faultsim::Error::kDiskFull && sc.target == faultsim::Target::kWrite) {
          EXPECT_EQ(s.status().code(), StatusCode::kResourceExhausted) << s.status().ToString();
        }
        unacked.push_back(r);
      }
    }
    Status t = (*store)->TransitionReport(acked[0].id, 1, ReportState::kFallback, {{"reason", "test"}});
    if (!t.ok()) ExpectClearError(t, n);
    bool injected = faultsim::Injected();
    faultsim::Disarm();
    // The fault is gone: the same store carries on, and retries store each once.
    for (const Report& r : unacked) {
      auto s = (*store)->Submit(r, "tw-2021", {});
      ASSERT_TRUE(s.ok()) << "N=" << n << " retry: " << s.status().ToString();
      acked.push_back(r);
    }
    store->reset();
    auto check = Store::Open(Options(dir, ""), clock_);
    ASSERT_TRUE(check.ok()) << "N=" << n << ": " << check.status().ToString();
    ASSERT_EQ(*(*check)->IntegrityCheck(), "ok") << "N=" << n;
    JournalVerdict v = (*check)->VerifyJournal();
    ASSERT_TRUE(v.ok) << "N=" << n << ": " << v.reason;
    for (const Report& r : acked) {
      auto revs = (*check)->GetReport(r.id);
      ASSERT_TRUE(revs.ok());
      ASSERT_EQ(revs->size(), 1u) << "N=" << n << ": report " << r.id;
    }
    EXPECT_EQ(*(*check)->db().QueryInt("SELECT COUNT(*) FROM reports"), static_cast<int64_t>(acked.size()));
    EXPECT_EQ(*(*check)->db().QueryInt("SELECT COUNT(*) FROM journal WHERE type='report.received'"),
              static_cast<int64_t>(acked.size()));
    check->reset();
    fs::remove_all(dir);
    if (!injected) break;
  }
  EXPECT_GT(n, 3) << "the loop should have injected several faults before running clean";
  EXPECT_LE(n, 400) << "the scenario never ran without a fault";
  std::printf("%s: %d runs until nothing was injected\n", GetParam().name, n);
}

// The SMS part ledger in the same loop: a message created, a part marked
// sending then sent, a status report recorded, each under the Nth fault. What
// a call acknowledged is there afterwards; a failed call, retried once the
// fault is gone, lands once.
TEST_P(FaultLoopTest, SmsLedgerKeepsWhatItAcknowledged) {
  faultsim::Register();
  const Scenario& sc = GetParam();
  auto parts = [](int ref) -> Result<std::vector<SmsPartRow>> {
    SmsPartRow a, b;
    a.index = 1, b.index = 2;
    a.pdu_hex = b.pdu_hex = "0011000C9188" + std::to_string(ref);
    a.tpdu_length = b.tpdu_length = 20;
    return std::vector<SmsPartRow>{a, b};
  };
  int n = 1;
  for (; n <= 400; ++n) {
    fs::path dir = fs::path(::testing::TempDir()) / ("faultsim-sms-" + NewUuidV4().value());
    fs::create_directories(dir);
    auto store = Store::Open(Options(dir, "faultsim"), clock_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    faultsim::Arm(n, sc.target, sc.error, sc.persistent);
    std::map<std::string, std::string> part1;  // message -> the state its part 1 was acknowledged in
    for (int i = 0; i < 3; ++i) {
      const std::string id = "m" + std::to_string(i);
      auto created = (*store)->SmsCreate(id, "+886912345678", "text", parts);
      if (!created.ok()) {
        ExpectClearError(created.status(), n);
        continue;
      }
      part1[id] = "not_sent";
      auto sending = (*store)->SmsChangePart(id, 1, {"sending", {}, {}, {}, {}});
      if (!sending.ok()) continue;
      part1[id] = "sending";
      if ((*store)->SmsChangePart(id, 1, {"sent", 10 + i, 1000 + i, {}, {}}).ok()) part1[id] = "sent";
    }
    auto report = (*store)->SmsRecordReport({10, "+886912345678", "delivered", 0, "2026-11-21T10:00:00+08:00", "00"});
    bool report_acked = report.ok() && report->has_value();
    if (!report.ok()) ExpectClearError(report.status(), n);
    bool injected = faultsim::Injected();
    faultsim::Disarm();
    auto late = (*store)->SmsCreate("late", "+886912345678", "text", parts);
    ASSERT_TRUE(late.ok()) << "N=" << n << ": " << late.status().ToString();
    store->reset();
    auto check = Store::Open(Options(dir, ""), clock_);
    ASSERT_TRUE(check.ok()) << "N=" << n << ": " << check.status().ToString();
    ASSERT_EQ(*(*check)->IntegrityCheck(), "ok") << "N=" << n;
    JournalVerdict v = (*check)->VerifyJournal();
    ASSERT_TRUE(v.ok) << "N=" << n << ": " << v.reason;
    for (const auto& [id, state] : part1) {
      auto m = (*check)->SmsLoad(id);
      ASSERT_TRUE(m.ok()) << "N=" << n << ": acknowledged message " << id << " lost";
      ASSERT_EQ(m->parts.size(), 2u);
      EXPECT_EQ(m->parts[0].state, state) << "N=" << n << ": " << id;
    }
    if (report_acked) {
      EXPECT_EQ((*check)->SmsLoad("m0")->parts[0].delivery, "delivered") << "N=" << n;
    }
    EXPECT_EQ(*(*check)->db().QueryInt("SELECT COUNT(*) FROM journal WHERE type='sms.message'"),
              static_cast<int64_t>(part1.size() + 1));
    check->reset();
    fs::remove_all(dir);
    if (!injected) break;
  }
  EXPECT_GT(n, 3) << "the loop should have injected several faults before running clean";
  EXPECT_LE(n, 400) << "the scenario never ran without a fault";
  std::printf("%s (sms ledger): %d runs until nothing was injected\n", GetParam().name, n);
}

INSTANTIATE_TEST_SUITE_P(
    Faults, FaultLoopTest,
    ::testing::Values(
        Scenario{"write_once", faultsim::Target::kWrite, faultsim::Error::kIoError, false},
        Scenario{"sync_once", faultsim::Target::kSync, faultsim::Error::kIoError, false},
        Scenario{"disk_full", faultsim::Target::kWrite, faultsim::Error::kDiskFull, true},
        Scenario{"io_persistent", faultsim::Target::kWriteOrSync, faultsim::Error::kIoError, true}),
    [](const ::testing::TestParamInfo<Scenario>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace lifeline
