#include "flash.h"

#include "mmio.h"
#include "soc_map.h"

#define CTRL(cs, quad, bytes) \
  (((cs) ? SOC_FLASHCTL_CTRL_CS_MASK : 0u) | ((quad) ? SOC_FLASHCTL_CTRL_QUAD_MASK : 0u) | \
   (((bytes) - 1u) << SOC_FLASHCTL_CTRL_BYTES_BIT))

_Static_assert(SOC_FLASH_BASE == 0x50000000u, "fl_map() uses the FLASH base");

/* A command word: the opcode, then a 24-bit address MSB first (DATA sends bits 7:0 first). Byte
 * shuffles by 8, 16 and 24 cost a cycle per bit on this CPU, negligible once per page. */
static uint32_t cmd_addr(uint32_t op, uint32_t a) {
  return op | ((a >> 16) & 0xffu) << 8 | ((a >> 8) & 0xffu) << 16 | (a & 0xffu) << 24;
}

static void cmd1(uint32_t op) {
  mmio_write(SOC_FLASHCTL_CTRL_ADDR, CTRL(1, 0, 1));
  mmio_write(SOC_FLASHCTL_DATA_ADDR, op);
  mmio_write(SOC_FLASHCTL_CTRL_ADDR, 0);
}

/* The command byte, then n - 1 bytes clocked in: they are in DATA, the first in bits 7:0. */
static uint32_t cmd_read(uint32_t op, uint32_t n) {
  uint32_t v;
  mmio_write(SOC_FLASHCTL_CTRL_ADDR, CTRL(1, 0, n));
  mmio_write(SOC_FLASHCTL_DATA_ADDR, op);
  v = mmio_read(SOC_FLASHCTL_DATA_ADDR);
  mmio_write(SOC_FLASHCTL_CTRL_ADDR, 0);
  return v;
}

uint32_t fl_jedec(void) {
  uint32_t v = cmd_read(0x9fu, 4); /* manufacturer, type, capacity in bits 15:8, 23:16, 31:24 */
  return ((v >> 8) & 0xffu) << 16 | ((v >> 16) & 0xffu) << 8 | (v >> 24);
}

int fl_present(void) {
  return mmio_read(SOC_FLASHCTL_ID_ADDR) == SOC_FLASHCTL_ID_RESET && fl_jedec() == SOC_FLASH_JEDEC_ID;
}

int fl_busy(void) { return (cmd_read(0x05u, 2) >> 8) & 1u; }

void fl_erase(uint32_t off, int block) {
  cmd1(0x06u); /* write enable */
  mmio_write(SOC_FLASHCTL_CTRL_ADDR, CTRL(1, 0, 4));
  mmio_write(SOC_FLASHCTL_DATA_ADDR, cmd_addr(block ? 0xd8u : 0x20u, off));
  mmio_write(SOC_FLASHCTL_CTRL_ADDR, 0);
}

void fl_program(uint32_t off, const volatile uint32_t *src, uint32_t words) {
  cmd1(0x06u);
  mmio_write(SOC_FLASHCTL_CTRL_ADDR, CTRL(1, 0, 4));
  mmio_write(SOC_FLASHCTL_DATA_ADDR, cmd_addr(0x32u, off)); /* quad page program: data on IO0..3 */
  mmio_write(SOC_FLASHCTL_CTRL_ADDR, CTRL(1, 1, 4));
  while (words--) mmio_write(SOC_FLASHCTL_DATA_ADDR, *src++);
  mmio_write(SOC_FLASHCTL_CTRL_ADDR, 0);
}
