#include "hostwd.h"

#include <string.h>

enum { HOUR_MS = 3600u * 1000u };

void hostwd_init(hostwd *w) {
  memset(w, 0, sizeof *w);
  w->state = HOSTWD_DISARMED;
}

static uint16_t clamp16(uint16_t v, uint16_t lo, uint16_t hi) { return v < lo ? lo : v > hi ? hi : v; }

hostwd_config hostwd_configure(hostwd *w, hostwd_config cfg, uint32_t now_ms) {
  if (cfg.timeout_s != 0) cfg.timeout_s = clamp16(cfg.timeout_s, 2, 3600);
  cfg.off_s = clamp16(cfg.off_s, 1, 120);
  cfg.grace_s = clamp16(cfg.grace_s, 0, 3600);
  if (cfg.max_per_hour > HOSTWD_MAX_PER_HOUR_LIMIT) cfg.max_per_hour = HOSTWD_MAX_PER_HOUR_LIMIT;
  w->cfg = cfg;
  if (cfg.timeout_s == 0) {
    if (w->state != HOSTWD_POWER_OFF) w->state = HOSTWD_DISARMED;
  } else if (w->state == HOSTWD_DISARMED) {
    w->state = HOSTWD_WATCHING;
    w->state_since_ms = now_ms;
    w->last_beat_ms = now_ms; /* the configuring request is a sign of life */
  }
  return cfg;
}

static void enter(hostwd *w, hostwd_state s, uint32_t now_ms) {
  w->state = s;
  w->state_since_ms = now_ms;
}

uint8_t hostwd_resets_in_hour(const hostwd *w, uint32_t now_ms) {
  uint8_t n = 0;
  for (uint8_t i = 0; i < w->reset_count; ++i) {
    if (now_ms - w->resets[i] < HOUR_MS) ++n;
  }
  return n;
}

static void remember_reset(hostwd *w, uint32_t now_ms) {
  /* Keep the newest HOSTWD_MAX_PER_HOUR_LIMIT: older ones cannot matter. */
  if (w->reset_count == HOSTWD_MAX_PER_HOUR_LIMIT) {
    memmove(w->resets, w->resets + 1, sizeof w->resets - sizeof w->resets[0]);
    --w->reset_count;
  }
  w->resets[w->reset_count++] = now_ms;
  ++w->total_resets;
}

unsigned hostwd_heartbeat(hostwd *w, uint32_t now_ms) {
  unsigned act = HOSTWD_ACT_NONE;
  w->last_beat_ms = now_ms;
  if (w->state == HOSTWD_DISARMED || w->state == HOSTWD_POWER_OFF) return act;
  if (w->was_silent) {
    act |= HOSTWD_ACT_BACK;
    w->was_silent = false;
  }
  if (w->state != HOSTWD_WATCHING) enter(w, HOSTWD_WATCHING, now_ms);
  return act;
}

static unsigned expire(hostwd *w, uint32_t now_ms) {
  unsigned act = HOSTWD_ACT_NONE;
  if (!w->was_silent) {
    w->was_silent = true;
    w->silent_since_ms = w->last_beat_ms;
    act |= HOSTWD_ACT_SILENT;
  }
  if (hostwd_resets_in_hour(w, now_ms) >= w->cfg.max_per_hour) {
    enter(w, HOSTWD_GAVE_UP, now_ms);
    return act | HOSTWD_ACT_LIMITED;
  }
  remember_reset(w, now_ms);
  enter(w, HOSTWD_POWER_OFF, now_ms);
  return act | HOSTWD_ACT_RELAY_ON;
}

unsigned hostwd_tick(hostwd *w, uint32_t now_ms) {
  uint32_t in_state = now_ms - w->state_since_ms;
  switch (w->state) {
    case HOSTWD_WATCHING:
      if (now_ms - w->last_beat_ms >= (uint32_t)w->cfg.timeout_s * 1000u) return expire(w, now_ms);
      return HOSTWD_ACT_NONE;
    case HOSTWD_POWER_OFF:
      if (in_state < (uint32_t)w->cfg.off_s * 1000u) return HOSTWD_ACT_NONE;
      enter(w, w->cfg.timeout_s == 0 ? HOSTWD_DISARMED : HOSTWD_BOOTING, now_ms);
      return HOSTWD_ACT_RELAY_OFF;
    case HOSTWD_BOOTING:
      /* A booting host gets grace plus one timeout before it counts as hung again. */
      if (in_state >= ((uint32_t)w->cfg.grace_s + w->cfg.timeout_s) * 1000u) return expire(w, now_ms);
      return HOSTWD_ACT_NONE;
    case HOSTWD_GAVE_UP:
      /* The hour moves on: once a slot frees up, try again. */
      if (hostwd_resets_in_hour(w, now_ms) < w->cfg.max_per_hour) return expire(w, now_ms);
      return HOSTWD_ACT_NONE;
    case HOSTWD_DISARMED:
      break;
  }
  return HOSTWD_ACT_NONE;
}

uint32_t hostwd_silent_s(const hostwd *w, uint32_t now_ms) {
  return (now_ms - (w->was_silent ? w->silent_since_ms : w->last_beat_ms)) / 1000u;
}
