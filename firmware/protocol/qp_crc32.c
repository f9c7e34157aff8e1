#include "qp_crc32.h"

#include <string.h>

#include "quart_protocol.h"

const uint32_t qp_crc32_nibble[16] = QP_CRC32_NIBBLE_TABLE;

uint32_t qp_crc32(uint32_t crc, const uint8_t *p, uint32_t n) {
  uint32_t reg = crc ^ QP_CRC_XOROUT;
  while (n--) reg = qp_crc32_byte(reg, *p++);
  return reg ^ QP_CRC_XOROUT;
}

/* The SoC's CPU shifts one bit per cycle: a byte step (one 8-bit shift, one table load) costs about half
 * of two nibble steps, and a word loaded once feeds four of them. The readback of a 3.6 MB blob at
 * LOAD_END is where this matters. The table is computed by the preprocessor (8 bit steps of the
 * reflected polynomial per entry), so it is constant data, not state. */
#define QP_C1(c) (((c) >> 1) ^ (((c) & 1u) ? QP_CRC_POLY_REFLECTED : 0u))
#define QP_C8(c) QP_C1(QP_C1(QP_C1(QP_C1(QP_C1(QP_C1(QP_C1(QP_C1(c))))))))
#define QP_R4(n) QP_C8((n) + 0u), QP_C8((n) + 1u), QP_C8((n) + 2u), QP_C8((n) + 3u)
#define QP_R16(n) QP_R4((n) + 0u), QP_R4((n) + 4u), QP_R4((n) + 8u), QP_R4((n) + 12u)
#define QP_R64(n) QP_R16((n) + 0u), QP_R16((n) + 16u), QP_R16((n) + 32u), QP_R16((n) + 48u)
static const uint32_t crc32_byte_table[256] = {QP_R64(0u), QP_R64(64u), QP_R64(128u), QP_R64(192u)};

static inline uint32_t crc32_step8(uint32_t reg) { return (reg >> 8) ^ crc32_byte_table[reg & 0xffu]; }

uint32_t qp_crc32_bulk(uint32_t crc, const uint8_t *p, uint32_t n) {
  uint32_t reg = crc ^ QP_CRC_XOROUT;
  for (; n && ((uintptr_t)p & 3u); n--) reg = crc32_step8(reg ^ *p++);
  for (; n >= 4; n -= 4, p += 4) {
    /* little-endian: the word's low byte is the first one */
    uint32_t w;
    memcpy(&w, __builtin_assume_aligned(p, 4), 4);
    reg ^= w;
    reg = crc32_step8(reg);
    reg = crc32_step8(reg);
    reg = crc32_step8(reg);
    reg = crc32_step8(reg);
  }
  for (; n; n--) reg = crc32_step8(reg ^ *p++);
  return reg ^ QP_CRC_XOROUT;
}
