#include "modem.h"

enum {
  OFF_PULSE_MS = 700,
  OFF_WAIT_MS = 35000,
  SETTLE_MS = 1000,
  ON_PULSE_MS = 600,
  RESET_PULSE_MS = 400,
  ON_WAIT_MS = 15000,
};

void modem_init(modem *m) {
  m->phase = MODEM_IDLE;
  m->since_ms = 0;
  m->forced = false;
  m->cycles = 0;
}

bool modem_start(modem *m, uint32_t now_ms) {
  if (m->phase != MODEM_IDLE) return false;
  m->phase = MODEM_OFF_PULSE;
  m->since_ms = now_ms;
  m->forced = false;
  ++m->cycles;
  return true;
}

bool modem_busy(const modem *m) { return m->phase != MODEM_IDLE; }

static void go(modem *m, modem_phase p, uint32_t now_ms) {
  m->phase = p;
  m->since_ms = now_ms;
}

static modem_lines finish(modem *m, modem_result r) {
  modem_lines out = {false, false, true, r};
  m->phase = MODEM_IDLE;
  return out;
}

modem_lines modem_step(modem *m, uint32_t now_ms, bool status) {
  uint32_t t = now_ms - m->since_ms;
  modem_lines out = {false, false, false, MODEM_RESULT_OK};
  switch (m->phase) {
    case MODEM_IDLE:
      break;
    case MODEM_OFF_PULSE:
      if (t < OFF_PULSE_MS) out.pwrkey = true;
      else go(m, MODEM_WAIT_OFF, now_ms);
      break;
    case MODEM_WAIT_OFF:
      if (!status) {
        go(m, MODEM_SETTLE, now_ms);
      } else if (t >= OFF_WAIT_MS) {
        m->forced = true;
        go(m, MODEM_RESET_PULSE, now_ms);
        out.reset = true;
      }
      break;
    case MODEM_SETTLE:
      if (t >= SETTLE_MS) {
        go(m, MODEM_ON_PULSE, now_ms);
        out.pwrkey = true;
      }
      break;
    case MODEM_ON_PULSE:
      if (t < ON_PULSE_MS) out.pwrkey = true;
      else go(m, MODEM_WAIT_ON, now_ms);
      break;
    case MODEM_RESET_PULSE:
      if (t < RESET_PULSE_MS) out.reset = true;
      else go(m, MODEM_WAIT_ON, now_ms);
      break;
    case MODEM_WAIT_ON:
      if (status) return finish(m, m->forced ? MODEM_RESULT_FORCED : MODEM_RESULT_OK);
      if (t >= ON_WAIT_MS) return finish(m, MODEM_RESULT_NO_STATUS);
      break;
  }
  return out;
}
