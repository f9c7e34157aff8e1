/*
 * Boot stage in the boot ROM: checks the application image at the RAM base and jumps to it.
 *
 * Image (written by tools/mkimage.c): a SOC_APP_HEADER_SIZE-byte header {magic, length, CRC-32, entry}
 * followed by `length` bytes linked to run from SOC_RAM_BASE + SOC_APP_HEADER_SIZE. The app treats its
 * image as read-only (its .data is copied out of it), so after a reset the same image verifies again.
 *
 * In the simulator the harness writes the image into RAM before reset (--ram-image). On the board this
 * stage will first copy the image from SPI flash into RAM (not built yet); the checks stay the same.
 *
 * A bad image halts with a visible cause: a "QUART-BOOT: ..." line on the UART, the red LED, the cause in
 * SYSCTL.SCRATCH (0xb0070000 | cause), then ebreak (the simulator reports QUART_SIM_HALT cause=2).
 */
#include <stdint.h>

#include "mmio.h"
#include "quart_protocol.h"
#include "soc_map.h"
#include "sys.h"
#include "uart.h"

enum { BOOT_NO_MAGIC = 1, BOOT_BAD_LENGTH = 2, BOOT_BAD_ENTRY = 3, BOOT_BAD_CRC = 4 };

#define PAYLOAD_BASE (SOC_RAM_BASE + SOC_APP_HEADER_SIZE)
#define PAYLOAD_MAX (SOC_RAM_APP_IMAGE_SIZE - SOC_APP_HEADER_SIZE)

/* Nibble-table CRC-32 (the protocol's table, 64 bytes): about three times faster than bit by bit on
 * this CPU, whose shifter moves one bit per cycle, and boot time is how long a host waits for SYNC_ACK. */
static const uint32_t crc_nibble[16] = QP_CRC32_NIBBLE_TABLE;

static uint32_t crc32(const volatile uint8_t *p, uint32_t n) {
  uint32_t c = 0xffffffffu;
  while (n--) {
    c ^= *p++;
    c = (c >> 4) ^ crc_nibble[c & 15u];
    c = (c >> 4) ^ crc_nibble[c & 15u];
  }
  return c ^ 0xffffffffu;
}

static void __attribute__((noreturn)) fail(uint32_t cause, const char *what, uint32_t value) {
  sys_leds(SOC_SYSCTL_LEDS_RED_MASK);
  mmio_write(SOC_SYSCTL_SCRATCH_ADDR, 0xb0070000u | cause);
  uart_puts("QUART-BOOT: ");
  uart_puts(what);
  uart_puts(" ");
  uart_put_hex32(value);
  uart_puts("\r\n");
  uart_flush();
  for (;;) __asm__ volatile("ebreak");
}

int main(void) {
  const volatile uint32_t *h = (const volatile uint32_t *)SOC_RAM_BASE;
  uint32_t magic = h[0], length = h[1], crc = h[2], entry = h[3];
  if (magic != SOC_APP_MAGIC) fail(BOOT_NO_MAGIC, "no app image in RAM, magic", magic);
  if (length == 0 || length > PAYLOAD_MAX || (length & 3u)) fail(BOOT_BAD_LENGTH, "bad app length", length);
  if (entry < PAYLOAD_BASE || entry >= PAYLOAD_BASE + length || (entry & 3u))
    fail(BOOT_BAD_ENTRY, "bad app entry", entry);
  uint32_t got = crc32((const volatile uint8_t *)PAYLOAD_BASE, length);
  if (got != crc) fail(BOOT_BAD_CRC, "app CRC mismatch, computed", got);
  mmio_write(SOC_SYSCTL_SCRATCH_ADDR, 0);
  ((void (*)(void))entry)();
  fail(BOOT_BAD_ENTRY, "app returned", entry);
}
