/* supervisor: the firmware's application. Owns one of each state machine
 * (power sense, host watchdog, modem, alarm, buttons, event log, clock) and the
 * link: requests in, responses out, one at a time, a retransmitted request
 * (same type and seq as the last) answered from the last response without being
 * carried out again. sup_step does the HAL I/O and runs each machine on its
 * period; sup_handle is the pure request handler the tests call. No allocation:
 * the caller owns the one instance. */
#ifndef SUP_SUPERVISOR_H
#define SUP_SUPERVISOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alarm.h"
#include "buttons.h"
#include "evlog.h"
#include "hostwd.h"
#include "modem.h"
#include "power.h"
#include "proto.h"
#include "wire.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  bool valid;
  uint32_t base_s;  /* wall clock at base_ms */
  uint32_t base_ms;
} sup_clock;

typedef struct {
  uint8_t board;
  uint8_t reset_cause;
  uint16_t boot_count;
  uint32_t boot_ms;
  bool hello_done;
  /* The last request and its response, for retransmissions. */
  bool have_last;
  uint8_t last_type, last_seq;
  uint8_t last_resp[WIRE_MAX_FRAME];
  size_t last_resp_len;
  uint16_t rx_errors;
  wire_rx rx;
  power_sense power;
  hostwd wd;
  modem mdm;
  alarm_state alm;
  button ack, drill;
  evlog log;
  sup_clock clock;
  uint32_t next_fast_ms, next_slow_ms, next_save_ms;
} supervisor;

void sup_init(supervisor *s, uint8_t board, uint32_t now_ms);
/* One turn of the main loop: UART, buttons every 10 ms, the rest every 100 ms. */
void sup_step(supervisor *s, uint32_t now_ms);
/* Handles one request; writes the encoded response frame into `out`, returns its length. */
size_t sup_handle(supervisor *s, const wire_frame *req, uint32_t now_ms, uint8_t *out, size_t cap);
/* Wall-clock seconds, 0 when not valid. */
uint32_t sup_clock_now(const supervisor *s, uint32_t now_ms);
uint16_t sup_status_flags(const supervisor *s, uint32_t now_ms);

#ifdef __cplusplus
}
#endif

#endif
