/* power: mains and battery from two ADC readings, sampled every POWER_SAMPLE_MS.
 * Mains has two thresholds (hysteresis) and must read the same side for
 * `debounce` samples in a row before its state changes; until then it is unknown.
 * Battery voltage is smoothed, turned into percent by a 12 V lead-acid discharge
 * curve, flagged low with hysteresis on percent, and gives a runtime estimate.
 * Pure state machine: the caller passes readings in; no HAL access here. */
#ifndef SUP_POWER_H
#define SUP_POWER_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { POWER_SAMPLE_MS = 100 };

typedef struct {
  uint16_t mains_on_mv;   /* at or above: mains present */
  uint16_t mains_off_mv;  /* below: mains lost (below mains_on_mv: the gap is the hysteresis) */
  uint8_t debounce;       /* samples in a row */
  uint8_t low_percent;    /* at or below: battery low */
  uint8_t ok_percent;     /* at or above: battery no longer low */
  uint32_t full_runtime_s;  /* the box's runtime on a full battery, measured */
} power_config;

typedef enum { TRI_UNKNOWN = 0, TRI_NO, TRI_YES } tristate;

typedef enum {
  POWER_EV_NONE = 0,
  POWER_EV_MAINS_LOST = 1 << 0,
  POWER_EV_MAINS_BACK = 1 << 1,
  POWER_EV_BATTERY_LOW = 1 << 2,
  POWER_EV_BATTERY_OK = 1 << 3,
} power_event;

typedef struct {
  power_config cfg;
  tristate mains;
  tristate battery_low;
  uint8_t mains_run;    /* samples in a row on the other side of the state */
  uint8_t low_run;
  uint16_t mains_mv;
  uint32_t battery_mv_x8; /* smoothed battery voltage, times 8 (0: none yet) */
  uint8_t percent;
  bool battery_known;
} power_sense;

void power_defaults(power_config *cfg);
void power_init(power_sense *p, const power_config *cfg);
/* One sample; a reading of NULL means the board gave none. Returns power_event bits. */
unsigned power_sample(power_sense *p, const uint16_t *mains_mv, const uint16_t *battery_mv);
uint16_t power_battery_mv(const power_sense *p);
/* Percent from a battery voltage, by the discharge curve. */
uint8_t power_percent_for(uint16_t battery_mv);
uint32_t power_runtime_s(const power_sense *p);

#ifdef __cplusplus
}
#endif

#endif
