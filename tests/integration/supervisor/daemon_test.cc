// lifelined with power.source = "supervisor" against supervisor-sim (the
// firmware's host build on a pty): mains lost, battery low and mains back are
// journaled as power changes from the supervisor; the supervisor's own event log
// is journaled; kill -9 of lifelined stops the heartbeats and the supervisor cuts
// the host's power through its relay, which lifelined journals once it is back.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "daemon/store/sqlite.h"
#include "tests/integration/supervisor/processes.h"
#include "tests/support/daemon_harness.h"

namespace lifeline::supervisor {
namespace {

int64_t Count(const std::string& db_path, const std::string& type, const std::string& like) {
  auto db = sql::Db::Open(db_path, {true, ""});
  if (!db.ok()) return -1;
  auto st = (*db)->Prepare("SELECT COUNT(*) FROM journal WHERE type = ? AND payload LIKE ?");
  if (!st.ok()) return -1;
  st->Bind(1, type);
  st->Bind(2, like);
  auto row = st->Step();
  return row.ok() && *row ? st->Int(0) : -1;
}

bool WaitFor(const std::function<bool()>& done, int seconds) {
  for (int i = 0; i < seconds * 10; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return done();
}

std::string Config(const std::string& device) {
  return "[power]\nsource = \"supervisor\"\n[supervisor]\ndevice = \"" + device +
         "\"\nheartbeat_ms = 200\nwatchdog_seconds = 2\nhost_off_seconds = 1\nhost_boot_seconds = 5\n"
         "battery_full_runtime_minutes = 60\n";
}

TEST(SupervisorDaemonTest, PowerChangesEventLogAndWatchdogAfterKillNine) {
  std::string dir = testing::ScratchDir("daemon");
  testing::SimSupervisor sim(dir);
  ASSERT_TRUE(sim.Start().ok());
  ASSERT_TRUE(sim.Control("mains 2400").ok());
  ASSERT_TRUE(sim.Control("battery 13600").ok());
  testing_support::DaemonProcess daemon(dir + "/state", {}, Config(sim.link()));
  ASSERT_TRUE(daemon.Start()) << daemon.log();
  std::string db = dir + "/state/lifeline.db";
  auto journaled = [&](const std::string& type, const std::string& like) { return Count(db, type, like) > 0; };
  ASSERT_TRUE(WaitFor([&] { return journaled("power.change", "%\"mains_ok\":true%\"source\":\"supervisor\"%"); }, 20))
      << daemon.log();
  ASSERT_TRUE(WaitFor([&] { return journaled("supervisor.link", "%\"up\":true%"); }, 10));
  ASSERT_TRUE(WaitFor([&] { return journaled("clock.source", "%"); }, 10));

  ASSERT_TRUE(sim.Control("mains 0").ok());
  ASSERT_TRUE(sim.Control("battery 12300").ok());
  ASSERT_TRUE(WaitFor([&] { return journaled("power.change", "%\"on_battery\":true%\"runtime_seconds\":%"); }, 20))
      << daemon.log();
  ASSERT_TRUE(WaitFor([&] { return journaled("supervisor.event", "%\"event\":\"mains_lost\"%"); }, 20));
  EXPECT_EQ(sim.StatusField("alarm"), 3) << "outage pattern on the buzzer and LEDs";
  ASSERT_TRUE(sim.Control("battery 11500").ok());
  ASSERT_TRUE(WaitFor([&] { return journaled("power.change", "%\"low_battery\":true%"); }, 20)) << daemon.log();
  ASSERT_TRUE(sim.Control("mains 2400").ok());
  ASSERT_TRUE(WaitFor([&] { return journaled("supervisor.event", "%\"event\":\"mains_back\"%"); }, 20));
  EXPECT_TRUE(journaled("supervisor.event", "%\"event\":\"boot\"%"));
  EXPECT_TRUE(journaled("supervisor.event", "%\"event\":\"watchdog_set\"%"));
  EXPECT_EQ(sim.StatusField("relay_pulses"), 0);

  daemon.Kill(SIGKILL);
  ASSERT_TRUE(WaitFor([&] { return sim.StatusField("relay_pulses") >= 1; }, 15)) << "the watchdog did not act";
  ASSERT_TRUE(WaitFor([&] { return sim.StatusField("relay") == 0; }, 5));
  // lifelined as after the host's reboot: the supervisor's record of the reset is journaled, once.
  ASSERT_TRUE(daemon.Start()) << daemon.log();
  ASSERT_TRUE(WaitFor([&] { return journaled("supervisor.event", "%\"event\":\"host_reset\"%"); }, 20))
      << daemon.log();
  ASSERT_TRUE(WaitFor([&] { return journaled("supervisor.event", "%\"event\":\"host_back\"%"); }, 20));
  EXPECT_EQ(Count(db, "supervisor.event", "%\"event\":\"boot\"%"), 1) << "an entry journaled twice";
  EXPECT_EQ(daemon.Kill(SIGTERM), 0) << daemon.log();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace lifeline::supervisor
