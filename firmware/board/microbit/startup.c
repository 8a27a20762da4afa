/* Vector table and reset handler for the nRF51822 (Cortex-M0): copy .data,
 * zero .bss, run main. Unused interrupts land in a handler that stops, so the
 * MCU's watchdog (on real silicon) resets the chip. */
#include <stdint.h>

extern uint32_t __etext, __data_start, __data_end, __bss_start, __bss_end, __stack_top;
extern int main(void);
void reset_handler(void);
void board_timer0_irq(void);
void board_uart0_irq(void);

static void halt_handler(void) {
  for (;;) {
  }
}

typedef void (*vector)(void);
__attribute__((section(".vectors"), used)) static const vector kVectors[16 + 32] = {
    [0] = (vector)&__stack_top,
    [1] = reset_handler,
    [2] = halt_handler,   /* NMI */
    [3] = halt_handler,   /* HardFault */
    [11] = halt_handler,  /* SVC */
    [14] = halt_handler,  /* PendSV */
    [15] = halt_handler,  /* SysTick */
    [16 + 2] = board_uart0_irq,
    [16 + 8] = board_timer0_irq,
};

void reset_handler(void) {
  uint32_t *src = &__etext;
  for (uint32_t *dst = &__data_start; dst < &__data_end;) *dst++ = *src++;
  for (uint32_t *dst = &__bss_start; dst < &__bss_end;) *dst++ = 0;
  main();
  halt_handler();
}
