// The cross-built supervisor image in qemu-system-arm (BBC micro:bit, nRF51822),
// its UART on a pty, and lifelined's SupervisorLink talking to it: version
// handshake, heartbeats, RTC set and read, a modem power-cycle request answered
// (and its PWRKEY pulses seen by QEMU's GPIO model), then heartbeats stopped and
// the watchdog's host-reset relay seen going on and off, and the supervisor's own
// record of it read back from its flash log. No image or no QEMU: a skip on a
// developer's machine, a failure on CI.
#include <gtest/gtest.h>

#include <asio.hpp>
#include <cstdlib>
#include <thread>

#include "daemon/supervisor/supervisor.h"
#include "tests/integration/supervisor/processes.h"
#include "tests/support/skip.h"

namespace lifeline::supervisor {
namespace {

constexpr int kRelayPin = 18, kPwrkeyPin = 19;

struct Loop {
  asio::io_context io;
  bool RunUntil(const std::function<bool()>& done, int seconds) {
    for (int i = 0; i < seconds * 20 && !done(); ++i) {
      if (io.stopped()) io.restart();
      // With no work left (no link), run_for returns at once: wait in real time all the same.
      if (io.run_for(std::chrono::milliseconds(50)) == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return done();
  }
};

int Rises(const std::vector<int>& levels) {
  int n = 0;
  for (size_t i = 1; i < levels.size(); ++i) n += levels[i - 1] == 0 && levels[i] == 1;
  return n;
}

LinkOptions Options(const std::string& pty) {
  LinkOptions o;
  o.device = pty;
  o.heartbeat_interval = std::chrono::milliseconds(200);
  o.reply_timeout = std::chrono::milliseconds(400);
  o.reopen_delay = std::chrono::milliseconds(300);
  o.watchdog = {3, 1, 5, 3, 240};
  return o;
}

TEST(QemuSupervisorTest, LifelinedTalksToTheImage) {
  std::string why = testing::QemuSupervisor::Unavailable();
  if (!why.empty()) LIFELINE_SKIP_OR_FAIL(why);
  testing::QemuSupervisor qemu(testing::ScratchDir("qemu"));
  Status started = qemu.Start();
  ASSERT_TRUE(started.ok()) << started.ToString();

  Loop loop;
  auto link = std::make_unique<SupervisorLink>(loop.io, Options(qemu.pty()));
  std::optional<HelloReply> hello;
  std::vector<LogEntry> logs;
  link->on_connected = [&](const HelloReply& h) { hello = h; };
  link->on_log = [&](const LogEntry& e, std::function<void(bool)> done) {
    logs.push_back(e);
    done(true);
  };
  ASSERT_TRUE(link->Start().ok());
  ASSERT_TRUE(loop.RunUntil([&] { return hello && link->last_status(); }, 20)) << qemu.Log();
  EXPECT_EQ(hello->protocol, 1);
  EXPECT_EQ(hello->board, 1);  // the nRF51822 image, not the simulator
  EXPECT_TRUE(link->last_status()->watchdog_armed);
  EXPECT_FALSE(link->last_status()->mains_known);  // QEMU has no ADC: said so, not guessed

  std::optional<Status> set;
  link->SetRtc(1767225600, [&](Status s) { set = s; });
  ASSERT_TRUE(loop.RunUntil([&] { return set.has_value(); }, 5));
  ASSERT_TRUE(set->ok()) << set->ToString();
  std::optional<Result<RtcReply>> rtc;
  link->ReadRtc([&](Result<RtcReply> r) { rtc = r; });
  ASSERT_TRUE(loop.RunUntil([&] { return rtc.has_value(); }, 5));
  ASSERT_TRUE(rtc->ok());
  EXPECT_TRUE((*rtc)->valid);
  EXPECT_GE((*rtc)->seconds, 1767225600u);
  EXPECT_LE((*rtc)->seconds, 1767225660u);

  std::optional<Result<bool>> cycle;
  link->RequestModemPowerCycle([&](Result<bool> r) { cycle = r; });
  ASSERT_TRUE(loop.RunUntil([&] { return cycle.has_value(); }, 5));
  ASSERT_TRUE(cycle->ok()) << cycle->status().ToString();
  EXPECT_TRUE(**cycle);
  // Power-off pulse, then (STATUS reads low: nothing drives it in QEMU) the power-on pulse.
  ASSERT_TRUE(loop.RunUntil([&] { return Rises(qemu.PinLevels(kPwrkeyPin)) >= 2; }, 10)) << qemu.Log();
  EXPECT_EQ(Rises(qemu.PinLevels(kRelayPin)), 0);

  // lifelined stops: no more heartbeats. The relay must cut the host's power, then restore it.
  link.reset();
  ASSERT_TRUE(loop.RunUntil([&] { auto l = qemu.PinLevels(kRelayPin); return Rises(l) >= 1 && l.back() == 0; }, 15))
      << qemu.Log();

  // A new link (lifelined after the host's reboot) reads the supervisor's record of it.
  link = std::make_unique<SupervisorLink>(loop.io, Options(qemu.pty()));
  link->on_log = [&](const LogEntry& e, std::function<void(bool)> done) {
    logs.push_back(e);
    done(true);
  };
  ASSERT_TRUE(link->Start().ok());
  auto logged = [&](const std::string& name) {
    for (const auto& e : logs) {
      if (e.Name() == name) return true;
    }
    return false;
  };
  ASSERT_TRUE(loop.RunUntil([&] { return logged("host_reset") && logged("host_back"); }, 20));
  EXPECT_TRUE(logged("boot"));
  EXPECT_TRUE(logged("modem_cycle"));
  EXPECT_TRUE(logged("rtc_set"));
  EXPECT_TRUE(logged("host_silent"));
}

}  // namespace
}  // namespace lifeline::supervisor
