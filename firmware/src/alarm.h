/* alarm: what the buzzer and the three LEDs do. Each pattern is a 3.2 s cycle
 * of 32 slots of 100 ms (a bit mask per output). The pattern shown is the most
 * urgent of what lifelined asked for and what the supervisor sees itself (host
 * silent, mains lost). The acknowledge button silences the buzzer until the
 * shown pattern changes; the LEDs go on. Pure. */
#ifndef SUP_ALARM_H
#define SUP_ALARM_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* In rising urgency; the wire carries these numbers. */
typedef enum {
  ALARM_NORMAL = 0,        /* green steady */
  ALARM_ALL_CONFIRMED = 1, /* green blinking, three short beeps once */
  ALARM_HOST_DOWN = 2,     /* local: red flash, a tick every cycle */
  ALARM_OUTAGE = 3,        /* red slow blink, one beep a cycle */
  ALARM_FALLBACK = 4,      /* amber fast blink, two beeps a cycle */
  ALARM_DEADLINE_NEAR = 5, /* red and amber fast, beeping throughout */
  ALARM_COUNT
} alarm_pattern;

typedef struct {
  uint32_t buzzer, red, amber, green; /* bit i = on in slot i */
  uint8_t buzz_cycles;                /* 0 = every cycle */
} alarm_shape;

typedef struct {
  bool buzzer, red, amber, green;
} alarm_outputs;

typedef struct {
  alarm_pattern requested; /* by lifelined */
  alarm_pattern local;     /* by the supervisor itself */
  alarm_pattern shown;
  uint32_t shown_since_ms;
  bool silenced;
} alarm_state;

const alarm_shape *alarm_shape_of(alarm_pattern p);
void alarm_init(alarm_state *a);
void alarm_request(alarm_state *a, alarm_pattern p, uint32_t now_ms);
void alarm_set_local(alarm_state *a, alarm_pattern p, uint32_t now_ms);
/* The acknowledge button; returns the pattern it silenced (ALARM_NORMAL: nothing to silence). */
alarm_pattern alarm_acknowledge(alarm_state *a);
alarm_outputs alarm_outputs_at(const alarm_state *a, uint32_t now_ms);

#ifdef __cplusplus
}
#endif

#endif
