/* buttons: a press counts once the input has read pressed for BUTTON_STABLE_MS
 * in a row, sampled every BUTTON_SAMPLE_MS; it must read released as long
 * before another press counts. Pure. */
#ifndef SUP_BUTTONS_H
#define SUP_BUTTONS_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { BUTTON_SAMPLE_MS = 10, BUTTON_STABLE_MS = 50 };

typedef struct {
  bool pressed;   /* the debounced state */
  uint8_t run;    /* samples in a row that disagree with it */
  uint16_t presses;
} button;

void button_init(button *b);
/* One sample; true when it completes a press. */
bool button_sample(button *b, bool raw);

#ifdef __cplusplus
}
#endif

#endif
