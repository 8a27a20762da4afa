/* modem: power-cycling the cellular module through its PWRKEY and RESET_N lines,
 * with the sequence a Quectel EC2x/UC20-class module needs: PWRKEY held 700 ms
 * (power off), wait for STATUS to drop (up to 35 s), 1 s settle, PWRKEY held
 * 600 ms (power on), wait for STATUS (up to 15 s). A module that does not power
 * off gets RESET_N held 400 ms instead, then the same wait. Pure: the caller
 * reads STATUS and drives the lines as modem_step says. */
#ifndef SUP_MODEM_H
#define SUP_MODEM_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  MODEM_RESULT_OK = 0,        /* powered off and on again, STATUS back */
  MODEM_RESULT_FORCED = 1,    /* would not power off; reset through RESET_N, STATUS back */
  MODEM_RESULT_NO_STATUS = 2, /* STATUS never came back (module dead, or no STATUS wiring) */
} modem_result;

typedef enum {
  MODEM_IDLE = 0,
  MODEM_OFF_PULSE,
  MODEM_WAIT_OFF,
  MODEM_SETTLE,
  MODEM_ON_PULSE,
  MODEM_RESET_PULSE,
  MODEM_WAIT_ON,
} modem_phase;

typedef struct {
  modem_phase phase;
  uint32_t since_ms;
  bool forced;
  uint16_t cycles;
} modem;

typedef struct {
  bool pwrkey;  /* drive PWRKEY */
  bool reset;   /* drive RESET_N */
  bool done;    /* the sequence ended this step */
  modem_result result;
} modem_lines;

void modem_init(modem *m);
/* Starts a cycle; false when one is already running. */
bool modem_start(modem *m, uint32_t now_ms);
modem_lines modem_step(modem *m, uint32_t now_ms, bool status);
bool modem_busy(const modem *m);

#ifdef __cplusplus
}
#endif

#endif
