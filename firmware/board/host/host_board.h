/* host_board: the HAL on a Linux host, for the firmware's unit tests and the
 * supervisor simulator. Everything a real board senses or drives is a field
 * here that the test or the simulator sets or reads: time, mains and battery
 * millivolts, buttons, the modem's STATUS line, the outputs (with rising-edge
 * counts), the UART as two byte queues, and the log flash as a word array with
 * NOR rules (program clears bits only) and injectable faults: a write refused,
 * or a power loss after the Nth word programmed (the torn word half-written).
 * One global board; not thread-safe. */
#ifndef SUP_HOST_BOARD_H
#define SUP_HOST_BOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { HOST_UART_CAP = 4096 };

typedef struct {
  uint32_t now_ms;
  bool adc_valid[HAL_ADC_COUNT];
  uint16_t adc_mv[HAL_ADC_COUNT];
  bool input[HAL_IN_COUNT];
  bool output[HAL_OUT_COUNT];
  uint32_t rising[HAL_OUT_COUNT];  /* off -> on transitions */
  uint8_t rx[HOST_UART_CAP];  /* host -> supervisor */
  size_t rx_len;
  uint8_t tx[HOST_UART_CAP];  /* supervisor -> host */
  size_t tx_len;
  uint32_t flash[HAL_LOG_PAGES * HAL_LOG_PAGE_WORDS];
  /* Faults: after this many more programmed words, the next one is torn and
   * every later program or erase is lost, as if the power went (-1: never). */
  long power_loss_after_words;
  bool powered_off;
  bool refuse_writes;
  uint8_t reset_cause;
  hal_retained retained;
  void (*on_flash_change)(void);  /* the simulator persists the flash */
} host_board;

extern host_board g_board;

/* A fresh board: erased flash, no faults, mains and battery absent. */
void host_board_reset(void);
/* Power back on after a loss: faults cleared, flash and retained RAM kept
 * (retained RAM only when `warm`). */
void host_board_power_on(bool warm);
void host_board_uart_push(const uint8_t *data, size_t len);
/* Takes what the supervisor sent. */
size_t host_board_uart_take(uint8_t *out, size_t cap);

#ifdef __cplusplus
}
#endif

#endif
