/* hal: everything the supervisor needs of a board, and nothing more. Two
 * implementations: board/microbit (the nRF51822 image QEMU runs) and board/host
 * (unit tests and the supervisor simulator, which also gives the signals QEMU
 * cannot: mains and battery voltages, buttons, the modem's STATUS line).
 * Single-threaded except where noted: only the UART receive side runs in an ISR. */
#ifndef SUP_HAL_H
#define SUP_HAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  HAL_OUT_HOST_RELAY = 0, /* energised = the host's power is cut */
  HAL_OUT_MODEM_PWRKEY,   /* energised = the module's PWRKEY held low */
  HAL_OUT_MODEM_RESET,    /* energised = the module's RESET_N held low */
  HAL_OUT_BUZZER,
  HAL_OUT_LED_RED,
  HAL_OUT_LED_AMBER,
  HAL_OUT_LED_GREEN,
  HAL_OUT_COUNT
} hal_output;

typedef enum {
  HAL_IN_ACK_BUTTON = 0, /* true = pressed */
  HAL_IN_DRILL_BUTTON,
  HAL_IN_MODEM_STATUS,   /* true = the module reports itself powered */
  HAL_IN_COUNT
} hal_input;

typedef enum { HAL_ADC_MAINS = 0, HAL_ADC_BATTERY, HAL_ADC_COUNT } hal_adc;

enum {
  HAL_LOG_PAGE_WORDS = 256, /* a 1 KB flash page */
  HAL_LOG_PAGES = 4,
};

/* Survives a warm reset (watchdog, reset pin, software reset); not a power loss. */
typedef struct {
  uint32_t magic;
  uint32_t rtc_seconds; /* the wall clock at the last save */
  uint32_t check;       /* ~(magic ^ rtc_seconds) */
} hal_retained;

void hal_init(void);
uint32_t hal_millis(void); /* since boot; wraps after 49 days, callers use differences */

size_t hal_uart_read(uint8_t *buf, size_t cap); /* what has arrived, without waiting */
void hal_uart_write(const uint8_t *buf, size_t len);

/* False when this board has no reading (QEMU: no ADC; host: sense unplugged). */
bool hal_adc_read_mv(hal_adc channel, uint16_t *mv);
bool hal_input_read(hal_input input);
void hal_output_set(hal_output output, bool on);

/* The event log's flash region: HAL_LOG_PAGES pages, memory-mapped for reading.
 * Programming may only clear bits (NOR flash); erase sets a page to 0xFF. Both
 * return false when the flash refuses (a write fault), and may be torn by a
 * power loss part way. */
const volatile uint32_t *hal_log_words(void);
bool hal_log_erase_page(uint32_t page);
bool hal_log_program(uint32_t word_index, uint32_t value);

hal_retained *hal_retained_ram(void);
uint8_t hal_reset_cause(void); /* SUP_RESET_* of supervisor.h */
void hal_watchdog_kick(void);  /* the MCU's own watchdog */
void hal_idle(void);           /* sleep until the next interrupt */

#ifdef __cplusplus
}
#endif

#endif
