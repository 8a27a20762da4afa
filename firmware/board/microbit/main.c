/* The supervisor's main loop on the nRF51822: the firmware turns whenever an
 * interrupt (the 1 ms timer, a UART byte) wakes the core. */
#include "hal.h"
#include "proto.h"
#include "supervisor.h"

static supervisor g_sup;

int main(void) {
  hal_init();
  sup_init(&g_sup, BOARD_MICROBIT, hal_millis());
  for (;;) {
    sup_step(&g_sup, hal_millis());
    hal_idle();
  }
}
