#include "alarm.h"

enum { SLOT_MS = 100, SLOTS = 32 };

static const alarm_shape kShapes[ALARM_COUNT] = {
    [ALARM_NORMAL] = {0, 0, 0, 0xFFFFFFFFu, 0},
    [ALARM_ALL_CONFIRMED] = {0x00000015u, 0, 0, 0x0000FFFFu, 1},
    [ALARM_HOST_DOWN] = {0x00000001u, 0x00000001u, 0, 0, 0},
    [ALARM_OUTAGE] = {0x00000003u, 0x0000FFFFu, 0, 0, 0},
    [ALARM_FALLBACK] = {0x00000033u, 0, 0x0F0F0F0Fu, 0, 0},
    [ALARM_DEADLINE_NEAR] = {0x33333333u, 0x33333333u, 0xCCCCCCCCu, 0, 0},
};

const alarm_shape *alarm_shape_of(alarm_pattern p) {
  return &kShapes[p < ALARM_COUNT ? p : ALARM_NORMAL];
}

void alarm_init(alarm_state *a) {
  a->requested = a->local = a->shown = ALARM_NORMAL;
  a->shown_since_ms = 0;
  a->silenced = false;
}

static void update(alarm_state *a, uint32_t now_ms) {
  alarm_pattern next = a->requested > a->local ? a->requested : a->local;
  if (next == a->shown) return;
  a->shown = next;
  a->shown_since_ms = now_ms;
  a->silenced = false;
}

void alarm_request(alarm_state *a, alarm_pattern p, uint32_t now_ms) {
  a->requested = p < ALARM_COUNT ? p : ALARM_NORMAL;
  update(a, now_ms);
}

void alarm_set_local(alarm_state *a, alarm_pattern p, uint32_t now_ms) {
  a->local = p < ALARM_COUNT ? p : ALARM_NORMAL;
  update(a, now_ms);
}

alarm_pattern alarm_acknowledge(alarm_state *a) {
  if (a->shown == ALARM_NORMAL || a->silenced) return ALARM_NORMAL;
  a->silenced = true;
  return a->shown;
}

alarm_outputs alarm_outputs_at(const alarm_state *a, uint32_t now_ms) {
  const alarm_shape *s = alarm_shape_of(a->shown);
  uint32_t elapsed = (now_ms - a->shown_since_ms) / SLOT_MS;
  uint32_t bit = 1u << (elapsed % SLOTS);
  bool buzz_allowed = !a->silenced && (s->buzz_cycles == 0 || elapsed / SLOTS < s->buzz_cycles);
  alarm_outputs o = {buzz_allowed && (s->buzzer & bit), (s->red & bit) != 0, (s->amber & bit) != 0,
                     (s->green & bit) != 0};
  return o;
}
