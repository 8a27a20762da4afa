// The firmware's application over the host board, byte for byte on its UART:
// the handshake comes first, a retransmitted request is answered again but not
// carried out again, bad frames are counted and unanswered, and the periodic
// machines drive the board's outputs and the event log.
#include <gtest/gtest.h>

#include <vector>

#include "host_board.h"
#include "supervisor.h"

namespace {

struct SupervisorTest : ::testing::Test {
  supervisor s;
  void SetUp() override {
    host_board_reset();
    g_board.adc_valid[HAL_ADC_MAINS] = g_board.adc_valid[HAL_ADC_BATTERY] = true;
    g_board.adc_mv[HAL_ADC_MAINS] = 2400;
    g_board.adc_mv[HAL_ADC_BATTERY] = 13600;
    g_board.input[HAL_IN_MODEM_STATUS] = true;
    sup_init(&s, BOARD_HOST_SIM, g_board.now_ms);
  }
  void Advance(uint32_t ms) {
    for (uint32_t t = 0; t < ms; t += 10) {
      g_board.now_ms += 10;
      sup_step(&s, g_board.now_ms);
    }
  }
  // Sends a request; returns the frames received within `ms`.
  std::vector<wire_frame> Ask(uint8_t type, uint8_t seq, std::vector<uint8_t> payload = {}, uint32_t ms = 20) {
    uint8_t buf[WIRE_MAX_FRAME];
    size_t n = wire_encode(type, seq, payload.data(), payload.size(), buf, sizeof buf);
    host_board_uart_push(buf, n);
    Advance(ms);
    return Take();
  }
  std::vector<wire_frame> Take() {
    std::vector<wire_frame> out;
    uint8_t buf[HOST_UART_CAP];
    size_t n = host_board_uart_take(buf, sizeof buf);
    wire_rx rx;
    wire_rx_init(&rx);
    wire_frame f;
    for (size_t i = 0; i < n; ++i) {
      if (wire_rx_feed(&rx, buf[i], &f) == WIRE_FRAME) out.push_back(f);
    }
    return out;
  }
  void Hello() {
    auto r = Ask(MSG_HELLO, 1, {1, 1});
    ASSERT_EQ(r.size(), 1u);
    ASSERT_EQ(r[0].type, MSG_HELLO | PROTO_RESPONSE);
  }
  std::vector<evlog_entry> Log() {
    std::vector<evlog_entry> out(64);
    out.resize(evlog_read(&s.log, 0, out.data(), 64));
    return out;
  }
  bool Logged(uint8_t code) {
    for (const auto& e : Log()) {
      if (e.code == code) return true;
    }
    return false;
  }
};

TEST_F(SupervisorTest, HandshakeFirst) {
  auto r = Ask(MSG_HEARTBEAT, 1);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].type, MSG_ERROR | PROTO_RESPONSE);
  EXPECT_EQ(r[0].payload[0], MSG_HEARTBEAT);
  EXPECT_EQ(r[0].payload[1], ERR_NO_HELLO);
  r = Ask(MSG_HELLO, 2, {2, 3});  // only versions we do not speak
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].payload[1], ERR_VERSION);
  r = Ask(MSG_HELLO, 3, {1, 4});
  ASSERT_EQ(r.size(), 1u);
  ASSERT_EQ(r[0].type, MSG_HELLO | PROTO_RESPONSE);
  ASSERT_EQ(r[0].len, HELLO_RESP_LEN);
  EXPECT_EQ(r[0].seq, 3);
  EXPECT_EQ(r[0].payload[0], PROTO_VERSION);
  EXPECT_EQ(r[0].payload[3], BOARD_HOST_SIM);
  EXPECT_EQ(wire_get_u16(r[0].payload + 4), 1);  // first boot
}

TEST_F(SupervisorTest, BootCountComesFromTheLog) {
  sup_init(&s, BOARD_HOST_SIM, g_board.now_ms);
  sup_init(&s, BOARD_HOST_SIM, g_board.now_ms);
  EXPECT_EQ(s.boot_count, 3);
}

TEST_F(SupervisorTest, RetransmittedRequestIsAnsweredNotRepeated) {
  Hello();
  auto first = Ask(MSG_MODEM_CYCLE, 7);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].payload[0], 1);  // started
  auto again = Ask(MSG_MODEM_CYCLE, 7);  // the host did not hear the answer
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].payload[0], 1);  // the same answer, from the cache
  EXPECT_EQ(s.mdm.cycles, 1);
  auto next = Ask(MSG_MODEM_CYCLE, 8);  // a new request: one is already running
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].payload[0], 0);
}

TEST_F(SupervisorTest, BadFramesAreCountedAndUnanswered) {
  Hello();
  uint8_t buf[WIRE_MAX_FRAME];
  size_t n = wire_encode(MSG_STATUS, 4, nullptr, 0, buf, sizeof buf);
  buf[1] ^= 0x40;  // corrupt
  host_board_uart_push(buf, n);
  Advance(20);
  EXPECT_TRUE(Take().empty());
  EXPECT_EQ(s.rx_errors, 1);
  auto r = Ask(MSG_STATUS, 5, {1});  // wrong length
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].payload[1], ERR_LENGTH);
  r = Ask(0x33, 6);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].payload[1], ERR_UNKNOWN);
  r = Ask(MSG_ALARM, 7, {ALARM_COUNT});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].payload[1], ERR_VALUE);
}

TEST_F(SupervisorTest, RtcSetGetAndSurvivesWarmReset) {
  Hello();
  auto r = Ask(MSG_RTC_GET, 2);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].payload[0], 0);  // not valid before anyone set it
  uint8_t t[4];
  wire_put_u32(t, 1767225600);
  r = Ask(MSG_RTC_SET, 3, {t, t + 4});
  ASSERT_EQ(r.size(), 1u);
  Advance(5000);
  r = Ask(MSG_RTC_GET, 4);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].payload[0], 1);
  EXPECT_EQ(wire_get_u32(r[0].payload + 1), 1767225605u);
  host_board_power_on(true);  // warm reset: retained RAM kept
  sup_init(&s, BOARD_HOST_SIM, g_board.now_ms);
  EXPECT_TRUE(s.clock.valid);
  EXPECT_GE(sup_clock_now(&s, g_board.now_ms), 1767225604u);
  host_board_power_on(false);
  sup_init(&s, BOARD_HOST_SIM, g_board.now_ms);
  EXPECT_FALSE(s.clock.valid);
  EXPECT_TRUE(Logged(EV_RTC_SET));
}

TEST_F(SupervisorTest, MainsLossIsStatusAndLogAndLocalAlarm) {
  Hello();
  Advance(1000);
  auto r = Ask(MSG_HEARTBEAT, 2);
  ASSERT_EQ(r.size(), 1u);
  ASSERT_EQ(r[0].len, STATUS_LEN);
  uint16_t flags = wire_get_u16(r[0].payload);
  EXPECT_TRUE(flags & STATUS_MAINS_KNOWN);
  EXPECT_TRUE(flags & STATUS_MAINS_OK);
  g_board.adc_mv[HAL_ADC_MAINS] = 0;
  g_board.adc_mv[HAL_ADC_BATTERY] = 12400;
  Advance(1000);
  r = Ask(MSG_HEARTBEAT, 3);
  ASSERT_EQ(r.size(), 1u);
  flags = wire_get_u16(r[0].payload);
  EXPECT_FALSE(flags & STATUS_MAINS_OK);
  EXPECT_TRUE(Logged(EV_MAINS_LOST));
  EXPECT_EQ(s.alm.shown, ALARM_OUTAGE);
  EXPECT_GT(g_board.rising[HAL_OUT_LED_RED], 0u);
}

TEST_F(SupervisorTest, WatchdogPowerCyclesTheHostAndLogsIt) {
  Hello();
  uint8_t cfg[CONFIG_LEN];
  wire_put_u16(cfg, 3);
  wire_put_u16(cfg + 2, 2);
  wire_put_u16(cfg + 4, 10);
  cfg[6] = 1;
  wire_put_u16(cfg + 7, 240);
  auto r = Ask(MSG_CONFIG, 2, {cfg, cfg + CONFIG_LEN});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(wire_get_u16(r[0].payload), 3);
  for (int i = 0; i < 10; ++i) Ask(MSG_HEARTBEAT, uint8_t(10 + i), {}, 1000);
  EXPECT_EQ(g_board.rising[HAL_OUT_HOST_RELAY], 0u);
  Advance(3200);  // heartbeats stop
  EXPECT_TRUE(g_board.output[HAL_OUT_HOST_RELAY]);
  EXPECT_EQ(g_board.rising[HAL_OUT_HOST_RELAY], 1u);
  Advance(2100);
  EXPECT_FALSE(g_board.output[HAL_OUT_HOST_RELAY]);
  EXPECT_TRUE(Logged(EV_HOST_SILENT));
  EXPECT_TRUE(Logged(EV_HOST_RESET));
  Advance(14000);  // booting grace plus timeout: a second reset would exceed 1 an hour
  EXPECT_EQ(g_board.rising[HAL_OUT_HOST_RELAY], 1u);
  EXPECT_TRUE(Logged(EV_HOST_RESET_LIMIT));
  r = Ask(MSG_HEARTBEAT, 40);
  EXPECT_TRUE(Logged(EV_HOST_BACK));
}

TEST_F(SupervisorTest, ButtonsAreDebouncedAndLogged) {
  Hello();
  uint8_t p = ALARM_FALLBACK;
  Ask(MSG_ALARM, 2, {p});
  g_board.input[HAL_IN_ACK_BUTTON] = true;
  Advance(30);  // a bounce, not a press
  g_board.input[HAL_IN_ACK_BUTTON] = false;
  Advance(100);
  EXPECT_EQ(s.ack.presses, 0);
  g_board.input[HAL_IN_ACK_BUTTON] = true;
  Advance(200);
  g_board.input[HAL_IN_ACK_BUTTON] = false;
  Advance(200);
  EXPECT_EQ(s.ack.presses, 1);
  EXPECT_TRUE(s.alm.silenced);
  uint32_t beeps = g_board.rising[HAL_OUT_BUZZER];
  Advance(6400);
  EXPECT_EQ(g_board.rising[HAL_OUT_BUZZER], beeps);
  g_board.input[HAL_IN_DRILL_BUTTON] = true;
  Advance(200);
  EXPECT_TRUE(Logged(EV_DRILL_BUTTON));
  auto r = Ask(MSG_STATUS, 3);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(wire_get_u16(r[0].payload + 12), 1);
  EXPECT_EQ(wire_get_u16(r[0].payload + 14), 1);
}

TEST_F(SupervisorTest, LogReadPagesThroughEntries) {
  Hello();
  for (int i = 0; i < 6; ++i) evlog_append(&s.log, EV_DRILL_BUTTON, 0, i);
  uint8_t req[5];
  wire_put_u32(req, 1);
  req[4] = 4;
  auto r = Ask(MSG_LOG_READ, 2, {req, req + 5});
  ASSERT_EQ(r.size(), 1u);
  ASSERT_EQ(r[0].payload[0], 4);
  EXPECT_EQ(r[0].len, 1 + 4 * LOG_ENTRY_LEN);
  EXPECT_EQ(wire_get_u32(r[0].payload + 1), 1u);
  EXPECT_EQ(r[0].payload[1 + 8], EV_BOOT);
  wire_put_u32(req, 5);
  r = Ask(MSG_LOG_READ, 3, {req, req + 5});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].payload[0], 3);  // seq 5, 6, 7
  wire_put_u32(req, 100);
  r = Ask(MSG_LOG_READ, 4, {req, req + 5});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].payload[0], 0);
}

}  // namespace
