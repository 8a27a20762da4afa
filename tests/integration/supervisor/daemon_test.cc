// lifelined with power.source = "supervisor" against supervisor-sim (the
// firmware's host build on a pty): mains lost, battery low and mains back are
// journaled as power changes from the supervisor; the supervisor's own event log
// is journaled; kill -9 of lifelined stops the heartbeats and the supervisor cuts
// the host's power through its relay, which lifelined journals once it is back.
// Noise on the line (bytes that are no frame, invalid UTF-8 and control bytes
// among them, a run too long for any frame, a well-formed frame nobody asked
// for) is dropped, counted and journaled, and changes nothing.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "daemon/core/text.h"
#include "daemon/store/sqlite.h"
#include "daemon/supervisor/wire.h"
#include "tests/integration/supervisor/processes.h"
#include "tests/support/command.h"
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

// supervisor-sim up, on mains with a full battery.
void StartOnMains(testing::SimSupervisor& sim) {
  ASSERT_TRUE(sim.Start().ok());
  ASSERT_TRUE(sim.Control("mains 2400").ok());
  ASSERT_TRUE(sim.Control("battery 13600").ok());
}

// lifelined started; returns once it has journaled the supervisor's mains and its link up.
void StartAndSeeTheMains(testing_support::DaemonProcess& daemon, const std::string& db) {
  ASSERT_TRUE(daemon.Start()) << daemon.log();
  ASSERT_TRUE(WaitFor([&] { return Count(db, "power.change", "%\"mains_ok\":true%\"source\":\"supervisor\"%") > 0; },
                      20))
      << daemon.log();
  ASSERT_TRUE(WaitFor([&] { return Count(db, "supervisor.link", "%\"up\":true%") > 0; }, 10));
}

TEST(SupervisorDaemonTest, PowerChangesEventLogAndWatchdogAfterKillNine) {
  std::string dir = testing::ScratchDir("daemon");
  testing::SimSupervisor sim(dir);
  ASSERT_NO_FATAL_FAILURE(StartOnMains(sim));
  testing_support::DaemonProcess daemon(dir + "/state", {}, Config(sim.link()));
  std::string db = dir + "/state/lifeline.db";
  ASSERT_NO_FATAL_FAILURE(StartAndSeeTheMains(daemon, db));
  auto journaled = [&](const std::string& type, const std::string& like) { return Count(db, type, like) > 0; };
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

TEST(SupervisorDaemonTest, NoiseOnTheLineIsCountedAndChangesNothing) {
  std::string dir = testing::ScratchDir("noise");
  testing::SimSupervisor sim(dir);
  ASSERT_NO_FATAL_FAILURE(StartOnMains(sim));
  testing_support::DaemonProcess daemon(dir + "/state", {}, Config(sim.link()));
  std::string db = dir + "/state/lifeline.db";
  ASSERT_NO_FATAL_FAILURE(StartAndSeeTheMains(daemon, db));
  auto journaled = [&](const std::string& type, const std::string& like) { return Count(db, type, like) > 0; };
  const int64_t power_changes = Count(db, "power.change", "%");

  // A STATUS answer with a good CRC but a seq no request has: ignored, not acted on.
  auto unasked = EncodeFrame({uint8_t(MsgType::kStatus) | kResponse, 0xEE, std::vector<uint8_t>(20, 0xFF)});
  ASSERT_TRUE(unasked.ok());
  const std::vector<std::string> noise = {
      "ff00",                                       // one byte: too short for a frame
      "c3281b5b306d07fe00",                         // invalid UTF-8, an escape, a bell
      "0102030400",                                 // COBS that decodes, CRC that does not match
      std::string(62, '4'),                         // 31 bytes of 'D' ...
      std::string(62, '4'),                         // ... and 31 more, no frame is that long ...
      std::string(62, '4'),                         // ...
      "00",                                         // ... then its delimiter
      HexBytes(std::string(unasked->begin(), unasked->end())),
  };
  for (const auto& hex : noise) {
    auto reply = sim.Control("noise " + hex);
    ASSERT_TRUE(reply.ok()) << hex << ": " << reply.status().ToString();
  }
  ASSERT_TRUE(WaitFor([&] { return journaled("supervisor.bad_frames", "%\"count\":%"); }, 20)) << daemon.log();
  EXPECT_EQ(Count(db, "power.change", "%"), power_changes) << "the noise changed the power state";
  // The link carried on: the next heartbeats are answered, and a real change still arrives.
  ASSERT_TRUE(sim.Control("mains 0").ok());
  ASSERT_TRUE(WaitFor([&] { return journaled("power.change", "%\"on_battery\":true%"); }, 20)) << daemon.log();
  EXPECT_EQ(Count(db, "supervisor.link", "%\"up\":false%"), 0) << "the noise took the link down";
  ASSERT_TRUE(daemon.running());
  EXPECT_EQ(testing_support::HttpOverUnix(daemon.socket_path(), "GET", "/v1/health", "").status, 200);
  EXPECT_EQ(daemon.Kill(SIGTERM), 0) << daemon.log();
  auto verify = testing_support::RunCommand(std::string(LIFELINE_BINARY_DIR "/tools/lifeline/lifeline --state-dir ") +
                                            dir + "/state journal verify 2>&1");
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace lifeline::supervisor
