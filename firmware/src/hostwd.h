/* hostwd: the watchdog over the host. lifelined sends heartbeats; when none has
 * come for `timeout_s`, the relay cuts the host's power for `off_s`, then the host
 * gets `grace_s` to boot before silence counts again. At most `max_per_hour`
 * power cycles in any hour; one more is withheld and recorded. Disarmed until the
 * host configures it (timeout 0 disarms). Pure: time comes in as milliseconds and
 * the relay and the log are what the returned actions say. */
#ifndef SUP_HOSTWD_H
#define SUP_HOSTWD_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { HOSTWD_MAX_PER_HOUR_LIMIT = 8 };

typedef struct {
  uint16_t timeout_s;
  uint16_t off_s;
  uint16_t grace_s;
  uint8_t max_per_hour;
} hostwd_config;

typedef enum {
  HOSTWD_DISARMED = 0,
  HOSTWD_WATCHING, /* heartbeats expected */
  HOSTWD_POWER_OFF, /* relay energised */
  HOSTWD_BOOTING,  /* grace after power returned */
  HOSTWD_GAVE_UP,  /* silent, but the hourly limit is spent: waiting for a heartbeat */
} hostwd_state;

typedef enum {
  HOSTWD_ACT_NONE = 0,
  HOSTWD_ACT_SILENT = 1 << 0,      /* log: the host went silent */
  HOSTWD_ACT_RELAY_ON = 1 << 1,    /* cut power; log a host reset */
  HOSTWD_ACT_RELAY_OFF = 1 << 2,
  HOSTWD_ACT_LIMITED = 1 << 3,     /* log: reset withheld by the hourly limit */
  HOSTWD_ACT_BACK = 1 << 4,        /* log: heartbeats again after silence */
} hostwd_action;

typedef struct {
  hostwd_config cfg;
  hostwd_state state;
  uint32_t last_beat_ms;
  uint32_t state_since_ms;
  bool was_silent;
  uint32_t silent_since_ms;
  uint32_t resets[HOSTWD_MAX_PER_HOUR_LIMIT]; /* times of recent resets, ms */
  uint8_t reset_count;                       /* valid entries in resets[] */
  uint16_t total_resets;
} hostwd;

void hostwd_init(hostwd *w);
/* Applies a configuration (clamped; see proto/supervisor.md) and returns it. */
hostwd_config hostwd_configure(hostwd *w, hostwd_config cfg, uint32_t now_ms);
unsigned hostwd_heartbeat(hostwd *w, uint32_t now_ms);
unsigned hostwd_tick(hostwd *w, uint32_t now_ms);
/* Power cycles within the last hour, at `now_ms`. */
uint8_t hostwd_resets_in_hour(const hostwd *w, uint32_t now_ms);
uint32_t hostwd_silent_s(const hostwd *w, uint32_t now_ms);

#ifdef __cplusplus
}
#endif

#endif
