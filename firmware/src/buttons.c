#include "buttons.h"

void button_init(button *b) {
  b->pressed = false;
  b->run = 0;
  b->presses = 0;
}

bool button_sample(button *b, bool raw) {
  if (raw == b->pressed) {
    b->run = 0;
    return false;
  }
  if (++b->run < BUTTON_STABLE_MS / BUTTON_SAMPLE_MS) return false;
  b->run = 0;
  b->pressed = raw;
  if (raw) ++b->presses;
  return raw;
}
