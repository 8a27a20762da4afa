// lifelined with [power] source = "nut" against a real upsd and dummy-ups: the
// UPS going on battery, then low, is journaled as power changes with runtime.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "daemon/store/sqlite.h"
#include "tests/integration/power/nut_processes.h"
#include "tests/support/daemon_harness.h"
#include "tests/support/report_factory.h"

namespace lifeline {
namespace {

int64_t CountJournal(const std::string& db_path, const std::string& like) {
  auto db = sql::Db::Open(db_path, {});
  if (!db.ok()) return -1;
  auto st = (*db)->Prepare("SELECT COUNT(*) FROM journal WHERE type = 'power.change' AND payload LIKE ?");
  if (!st.ok()) return -1;
  st->Bind(1, like);
  auto row = st->Step();
  return row.ok() && *row ? st->Int(0) : -1;
}

bool WaitForJournal(const std::string& db_path, const std::string& like) {
  for (int i = 0; i < 300; ++i) {  // 30 s at most
    if (CountJournal(db_path, like) > 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

TEST(DaemonPowerTest, UpsGoingOnBatteryIsJournaled) {
  testing::NutProcesses nut;
  Status started = nut.Start({"OL", 1800, 100});
  ASSERT_TRUE(started.ok()) << started.ToString() << "\n" << nut.Logs();
  std::string dir = (std::filesystem::path(::testing::TempDir()) / ("power-" + NewUuidV4().value())).string();
  std::string extra = "[power]\nsource = \"nut\"\nnut_port = " + std::to_string(nut.port()) + "\nnut_ups = \"" +
                      testing::NutProcesses::kUps + "\"\npoll_interval_ms = 200\n";
  testing_support::DaemonProcess daemon(dir, {}, extra);
  ASSERT_TRUE(daemon.Start()) << daemon.log();
  std::string db = dir + "/lifeline.db";
  ASSERT_TRUE(WaitForJournal(db, "%\"mains_ok\":true%")) << daemon.log();
  ASSERT_TRUE(nut.SetDevice({"OB DISCHRG", 900, 60}).ok());
  ASSERT_TRUE(WaitForJournal(db, "%\"on_battery\":true%\"runtime_seconds\":900%")) << daemon.log();
  ASSERT_TRUE(nut.SetDevice({"OB LB", 120, 10}).ok());
  ASSERT_TRUE(WaitForJournal(db, "%\"low_battery\":true%")) << daemon.log();
  nut.StopUpsd();
  ASSERT_TRUE(WaitForJournal(db, "%\"known\":false%")) << "upsd gone must read as unknown\n" << daemon.log();
  EXPECT_EQ(daemon.Kill(SIGTERM), 0) << daemon.log();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace lifeline
