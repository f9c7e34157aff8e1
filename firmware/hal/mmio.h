/* Memory-mapped register access. Addresses: soc_map.h (generated from fpga/soc/map.ts). */
#ifndef QUART_MMIO_H
#define QUART_MMIO_H

#include <stdint.h>

static inline uint32_t mmio_read(uint32_t addr) { return *(volatile uint32_t *)addr; }
static inline void mmio_write(uint32_t addr, uint32_t value) { *(volatile uint32_t *)addr = value; }

#endif
