#include "power.h"

/* A 12 V AGM lead-acid battery under a light load, mV -> percent. */
static const struct {
  uint16_t mv;
  uint8_t percent;
} kCurve[] = {
    {10500, 0}, {11510, 10}, {11660, 20}, {11810, 30}, {11950, 40}, {12050, 50},
    {12150, 60}, {12300, 70}, {12450, 80}, {12600, 90}, {12800, 100},
};
enum { CURVE_POINTS = sizeof kCurve / sizeof kCurve[0] };

void power_defaults(power_config *cfg) {
  cfg->mains_on_mv = 2000;
  cfg->mains_off_mv = 1500;
  cfg->debounce = 5;
  cfg->low_percent = 20;
  cfg->ok_percent = 30;
  cfg->full_runtime_s = 4 * 3600;
}

void power_init(power_sense *p, const power_config *cfg) {
  p->cfg = *cfg;
  p->mains = TRI_UNKNOWN;
  p->battery_low = TRI_UNKNOWN;
  p->mains_run = p->low_run = 0;
  p->mains_mv = 0;
  p->battery_mv_x8 = 0;
  p->percent = 0;
  p->battery_known = false;
}

uint8_t power_percent_for(uint16_t mv) {
  if (mv <= kCurve[0].mv) return 0;
  for (unsigned i = 1; i < CURVE_POINTS; ++i) {
    if (mv <= kCurve[i].mv) {
      uint32_t span = kCurve[i].mv - kCurve[i - 1].mv;
      uint32_t step = kCurve[i].percent - kCurve[i - 1].percent;
      return (uint8_t)(kCurve[i - 1].percent + (mv - kCurve[i - 1].mv) * step / span);
    }
  }
  return 100;
}

/* Moves `state` to `want` once `want` has been seen `debounce` times in a row. */
static bool debounced(tristate *state, uint8_t *run, tristate want, uint8_t debounce) {
  if (*state == want) {
    *run = 0;
    return false;
  }
  if (++*run < debounce) return false;
  *run = 0;
  *state = want;
  return true;
}

static unsigned sample_mains(power_sense *p, const uint16_t *mv) {
  if (mv == 0) {
    p->mains = TRI_UNKNOWN;
    p->mains_run = 0;
    return POWER_EV_NONE;
  }
  p->mains_mv = *mv;
  tristate want = p->mains;
  if (*mv >= p->cfg.mains_on_mv) want = TRI_YES;
  else if (*mv < p->cfg.mains_off_mv) want = TRI_NO;
  else if (p->mains == TRI_UNKNOWN) return POWER_EV_NONE; /* in the gap: nothing to learn */
  tristate before = p->mains;
  if (!debounced(&p->mains, &p->mains_run, want, p->cfg.debounce)) return POWER_EV_NONE;
  if (p->mains == TRI_NO) return POWER_EV_MAINS_LOST;
  return before == TRI_NO ? POWER_EV_MAINS_BACK : POWER_EV_NONE;
}

static unsigned sample_battery(power_sense *p, const uint16_t *mv) {
  if (mv == 0) {
    p->battery_known = false;
    p->battery_low = TRI_UNKNOWN;
    p->battery_mv_x8 = 0;
    return POWER_EV_NONE;
  }
  /* Exponential average, 1/8 of each new reading: load steps and ADC noise. */
  p->battery_mv_x8 = p->battery_mv_x8 == 0 ? (uint32_t)*mv * 8
                                           : p->battery_mv_x8 - p->battery_mv_x8 / 8 + *mv;
  p->battery_known = true;
  p->percent = power_percent_for(power_battery_mv(p));
  tristate want = p->battery_low;
  if (p->percent <= p->cfg.low_percent) want = TRI_YES;
  else if (p->percent >= p->cfg.ok_percent) want = TRI_NO;
  else if (p->battery_low == TRI_UNKNOWN) want = TRI_NO;
  tristate before = p->battery_low;
  if (!debounced(&p->battery_low, &p->low_run, want, p->cfg.debounce)) return POWER_EV_NONE;
  if (p->battery_low == TRI_YES) return POWER_EV_BATTERY_LOW;
  return before == TRI_YES ? POWER_EV_BATTERY_OK : POWER_EV_NONE;
}

unsigned power_sample(power_sense *p, const uint16_t *mains_mv, const uint16_t *battery_mv) {
  return sample_mains(p, mains_mv) | sample_battery(p, battery_mv);
}

uint16_t power_battery_mv(const power_sense *p) { return (uint16_t)(p->battery_mv_x8 / 8); }

uint32_t power_runtime_s(const power_sense *p) {
  if (!p->battery_known) return 0;
  uint32_t full = p->cfg.full_runtime_s; /* 32-bit only: no 64-bit division on a Cortex-M0 */
  return full / 100 * p->percent + full % 100 * p->percent / 100;
}
