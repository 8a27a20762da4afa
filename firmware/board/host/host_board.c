#include "host_board.h"

#include <string.h>

#include "proto.h"

host_board g_board;

void host_board_reset(void) {
  memset(&g_board, 0, sizeof g_board);
  memset(g_board.flash, 0xFF, sizeof g_board.flash);
  g_board.power_loss_after_words = -1;
  g_board.reset_cause = SUP_RESET_POWER_ON;
}

void host_board_power_on(bool warm) {
  g_board.powered_off = false;
  g_board.power_loss_after_words = -1;
  g_board.refuse_writes = false;
  g_board.rx_len = g_board.tx_len = 0;
  memset(g_board.output, 0, sizeof g_board.output);
  if (!warm) memset(&g_board.retained, 0, sizeof g_board.retained);
  g_board.reset_cause = warm ? SUP_RESET_WATCHDOG : SUP_RESET_POWER_ON;
}

void host_board_uart_push(const uint8_t *data, size_t len) {
  size_t room = HOST_UART_CAP - g_board.rx_len;
  if (len > room) len = room;
  memcpy(g_board.rx + g_board.rx_len, data, len);
  g_board.rx_len += len;
}

size_t host_board_uart_take(uint8_t *out, size_t cap) {
  size_t n = g_board.tx_len < cap ? g_board.tx_len : cap;
  memcpy(out, g_board.tx, n);
  memmove(g_board.tx, g_board.tx + n, g_board.tx_len - n);
  g_board.tx_len -= n;
  return n;
}

void hal_init(void) {}
uint32_t hal_millis(void) { return g_board.now_ms; }

size_t hal_uart_read(uint8_t *buf, size_t cap) {
  size_t n = g_board.rx_len < cap ? g_board.rx_len : cap;
  memcpy(buf, g_board.rx, n);
  memmove(g_board.rx, g_board.rx + n, g_board.rx_len - n);
  g_board.rx_len -= n;
  return n;
}

void hal_uart_write(const uint8_t *buf, size_t len) {
  size_t room = HOST_UART_CAP - g_board.tx_len;
  if (len > room) len = room;
  memcpy(g_board.tx + g_board.tx_len, buf, len);
  g_board.tx_len += len;
}

bool hal_adc_read_mv(hal_adc channel, uint16_t *mv) {
  if (!g_board.adc_valid[channel]) return false;
  *mv = g_board.adc_mv[channel];
  return true;
}

bool hal_input_read(hal_input input) { return g_board.input[input]; }

void hal_output_set(hal_output output, bool on) {
  if (on && !g_board.output[output]) ++g_board.rising[output];
  g_board.output[output] = on;
}

const volatile uint32_t *hal_log_words(void) { return g_board.flash; }

static void flash_changed(void) {
  if (g_board.on_flash_change) g_board.on_flash_change();
}

bool hal_log_erase_page(uint32_t page) {
  if (page >= HAL_LOG_PAGES || g_board.refuse_writes) return false;
  if (g_board.powered_off) return true; /* the MCU thinks it worked; nothing happened */
  memset(g_board.flash + page * HAL_LOG_PAGE_WORDS, 0xFF, HAL_LOG_PAGE_WORDS * sizeof(uint32_t));
  flash_changed();
  return true;
}

bool hal_log_program(uint32_t word_index, uint32_t value) {
  if (word_index >= HAL_LOG_PAGES * HAL_LOG_PAGE_WORDS || g_board.refuse_writes) return false;
  if (g_board.powered_off) return true;
  if (g_board.power_loss_after_words == 0) {
    /* Torn: only the low half of the word's zero bits made it. */
    g_board.flash[word_index] &= value | 0xFFFF0000u;
    g_board.powered_off = true;
    flash_changed();
    return true;
  }
  if (g_board.power_loss_after_words > 0) --g_board.power_loss_after_words;
  g_board.flash[word_index] &= value;
  flash_changed();
  return true;
}

hal_retained *hal_retained_ram(void) { return &g_board.retained; }
uint8_t hal_reset_cause(void) { return g_board.reset_cause; }
void hal_watchdog_kick(void) {}
void hal_idle(void) {}
