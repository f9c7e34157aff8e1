#include "timer.h"

#include "mmio.h"
#include "soc_map.h"

uint64_t cycles(void) {
  uint32_t hi, lo, hi2;
  do {
    __asm__ volatile("rdcycleh %0" : "=r"(hi));
    __asm__ volatile("rdcycle %0" : "=r"(lo));
    __asm__ volatile("rdcycleh %0" : "=r"(hi2));
  } while (hi != hi2);
  return ((uint64_t)hi << 32) | lo;
}

uint64_t instret(void) {
  uint32_t hi, lo, hi2;
  do {
    __asm__ volatile("rdinstreth %0" : "=r"(hi));
    __asm__ volatile("rdinstret %0" : "=r"(lo));
    __asm__ volatile("rdinstreth %0" : "=r"(hi2));
  } while (hi != hi2);
  return ((uint64_t)hi << 32) | lo;
}

void delay_cycles(uint32_t n) {
  uint32_t start = cycles32();
  while (cycles32() - start < n) {
  }
}

void wdt_start(uint32_t timeout) {
  mmio_write(SOC_TIMER_WDT_TIMEOUT_ADDR, timeout);
  mmio_write(SOC_TIMER_WDT_CTRL_ADDR, SOC_TIMER_WDT_CTRL_ENABLE_MASK);
}

void wdt_kick(void) { mmio_write(SOC_TIMER_WDT_KICK_ADDR, 1); }

void wdt_stop(void) { mmio_write(SOC_TIMER_WDT_CTRL_ADDR, 0); }
