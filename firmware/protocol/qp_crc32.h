/* CRC-32/ISO-HDLC, nibble-table driven (64 bytes of table: the boot ROM is small). */
#ifndef QP_CRC32_H
#define QP_CRC32_H

#include <stdint.h>

extern const uint32_t qp_crc32_nibble[16];

/* One byte into a raw CRC register (start from QP_CRC_INIT, finish with ^ QP_CRC_XOROUT). */
static inline uint32_t qp_crc32_byte(uint32_t reg, uint8_t b) {
  reg ^= b;
  reg = (reg >> 4) ^ qp_crc32_nibble[reg & 15];
  return (reg >> 4) ^ qp_crc32_nibble[reg & 15];
}

/* Continues a finished CRC like the host's crc32(bytes, previous): pass 0 to start. */
uint32_t qp_crc32(uint32_t crc, const uint8_t *p, uint32_t n);

/* The same CRC for bulk data (blob readback, output streams): a byte table (1 KiB, built on first use)
 * and a word at a time where `p` is aligned. */
uint32_t qp_crc32_bulk(uint32_t crc, const uint8_t *p, uint32_t n);

#endif
