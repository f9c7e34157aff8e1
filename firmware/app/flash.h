/*
 * The QSPI NOR flash through FLASHCTL (fpga/rtl/soc/soc_qspi_flash.v): the CPU sends each command's
 * bytes itself; reads go through the FLASH region (quad I/O fast reads, sequential words stream).
 * Program and erase only start the operation: poll fl_busy() before the next one.
 */
#ifndef QUART_FLASH_H
#define QUART_FLASH_H

#include <stdint.h>

/* 1 when the controller is there and the part answers with the JEDEC ID the map expects. */
int fl_present(void);
uint32_t fl_jedec(void);
int fl_busy(void);
/* Starts erasing the 4 KiB sector (block = 0) or the 64 KiB block (block = 1) holding `off`. */
void fl_erase(uint32_t off, int block);
/* Starts programming `words` (1..64) words from `src` at `off`, inside one 256-byte page. */
void fl_program(uint32_t off, const volatile uint32_t *src, uint32_t words);
/* The flash at `off` as memory (read-only). */
static inline const volatile uint32_t *fl_map(uint32_t off) {
  return (const volatile uint32_t *)(0x50000000u + off);
}

#endif
