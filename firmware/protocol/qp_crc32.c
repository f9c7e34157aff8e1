#include "qp_crc32.h"

#include "quart_protocol.h"

const uint32_t qp_crc32_nibble[16] = QP_CRC32_NIBBLE_TABLE;

uint32_t qp_crc32(uint32_t crc, const uint8_t *p, uint32_t n) {
  uint32_t reg = crc ^ QP_CRC_XOROUT;
  while (n--) reg = qp_crc32_byte(reg, *p++);
  return reg ^ QP_CRC_XOROUT;
}
