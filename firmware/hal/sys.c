#include "sys.h"

#include "mmio.h"

void sys_reset(void) {
  mmio_write(SOC_SYSCTL_RESET_ADDR, SOC_SYSCTL_RESET_KEY);
  for (;;) {
  }
}

void sys_exit(int code) {
  mmio_write(SOC_SYSCTL_SIM_EXIT_ADDR, (uint32_t)code & 0xffu);
  for (;;) __asm__ volatile("ebreak");
}

/* picolibc's exit() and the return from main end here. */
void _exit(int code) __attribute__((noreturn));
void _exit(int code) { sys_exit(code); }
