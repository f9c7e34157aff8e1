/* Cycle counter (CPU cycle CSRs, fed by the SoC timer) and watchdog. */
#ifndef QUART_TIMER_H
#define QUART_TIMER_H

#include <stdint.h>

/* Cycles since reset (64 bit, read consistently). */
uint64_t cycles(void);
/* Low 32 bits of cycles(): enough for intervals up to 2^32 cycles. */
static inline uint32_t cycles32(void) {
  uint32_t lo;
  __asm__ volatile("rdcycle %0" : "=r"(lo));
  return lo;
}
/* Busy-waits n cycles. */
void delay_cycles(uint32_t n);
/* Instructions retired since reset. */
uint64_t instret(void);

/* Starts the watchdog: the SoC resets unless wdt_kick() is called within timeout cycles. */
void wdt_start(uint32_t timeout);
void wdt_kick(void);
void wdt_stop(void);

#endif
