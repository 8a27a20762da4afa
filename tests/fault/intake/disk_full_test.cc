// Disk full on the real lifelined: run under libfiu's fiu-run, make every
// pwrite fail with ENOSPC through fiu-ctrl, and check that a new report is
// refused with a clear 507, stored reports stay readable and intact, the daemon
// keeps running, and once space is back the same report is accepted.
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdlib>
#include <filesystem>

#include "daemon/store/store.h"
#include "tests/support/daemon_harness.h"
#include "tests/support/report_factory.h"

namespace lifeline {
namespace {

using testing_support::DaemonProcess;
using testing_support::HttpOverUnix;
using testing_support::NewDocument;

int FiuCtrl(const std::string& command, int pid) {
  std::string cmd = "fiu-ctrl -c '" + command + "' " + std::to_string(pid);
  return std::system(cmd.c_str());
}

TEST(DiskFullTest, NewReportsRefusedStoredOnesIntactDaemonKeepsRunning) {
  std::string dir = (std::filesystem::path(::testing::TempDir()) / ("diskfull-" + NewUuidV4().value())).string();
  DaemonProcess daemon(dir, {"fiu-run", "-x"});
  ASSERT_TRUE(daemon.Start()) << daemon.log();
  auto a = NewDocument(), b = NewDocument();
  ASSERT_EQ(HttpOverUnix(daemon.socket_path(), "POST", "/v1/reports", a.dump()).status, 201);

  ASSERT_EQ(FiuCtrl("enable name=posix/io/rw/pwrite,failinfo=28", daemon.pid()), 0);
  auto refused = HttpOverUnix(daemon.socket_path(), "POST", "/v1/reports", b.dump());
  EXPECT_EQ(refused.status, 507) << refused.body.dump();
  EXPECT_EQ(refused.body.value("error", ""), "disk_full");
  EXPECT_NE(refused.body.value("message", "").find("NOT stored"), std::string::npos);
  EXPECT_NE(refused.body.value("message_zh", "").find("磁碟空間不足"), std::string::npos);
  auto list = HttpOverUnix(daemon.socket_path(), "GET", "/v1/reports", "");
  ASSERT_EQ(list.status, 200) << "the daemon must keep answering while the disk is full";
  ASSERT_EQ(list.body["reports"].size(), 1u);
  EXPECT_EQ(list.body["reports"][0]["id"], a["id"]);

  ASSERT_EQ(FiuCtrl("disable name=posix/io/rw/pwrite", daemon.pid()), 0);
  EXPECT_EQ(HttpOverUnix(daemon.socket_path(), "POST", "/v1/reports", b.dump()).status, 201);
  EXPECT_EQ(daemon.Kill(SIGTERM), 0) << "lifelined must stop cleanly after the disk filled\n" << daemon.log();

  SystemClock clock;
  auto store = Store::Open({dir + "/lifeline.db", dir + "/journal.key", "", kStoreSchemaVersion, ""}, clock);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ(*(*store)->IntegrityCheck(), "ok");
  EXPECT_TRUE((*store)->VerifyJournal().ok) << (*store)->VerifyJournal().reason;
  EXPECT_EQ((*store)->GetReport(a["id"])->size(), 1u);
  EXPECT_EQ((*store)->GetReport(b["id"])->size(), 1u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace lifeline
