#include "supervisor.h"

#include <string.h>

#include "hal.h"

enum { FAST_MS = BUTTON_SAMPLE_MS, SLOW_MS = POWER_SAMPLE_MS, SAVE_MS = 1000, RETAINED_MAGIC = 0x5EC0C10Cu };

/* ---- clock ---------------------------------------------------------------- */

uint32_t sup_clock_now(const supervisor *s, uint32_t now_ms) {
  if (!s->clock.valid) return 0;
  return s->clock.base_s + (now_ms - s->clock.base_ms) / 1000u;
}

static void clock_set(supervisor *s, uint32_t seconds, uint32_t now_ms) {
  s->clock.valid = true;
  s->clock.base_s = seconds;
  s->clock.base_ms = now_ms;
}

/* Re-anchors every second (so ms never wraps under it) and keeps a copy in RAM
 * that survives a warm reset. */
static void clock_save(supervisor *s, uint32_t now_ms) {
  hal_retained *r = hal_retained_ram();
  if (!s->clock.valid) return;
  uint32_t whole = (now_ms - s->clock.base_ms) / 1000u;
  s->clock.base_s += whole;
  s->clock.base_ms += whole * 1000u;
  r->magic = RETAINED_MAGIC;
  r->rtc_seconds = s->clock.base_s;
  r->check = ~(r->magic ^ r->rtc_seconds);
}

static void clock_restore(supervisor *s, uint32_t now_ms) {
  const hal_retained *r = hal_retained_ram();
  s->clock.valid = false;
  if (r->magic == RETAINED_MAGIC && r->check == ~(r->magic ^ r->rtc_seconds) && r->rtc_seconds != 0) {
    clock_set(s, r->rtc_seconds, now_ms);
  }
}

static void log_event(supervisor *s, uint8_t code, uint32_t arg, uint32_t now_ms) {
  evlog_append(&s->log, code, sup_clock_now(s, now_ms), arg);
}

/* ---- init ----------------------------------------------------------------- */

void sup_init(supervisor *s, uint8_t board, uint32_t now_ms) {
  power_config pc;
  memset(s, 0, sizeof *s);
  s->board = board;
  s->boot_ms = now_ms;
  s->reset_cause = hal_reset_cause();
  wire_rx_init(&s->rx);
  power_defaults(&pc);
  power_init(&s->power, &pc);
  hostwd_init(&s->wd);
  modem_init(&s->mdm);
  alarm_init(&s->alm);
  button_init(&s->ack);
  button_init(&s->drill);
  clock_restore(s, now_ms);
  evlog_init(&s->log);
  s->boot_count = (uint16_t)(s->log.last_boot_count + 1);
  log_event(s, EV_BOOT, (uint32_t)s->reset_cause | ((uint32_t)s->boot_count << 8), now_ms);
  s->next_fast_ms = s->next_slow_ms = s->next_save_ms = now_ms;
}

/* ---- requests ------------------------------------------------------------- */

typedef struct {
  uint8_t data[WIRE_MAX_PAYLOAD];
  uint8_t len;
  uint8_t error; /* ERR_*, 0 = none */
} reply;

uint16_t sup_status_flags(const supervisor *s, uint32_t now_ms) {
  (void)now_ms;
  uint16_t f = 0;
  if (s->power.mains != TRI_UNKNOWN) f |= STATUS_MAINS_KNOWN;
  if (s->power.mains == TRI_YES) f |= STATUS_MAINS_OK;
  if (s->power.battery_known) f |= STATUS_BATTERY_KNOWN;
  if (s->power.battery_low == TRI_YES) f |= STATUS_BATTERY_LOW;
  if (s->clock.valid) f |= STATUS_RTC_VALID;
  if (s->wd.state != HOSTWD_DISARMED) f |= STATUS_WATCHDOG_ARMED;
  if (modem_busy(&s->mdm)) f |= STATUS_MODEM_CYCLING;
  if (s->alm.silenced) f |= STATUS_SILENCED;
  if (s->wd.state == HOSTWD_POWER_OFF) f |= STATUS_HOST_RELAY;
  if (s->log.write_failures > 0) f |= STATUS_LOG_FAULT;
  return f;
}

static void put_status(const supervisor *s, uint32_t now_ms, reply *r) {
  uint8_t *p = r->data;
  wire_put_u16(p + 0, sup_status_flags(s, now_ms));
  wire_put_u16(p + 2, s->power.mains_mv);
  wire_put_u16(p + 4, power_battery_mv(&s->power));
  p[6] = s->power.percent;
  wire_put_u32(p + 7, power_runtime_s(&s->power));
  p[11] = (uint8_t)s->alm.shown;
  wire_put_u16(p + 12, s->ack.presses);
  wire_put_u16(p + 14, s->drill.presses);
  wire_put_u16(p + 16, s->wd.total_resets);
  wire_put_u16(p + 18, s->mdm.cycles);
  wire_put_u32(p + 20, s->log.next_seq);
  wire_put_u16(p + 24, s->rx_errors);
  r->len = STATUS_LEN;
}

static void on_hello(supervisor *s, const wire_frame *q, uint32_t now_ms, reply *r) {
  if (q->len != HELLO_REQ_LEN) return (void)(r->error = ERR_LENGTH);
  if (q->payload[0] > PROTO_VERSION || q->payload[1] < PROTO_VERSION) return (void)(r->error = ERR_VERSION);
  s->hello_done = true;
  uint8_t *p = r->data;
  p[0] = PROTO_VERSION;
  p[1] = FW_MAJOR;
  p[2] = FW_MINOR;
  p[3] = s->board;
  wire_put_u16(p + 4, s->boot_count);
  p[6] = s->reset_cause;
  wire_put_u32(p + 7, (now_ms - s->boot_ms) / 1000u);
  wire_put_u32(p + 11, s->log.first_seq);
  wire_put_u32(p + 15, s->log.next_seq);
  r->len = HELLO_RESP_LEN;
}

static void on_heartbeat(supervisor *s, const wire_frame *q, uint32_t now_ms, reply *r) {
  if (q->len != 0) return (void)(r->error = ERR_LENGTH);
  uint32_t silent_s = hostwd_silent_s(&s->wd, now_ms);
  unsigned act = hostwd_heartbeat(&s->wd, now_ms);
  if (act & HOSTWD_ACT_BACK) log_event(s, EV_HOST_BACK, silent_s, now_ms);
  put_status(s, now_ms, r);
}

static void on_status(supervisor *s, const wire_frame *q, uint32_t now_ms, reply *r) {
  if (q->len != 0) return (void)(r->error = ERR_LENGTH);
  put_status(s, now_ms, r);
}

static void on_rtc_get(supervisor *s, const wire_frame *q, uint32_t now_ms, reply *r) {
  if (q->len != 0) return (void)(r->error = ERR_LENGTH);
  r->data[0] = s->clock.valid ? 1 : 0;
  wire_put_u32(r->data + 1, sup_clock_now(s, now_ms));
  r->len = RTC_GET_RESP_LEN;
}

static void on_rtc_set(supervisor *s, const wire_frame *q, uint32_t now_ms, reply *r) {
  if (q->len != RTC_SET_REQ_LEN) return (void)(r->error = ERR_LENGTH);
  uint32_t to = wire_get_u32(q->payload);
  if (to == 0) return (void)(r->error = ERR_VALUE);
  uint32_t before = sup_clock_now(s, now_ms);
  r->data[0] = s->clock.valid ? 1 : 0;
  wire_put_u32(r->data + 1, before);
  r->len = RTC_SET_RESP_LEN;
  clock_set(s, to, now_ms);
  clock_save(s, now_ms);
  log_event(s, EV_RTC_SET, before, now_ms);
}

static void on_modem_cycle(supervisor *s, const wire_frame *q, uint32_t now_ms, reply *r) {
  if (q->len != 0) return (void)(r->error = ERR_LENGTH);
  bool started = modem_start(&s->mdm, now_ms);
  if (started) log_event(s, EV_MODEM_CYCLE, 0, now_ms);
  r->data[0] = started ? 1 : 0;
  r->len = MODEM_RESP_LEN;
}

static void on_alarm(supervisor *s, const wire_frame *q, uint32_t now_ms, reply *r) {
  if (q->len != ALARM_LEN) return (void)(r->error = ERR_LENGTH);
  if (q->payload[0] >= ALARM_COUNT || q->payload[0] == ALARM_HOST_DOWN) return (void)(r->error = ERR_VALUE);
  alarm_request(&s->alm, (alarm_pattern)q->payload[0], now_ms);
  r->data[0] = (uint8_t)s->alm.shown;
  r->len = ALARM_LEN;
}

static void on_config(supervisor *s, const wire_frame *q, uint32_t now_ms, reply *r) {
  if (q->len != CONFIG_LEN) return (void)(r->error = ERR_LENGTH);
  const uint8_t *p = q->payload;
  hostwd_config want = {wire_get_u16(p), wire_get_u16(p + 2), wire_get_u16(p + 4), p[6]};
  uint16_t full_min = wire_get_u16(p + 7);
  if (full_min == 0) return (void)(r->error = ERR_VALUE);
  hostwd_config got = hostwd_configure(&s->wd, want, now_ms);
  s->power.cfg.full_runtime_s = (uint32_t)full_min * 60u;
  wire_put_u16(r->data, got.timeout_s);
  wire_put_u16(r->data + 2, got.off_s);
  wire_put_u16(r->data + 4, got.grace_s);
  r->data[6] = got.max_per_hour;
  wire_put_u16(r->data + 7, full_min);
  r->len = CONFIG_LEN;
  log_event(s, EV_WATCHDOG_SET, got.timeout_s | ((uint32_t)got.max_per_hour << 16), now_ms);
}

static void on_log_read(supervisor *s, const wire_frame *q, uint32_t now_ms, reply *r) {
  (void)now_ms;
  evlog_entry e[LOG_READ_MAX];
  if (q->len != LOG_READ_REQ_LEN) return (void)(r->error = ERR_LENGTH);
  unsigned max = q->payload[4];
  if (max == 0 || max > LOG_READ_MAX) max = LOG_READ_MAX;
  unsigned n = evlog_read(&s->log, wire_get_u32(q->payload), e, max);
  r->data[0] = (uint8_t)n;
  for (unsigned i = 0; i < n; ++i) {
    uint8_t *p = r->data + 1 + i * LOG_ENTRY_LEN;
    wire_put_u32(p, e[i].seq);
    wire_put_u32(p + 4, e[i].time);
    p[8] = e[i].code;
    wire_put_u32(p + 9, e[i].arg);
  }
  r->len = (uint8_t)(1 + n * LOG_ENTRY_LEN);
}

typedef void (*handler)(supervisor *, const wire_frame *, uint32_t, reply *);
static const handler kHandlers[] = {
    [MSG_HELLO] = on_hello,       [MSG_HEARTBEAT] = on_heartbeat,     [MSG_STATUS] = on_status,
    [MSG_RTC_GET] = on_rtc_get,   [MSG_RTC_SET] = on_rtc_set,         [MSG_MODEM_CYCLE] = on_modem_cycle,
    [MSG_ALARM] = on_alarm,       [MSG_CONFIG] = on_config,           [MSG_LOG_READ] = on_log_read,
};

static size_t encode_reply(const wire_frame *req, const reply *r, uint8_t *out, size_t cap) {
  if (r->error != 0) {
    uint8_t err[2] = {req->type, r->error};
    return wire_encode(MSG_ERROR | PROTO_RESPONSE, req->seq, err, sizeof err, out, cap);
  }
  return wire_encode((uint8_t)(req->type | PROTO_RESPONSE), req->seq, r->data, r->len, out, cap);
}

size_t sup_handle(supervisor *s, const wire_frame *req, uint32_t now_ms, uint8_t *out, size_t cap) {
  reply r = {{0}, 0, 0};
  bool known = req->type < sizeof kHandlers / sizeof kHandlers[0] && kHandlers[req->type] != 0;
  if (req->type != MSG_HELLO && s->have_last && req->type == s->last_type && req->seq == s->last_seq &&
      s->last_resp_len <= cap) {
    memcpy(out, s->last_resp, s->last_resp_len); /* a retransmission: answer, do not repeat */
    return s->last_resp_len;
  }
  if (!known) {
    r.error = ERR_UNKNOWN;
  } else if (!s->hello_done && req->type != MSG_HELLO) {
    r.error = ERR_NO_HELLO;
  } else {
    kHandlers[req->type](s, req, now_ms, &r);
  }
  size_t n = encode_reply(req, &r, out, cap);
  s->have_last = n > 0 && n <= sizeof s->last_resp;
  if (s->have_last) {
    s->last_type = req->type;
    s->last_seq = req->seq;
    memcpy(s->last_resp, out, n);
    s->last_resp_len = n;
  }
  return n;
}

/* ---- periodic work -------------------------------------------------------- */

static void step_power(supervisor *s, uint32_t now_ms) {
  uint16_t mains, battery;
  bool has_mains = hal_adc_read_mv(HAL_ADC_MAINS, &mains);
  bool has_battery = hal_adc_read_mv(HAL_ADC_BATTERY, &battery);
  unsigned ev = power_sample(&s->power, has_mains ? &mains : 0, has_battery ? &battery : 0);
  uint32_t batt = s->power.percent | ((uint32_t)power_battery_mv(&s->power) << 8);
  if (ev & POWER_EV_MAINS_LOST) log_event(s, EV_MAINS_LOST, s->power.mains_mv, now_ms);
  if (ev & POWER_EV_MAINS_BACK) log_event(s, EV_MAINS_BACK, s->power.mains_mv, now_ms);
  if (ev & POWER_EV_BATTERY_LOW) log_event(s, EV_BATTERY_LOW, batt, now_ms);
  if (ev & POWER_EV_BATTERY_OK) log_event(s, EV_BATTERY_OK, batt, now_ms);
}

static void step_watchdog(supervisor *s, uint32_t now_ms) {
  unsigned act = hostwd_tick(&s->wd, now_ms);
  uint8_t in_hour = hostwd_resets_in_hour(&s->wd, now_ms);
  if (act & HOSTWD_ACT_SILENT) log_event(s, EV_HOST_SILENT, hostwd_silent_s(&s->wd, now_ms), now_ms);
  if (act & HOSTWD_ACT_RELAY_ON) log_event(s, EV_HOST_RESET, in_hour, now_ms);
  if (act & HOSTWD_ACT_LIMITED) log_event(s, EV_HOST_RESET_LIMIT, in_hour, now_ms);
  hal_output_set(HAL_OUT_HOST_RELAY, s->wd.state == HOSTWD_POWER_OFF);
  alarm_pattern local = s->wd.was_silent ? ALARM_HOST_DOWN : ALARM_NORMAL;
  if (s->power.mains == TRI_NO) local = ALARM_OUTAGE;
  alarm_set_local(&s->alm, local, now_ms);
}

static void step_fast(supervisor *s, uint32_t now_ms) {
  if (button_sample(&s->ack, hal_input_read(HAL_IN_ACK_BUTTON))) {
    log_event(s, EV_ACK_BUTTON, alarm_acknowledge(&s->alm), now_ms);
  }
  if (button_sample(&s->drill, hal_input_read(HAL_IN_DRILL_BUTTON))) log_event(s, EV_DRILL_BUTTON, 0, now_ms);
  modem_lines m = modem_step(&s->mdm, now_ms, hal_input_read(HAL_IN_MODEM_STATUS));
  hal_output_set(HAL_OUT_MODEM_PWRKEY, m.pwrkey);
  hal_output_set(HAL_OUT_MODEM_RESET, m.reset);
  if (m.done) log_event(s, EV_MODEM_DONE, m.result, now_ms);
  alarm_outputs o = alarm_outputs_at(&s->alm, now_ms);
  hal_output_set(HAL_OUT_BUZZER, o.buzzer);
  hal_output_set(HAL_OUT_LED_RED, o.red);
  hal_output_set(HAL_OUT_LED_AMBER, o.amber);
  hal_output_set(HAL_OUT_LED_GREEN, o.green);
}

static void step_link(supervisor *s, uint32_t now_ms) {
  uint8_t in[32], out[WIRE_MAX_FRAME];
  wire_frame f;
  size_t n = hal_uart_read(in, sizeof in);
  for (size_t i = 0; i < n; ++i) {
    wire_result r = wire_rx_feed(&s->rx, in[i], &f);
    if (r == WIRE_FRAME) {
      size_t len = sup_handle(s, &f, now_ms, out, sizeof out);
      if (len > 0) hal_uart_write(out, len);
    } else if (r != WIRE_NONE) {
      ++s->rx_errors; /* no answer: the host retransmits */
    }
  }
}

static bool due(uint32_t *next, uint32_t period, uint32_t now_ms) {
  if ((int32_t)(now_ms - *next) < 0) return false;
  *next += period;
  if ((int32_t)(now_ms - *next) >= 0) *next = now_ms + period; /* fell behind: do not catch up */
  return true;
}

void sup_step(supervisor *s, uint32_t now_ms) {
  step_link(s, now_ms);
  if (due(&s->next_fast_ms, FAST_MS, now_ms)) step_fast(s, now_ms);
  if (due(&s->next_slow_ms, SLOW_MS, now_ms)) {
    step_power(s, now_ms);
    step_watchdog(s, now_ms);
  }
  if (due(&s->next_save_ms, SAVE_MS, now_ms)) clock_save(s, now_ms);
  hal_watchdog_kick();
}
