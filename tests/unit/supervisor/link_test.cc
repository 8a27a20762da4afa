// SupervisorLink against the firmware's own application (the host board build)
// running on the far side of a real pty, in a thread of its own. Faults are
// injected between the two: replies dropped or corrupted on the way back. The
// link must shake hands, configure the watchdog, beat, hand on the log entries,
// resend an unanswered request under the same seq (so the firmware acts once),
// and report a supervisor that stops answering as a lost link and unknown power.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <termios.h>
#include <unistd.h>

#include <asio.hpp>
#include <atomic>
#include <mutex>
#include <thread>

#include "daemon/supervisor/supervisor.h"

extern "C" {
#include "host_board.h"
#include "supervisor.h"
}

namespace lifeline::supervisor {
namespace {

// The firmware on a pty master. The mutex guards the firmware's globals
// (g_board and the supervisor), shared by the peer thread and the test's checks.
class FirmwarePeer {
 public:
  FirmwarePeer() {
    termios t{};
    cfmakeraw(&t);
    char name[128];
    EXPECT_EQ(openpty(&master_, &slave_, name, &t, nullptr), 0);
    name_ = name;
    fcntl(master_, F_SETFL, fcntl(master_, F_GETFL) | O_NONBLOCK);
    host_board_reset();
    g_board.adc_valid[HAL_ADC_MAINS] = g_board.adc_valid[HAL_ADC_BATTERY] = true;
    g_board.adc_mv[HAL_ADC_MAINS] = 2400;
    g_board.adc_mv[HAL_ADC_BATTERY] = 12600;
    g_board.input[HAL_IN_MODEM_STATUS] = true;
    sup_init(&sup_, BOARD_HOST_SIM, 0);
    thread_ = std::thread([this] { Loop(); });
  }
  ~FirmwarePeer() {
    stop_ = true;
    thread_.join();
    close(master_);
    close(slave_);
  }
  const std::string& pty() const { return name_; }
  template <typename F>
  auto With(F f) {
    std::lock_guard<std::mutex> lock(mu_);
    return f(sup_);
  }
  std::atomic<int> drop_replies{0};
  std::atomic<bool> silent{false};

 private:
  void Loop() {
    auto start = std::chrono::steady_clock::now();
    while (!stop_) {
      pollfd p{master_, POLLIN, 0};
      poll(&p, 1, 5);
      uint8_t buf[256];
      ssize_t n = read(master_, buf, sizeof buf);
      std::lock_guard<std::mutex> lock(mu_);
      if (n > 0) host_board_uart_push(buf, size_t(n));
      g_board.now_ms = uint32_t(std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::steady_clock::now() - start).count());
      sup_step(&sup_, g_board.now_ms);
      size_t k = host_board_uart_take(buf, sizeof buf);
      if (k == 0 || silent) continue;
      if (drop_replies > 0) {
        --drop_replies;
        continue;
      }
      if (write(master_, buf, k) < 0) continue;
    }
  }
  int master_ = -1, slave_ = -1;
  std::string name_;
  std::mutex mu_;
  ::supervisor sup_{};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

struct LinkTest : ::testing::Test {
  FirmwarePeer peer;
  asio::io_context io;
  std::unique_ptr<SupervisorLink> link;
  std::vector<PowerReading> powers;
  std::vector<LogEntry> logs;
  int connects = 0, losses = 0;

  void SetUp() override {
    LinkOptions o;
    o.device = peer.pty();
    o.heartbeat_interval = std::chrono::milliseconds(100);
    o.reply_timeout = std::chrono::milliseconds(150);
    o.reopen_delay = std::chrono::milliseconds(100);
    o.watchdog = {30, 5, 60, 2, 120};
    link = std::make_unique<SupervisorLink>(io, o);
    link->on_connected = [this](const HelloReply&) { ++connects; };
    link->on_lost = [this](const Status&) { ++losses; };
    link->on_power = [this](const PowerReading& p) { powers.push_back(p); };
    link->on_log = [this](const LogEntry& e, std::function<void(bool)> done) {
      logs.push_back(e);
      done(true);
    };
    ASSERT_TRUE(link->Start().ok());
  }
  // Runs the loop until `done` or 10 s.
  bool RunUntil(const std::function<bool()>& done) {
    for (int i = 0; i < 200 && !done(); ++i) io.run_for(std::chrono::milliseconds(50));
    return done();
  }
};

TEST_F(LinkTest, HandshakeConfigureBeatAndReadTheLog) {
  ASSERT_TRUE(RunUntil([&] { return !powers.empty() && powers.back().known; }));
  EXPECT_EQ(connects, 1);
  EXPECT_TRUE(powers.back().mains_ok);
  EXPECT_EQ(peer.With([](::supervisor& s) { return int(s.wd.cfg.timeout_s); }), 30);
  ASSERT_TRUE(RunUntil([&] { return logs.size() >= 2; }));
  EXPECT_EQ(logs[0].Name(), "boot");
  EXPECT_EQ(logs[1].Name(), "watchdog_set");
  // Mains lost: a power change, and its log entry.
  peer.With([](::supervisor&) { return g_board.adc_mv[HAL_ADC_MAINS] = 0; });
  ASSERT_TRUE(RunUntil([&] { return powers.back().on_battery; }));
  ASSERT_TRUE(RunUntil([&] { return logs.back().Name() == "mains_lost"; }));
  for (size_t i = 1; i < logs.size(); ++i) EXPECT_EQ(logs[i].seq, logs[i - 1].seq + 1);
}

TEST_F(LinkTest, LostReplyIsResentAndTheFirmwareActsOnce) {
  ASSERT_TRUE(RunUntil([&] { return link->connected() && !powers.empty(); }));
  std::optional<Result<bool>> got;
  peer.drop_replies = 1;  // the answer to the next request is lost on the way
  link->RequestModemPowerCycle([&](Result<bool> r) { got = r; });
  ASSERT_TRUE(RunUntil([&] { return got.has_value(); }));
  ASSERT_TRUE(got->ok()) << got->status().ToString();
  EXPECT_TRUE(**got);  // the cached answer: "started"
  EXPECT_EQ(peer.With([](::supervisor& s) { return int(s.mdm.cycles); }), 1);
  EXPECT_EQ(losses, 0);
}

TEST_F(LinkTest, RtcSetThenRead) {
  ASSERT_TRUE(RunUntil([&] { return link->connected(); }));
  std::optional<Status> set;
  link->SetRtc(1767225600, [&](Status s) { set = s; });
  ASSERT_TRUE(RunUntil([&] { return set.has_value(); }));
  ASSERT_TRUE(set->ok()) << set->ToString();
  std::optional<Result<RtcReply>> read;
  link->ReadRtc([&](Result<RtcReply> r) { read = r; });
  ASSERT_TRUE(RunUntil([&] { return read.has_value(); }));
  ASSERT_TRUE(read->ok());
  EXPECT_TRUE((*read)->valid);
  EXPECT_GE((*read)->seconds, 1767225600u);
  EXPECT_LE((*read)->seconds, 1767225700u);
}

TEST_F(LinkTest, SilentSupervisorIsALostLinkThenComesBack) {
  ASSERT_TRUE(RunUntil([&] { return !powers.empty() && powers.back().known; }));
  peer.silent = true;
  ASSERT_TRUE(RunUntil([&] { return losses == 1; }));
  EXPECT_FALSE(powers.back().known);
  EXPECT_FALSE(link->connected());
  peer.silent = false;
  ASSERT_TRUE(RunUntil([&] { return connects == 2 && powers.back().known; }));
}

TEST_F(LinkTest, AlarmIsSetOnTheFirmware) {
  ASSERT_TRUE(RunUntil([&] { return link->connected(); }));
  std::optional<Status> done;
  link->SetAlarm(AlarmPattern::kDeadlineNear, [&](Status s) { done = s; });
  ASSERT_TRUE(RunUntil([&] { return done.has_value(); }));
  EXPECT_TRUE(done->ok());
  EXPECT_EQ(peer.With([](::supervisor& s) { return int(s.alm.shown); }), int(ALARM_DEADLINE_NEAR));
}

}  // namespace
}  // namespace lifeline::supervisor
