/* The HAL on the nRF51822 (BBC micro:bit under QEMU). Registers from the nRF51
 * Series Reference Manual v3.0. TIMER0 gives the millisecond tick, UART0 the link
 * to the host (P0.24 TX, P0.25 RX, 115200 8N1, receive by interrupt into a
 * ring), GPIO the relay, modem lines, buzzer, LEDs and buttons, the NVMC the
 * event log's four pages at 0x7000, the ADC the mains and battery sense, the WDT
 * the MCU's own watchdog. QEMU 7.2 emulates the timer, UART, GPIO and NVMC; its
 * ADC and WDT are not emulated (reads give 0, writes are ignored), so there the
 * ADC reports no reading and the board's watchdog does nothing. */
#include <stdint.h>

#include "hal.h"
#include "proto.h"

#define REG(addr) (*(volatile uint32_t *)(addr))

enum {
  CLOCK = 0x40000000, POWER_RESETREAS = 0x40000400,
  UART0 = 0x40002000, ADC = 0x40007000, TIMER0 = 0x40008000, WDT = 0x40010000,
  NVMC = 0x4001E000, GPIO = 0x50000000, NVIC_ISER = 0xE000E100,
};

/* Pin map of the supervisor board (P0.n). */
static const uint8_t kOutPin[HAL_OUT_COUNT] = {18, 19, 20, 21, 22, 23, 28};
static const uint8_t kInPin[HAL_IN_COUNT] = {17, 26, 16};
static const uint8_t kInActiveLow[HAL_IN_COUNT] = {1, 1, 0};
static const uint8_t kAdcInput[HAL_ADC_COUNT] = {2, 3};     /* AIN2 (P0.01), AIN3 (P0.02) */
static const uint16_t kAdcScale[HAL_ADC_COUNT] = {1, 5};    /* mains sense direct; battery through 1:5 */

extern uint32_t __log_start;
__attribute__((section(".noinit"))) static hal_retained g_retained;
static uint32_t g_last_us, g_rem_us, g_millis;
static volatile uint8_t g_rx[128];
static volatile uint8_t g_rx_head, g_rx_tail;
static uint8_t g_reset_cause;

/* TIMER0 runs free at 1 MHz; time is read by capture, so a late interrupt loses
 * nothing. The compare interrupt only wakes the core once a millisecond. */
static uint32_t timer_capture(unsigned channel) {
  REG(TIMER0 + 0x040 + 4u * channel) = 1; /* TASKS_CAPTURE[channel] */
  return REG(TIMER0 + 0x540 + 4u * channel);
}

void board_timer0_irq(void) {
  REG(TIMER0 + 0x140) = 0;                        /* EVENTS_COMPARE[0] */
  REG(TIMER0 + 0x540) = timer_capture(2) + 1000u; /* CC[0]: a millisecond from now */
}

void board_uart0_irq(void) {
  while (REG(UART0 + 0x108)) { /* EVENTS_RXDRDY */
    REG(UART0 + 0x108) = 0;
    uint8_t b = (uint8_t)REG(UART0 + 0x518);
    uint8_t next = (uint8_t)((g_rx_head + 1) % sizeof g_rx);
    if (next != g_rx_tail) { /* full: drop; the host retransmits */
      g_rx[g_rx_head] = b;
      g_rx_head = next;
    }
  }
}

static void init_reset_cause(void) {
  uint32_t r = REG(POWER_RESETREAS);
  g_reset_cause = (r & 2) ? SUP_RESET_WATCHDOG : (r & 4) ? SUP_RESET_SOFTWARE : (r & 8) ? SUP_RESET_LOCKUP
                : (r & 1) ? SUP_RESET_PIN : r ? SUP_RESET_OTHER : SUP_RESET_POWER_ON;
  REG(POWER_RESETREAS) = 0xFFFFFFFFu;
}

static void init_gpio(void) {
  for (int i = 0; i < HAL_OUT_COUNT; ++i) REG(GPIO + 0x700 + 4u * kOutPin[i]) = 1; /* output, input buffer on */
  for (int i = 0; i < HAL_IN_COUNT; ++i) {
    uint32_t pull = kInActiveLow[i] ? 3u : 1u; /* pull-up for buttons, pull-down for STATUS */
    REG(GPIO + 0x700 + 4u * kInPin[i]) = pull << 2;
  }
}

static void init_uart(void) {
  REG(UART0 + 0x50C) = 24;          /* PSELTXD */
  REG(UART0 + 0x514) = 25;          /* PSELRXD */
  REG(UART0 + 0x524) = 0x01D7E000u; /* 115200 baud */
  REG(UART0 + 0x500) = 4;           /* ENABLE */
  REG(UART0 + 0x304) = 1u << 2;     /* INTENSET RXDRDY */
  REG(UART0 + 0x000) = 1;           /* STARTRX */
  REG(UART0 + 0x008) = 1;           /* STARTTX */
  REG(NVIC_ISER) = 1u << 2;
}

static void init_timer(void) {
  REG(TIMER0 + 0x504) = 0;       /* MODE timer */
  REG(TIMER0 + 0x508) = 3;       /* 32-bit */
  REG(TIMER0 + 0x510) = 4;       /* 16 MHz / 2^4 = 1 MHz */
  REG(TIMER0 + 0x540) = 1000;    /* CC[0] */
  REG(TIMER0 + 0x304) = 1u << 16; /* INTENSET COMPARE0 */
  REG(NVIC_ISER) = 1u << 8;
  REG(TIMER0 + 0x00C) = 1;       /* CLEAR */
  REG(TIMER0 + 0x000) = 1;       /* START */
}

static void init_watchdog(void) {
  REG(WDT + 0x504) = 3u * 32768u; /* CRV: 3 s */
  REG(WDT + 0x508) = 1;           /* RREN: RR[0] */
  REG(WDT + 0x50C) = 1;           /* CONFIG: keep running while asleep */
  REG(WDT + 0x000) = 1;           /* START */
}

void hal_init(void) {
  REG(CLOCK + 0x000) = 1; /* TASKS_HFCLKSTART: the crystal, for UART and timer accuracy */
  for (int i = 0; i < 100000 && REG(CLOCK + 0x100) == 0; ++i) {
  }
  init_reset_cause();
  init_gpio();
  init_uart();
  init_timer();
  init_watchdog();
}

/* Called from the main loop only, at least once a millisecond, far more often
 * than the 71-minute wrap of the microsecond counter. */
uint32_t hal_millis(void) {
  uint32_t us = timer_capture(1);
  g_rem_us += us - g_last_us;
  g_last_us = us;
  g_millis += g_rem_us / 1000u;
  g_rem_us %= 1000u;
  return g_millis;
}

size_t hal_uart_read(uint8_t *buf, size_t cap) {
  size_t n = 0;
  while (n < cap && g_rx_tail != g_rx_head) {
    buf[n++] = g_rx[g_rx_tail];
    g_rx_tail = (uint8_t)((g_rx_tail + 1) % sizeof g_rx);
  }
  return n;
}

void hal_uart_write(const uint8_t *buf, size_t len) {
  for (size_t i = 0; i < len; ++i) {
    REG(UART0 + 0x11C) = 0; /* EVENTS_TXDRDY */
    REG(UART0 + 0x51C) = buf[i];
    /* About 87 us a byte at 115200; the bound only guards against a stuck UART. */
    for (int k = 0; k < 20000 && REG(UART0 + 0x11C) == 0; ++k) {
    }
  }
}

bool hal_adc_read_mv(hal_adc channel, uint16_t *mv) {
  /* 10 bits, input at 1/3 prescaling against the 1.2 V band gap: 3.6 V full scale. */
  REG(ADC + 0x500) = 1;
  REG(ADC + 0x504) = 2u | (2u << 2) | ((uint32_t)(1u << kAdcInput[channel]) << 8);
  REG(ADC + 0x100) = 0;
  REG(ADC + 0x000) = 1;
  int k = 0;
  while (REG(ADC + 0x100) == 0 && ++k < 2000) {
  }
  if (REG(ADC + 0x100) == 0) return false; /* no ADC (QEMU) or a stuck conversion */
  uint32_t pin_mv = (REG(ADC + 0x508) & 0x3FFu) * 3600u / 1023u;
  *mv = (uint16_t)(pin_mv * kAdcScale[channel]);
  return true;
}

bool hal_input_read(hal_input input) {
  bool level = (REG(GPIO + 0x510) >> kInPin[input]) & 1u;
  return kInActiveLow[input] ? !level : level;
}

void hal_output_set(hal_output output, bool on) {
  REG(GPIO + (on ? 0x508 : 0x50C)) = 1u << kOutPin[output]; /* OUTSET / OUTCLR */
}

const volatile uint32_t *hal_log_words(void) { return (const volatile uint32_t *)&__log_start; }

static void nvmc_wait(void) {
  for (int k = 0; k < 100000 && REG(NVMC + 0x400) == 0; ++k) {
  }
}

bool hal_log_erase_page(uint32_t page) {
  if (page >= HAL_LOG_PAGES) return false;
  REG(NVMC + 0x504) = 2; /* CONFIG: erase enabled */
  nvmc_wait();
  REG(NVMC + 0x508) = (uint32_t)&__log_start + page * HAL_LOG_PAGE_WORDS * 4u; /* ERASEPAGE */
  nvmc_wait();
  REG(NVMC + 0x504) = 0;
  nvmc_wait();
  return true;
}

bool hal_log_program(uint32_t word_index, uint32_t value) {
  if (word_index >= HAL_LOG_PAGES * HAL_LOG_PAGE_WORDS) return false;
  volatile uint32_t *dst = (volatile uint32_t *)&__log_start + word_index;
  uint32_t want = *dst & value; /* NOR: programming only clears bits */
  REG(NVMC + 0x504) = 1; /* CONFIG: write enabled */
  nvmc_wait();
  *dst = value;
  nvmc_wait();
  REG(NVMC + 0x504) = 0;
  nvmc_wait();
  return *dst == want;
}

hal_retained *hal_retained_ram(void) { return &g_retained; }
uint8_t hal_reset_cause(void) { return g_reset_cause; }
void hal_watchdog_kick(void) { REG(WDT + 0x600) = 0x6E524635u; }
void hal_idle(void) { __asm volatile("wfi"); }
