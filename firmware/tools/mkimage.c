/*
 * Host tool: wraps a RAM-linked firmware binary into the image the boot loader accepts.
 *
 *   mkimage <payload.bin> <out.img> <magic> <entry> <header-bytes>
 *
 * Header (little-endian 32-bit words, header-bytes long, rest zero): magic, payload length, CRC-32 of the
 * payload (IEEE 802.3, reflected, init and xorout 0xffffffff: the protocol's CRC), entry address.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t crc32(const uint8_t *p, size_t n) {
  uint32_t c = 0xffffffffu;
  while (n--) {
    c ^= *p++;
    for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
  }
  return c ^ 0xffffffffu;
}

static void put32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: mkimage <payload.bin> <out.img> <magic> <entry> <header-bytes>\n");
    return 2;
  }
  FILE *in = fopen(argv[1], "rb");
  if (!in) {
    perror(argv[1]);
    return 1;
  }
  static uint8_t buf[1 << 20];
  size_t n = fread(buf, 1, sizeof buf, in);
  int more = fgetc(in) != EOF;
  fclose(in);
  if (more) {
    fprintf(stderr, "mkimage: %s is larger than 1 MiB\n", argv[1]);
    return 1;
  }
  uint32_t magic = (uint32_t)strtoul(argv[3], NULL, 0);
  uint32_t entry = (uint32_t)strtoul(argv[4], NULL, 0);
  size_t hlen = (size_t)strtoul(argv[5], NULL, 0);
  if (hlen < 16 || hlen % 4 != 0) {
    fprintf(stderr, "mkimage: header size must be a multiple of 4, at least 16\n");
    return 2;
  }
  uint8_t head[64];
  if (hlen > sizeof head) return 2;
  memset(head, 0, sizeof head);
  put32(head, magic);
  put32(head + 4, (uint32_t)n);
  put32(head + 8, crc32(buf, n));
  put32(head + 12, entry);
  FILE *out = fopen(argv[2], "wb");
  if (!out || fwrite(head, 1, hlen, out) != hlen || fwrite(buf, 1, n, out) != n || fclose(out) != 0) {
    perror(argv[2]);
    return 1;
  }
  printf("app image: %zu bytes (header %zu + payload %zu), crc 0x%08x, entry 0x%08x\n", hlen + n, hlen, n,
         crc32(buf, n), entry);
  return 0;
}
