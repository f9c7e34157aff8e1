/* System control: identity, reset, LEDs, simulation exit. */
#ifndef QUART_SYS_H
#define QUART_SYS_H

#include <stdint.h>

#include "soc_map.h"

static inline uint32_t sys_id(void) { return *(volatile uint32_t *)SOC_SYSCTL_ID_ADDR; }
/* SOC_MAP_HASH of the hardware; compare with the one this firmware was built with. */
static inline uint32_t sys_map_hash(void) { return *(volatile uint32_t *)SOC_SYSCTL_MAP_HASH_ADDR; }
/* SOC_SYSCTL_RESET_CAUSE_* bits since power-up; sys_clear_reset_cause() clears them. */
static inline uint32_t sys_reset_cause(void) { return *(volatile uint32_t *)SOC_SYSCTL_RESET_CAUSE_ADDR; }
static inline void sys_clear_reset_cause(uint32_t bits) { *(volatile uint32_t *)SOC_SYSCTL_RESET_CAUSE_ADDR = bits; }
static inline void sys_leds(uint32_t bits) { *(volatile uint32_t *)SOC_SYSCTL_LEDS_ADDR = bits; }

/* Resets the whole SoC. */
void sys_reset(void) __attribute__((noreturn));
/* In the simulator: stops it with this exit code. On the board (and after the write): halts the CPU. */
void sys_exit(int code) __attribute__((noreturn));

#endif
