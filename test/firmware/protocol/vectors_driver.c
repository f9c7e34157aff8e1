/*
 * Test driver for the firmware protocol code, built natively by the tests in test/firmware/protocol.
 * One command per input line, one answer line each (the test compares them with the shared vectors
 * in test/vectors/protocol/, which the TypeScript side generated):
 *
 *   crc <hex>                             -> CRC-32 as 8 hex digits
 *   cobs <hex>                            -> COBS encoding (no delimiter)
 *   uncobs <hex>                          -> decoded bytes, or "invalid"
 *   frame <type> <flags> <seq> <payload>  -> wire bytes (COBS + delimiter)
 *   parse <wire>                          -> "ok <type> <flags> <seq> <payload>" / "bad" / "drop" per frame, ";"-joined
 *   flips <wire>                          -> every single-byte substitution, deletion and duplication of
 *                                            one frame: "trials=N accepted=M", M counting accepted frames
 *                                            that differ from the original (must be 0)
 *   body <op> <hex>                       -> "rc=<code> <dump> | <re-encoded hex>"
 *   sizes                                 -> structure sizes
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpack_lite.h"
#include "proto.h"
#include "qp_body.h"
#include "qp_crc32.h"
#include "qp_frame.h"

static uint8_t bin[8192], bin2[8192];
static uint8_t fbuf[QP_FRAME_MAX], ref[QP_FRAME_MAX];
static int ref_n = -1; /* with flips: the original frame; only frames that differ from it count */

static int unhex(const char *s, uint8_t *out, int cap) {
  int n = 0;
  while (s[0] && s[1] && s[0] != ' ' && s[0] != '\n') {
    unsigned v;
    if (n >= cap || sscanf(s, "%2x", &v) != 1) return -1;
    out[n++] = (uint8_t)v;
    s += 2;
  }
  return n;
}

static void put_hex(const uint8_t *p, int n) {
  int i;
  for (i = 0; i < n; i++) printf("%02x", p[i]);
}

static const char *next_word(const char *s) {
  while (*s && *s != ' ') s++;
  while (*s == ' ') s++;
  return s;
}

static int encode_frame(uint8_t type, uint8_t flags, uint16_t seq, const uint8_t *payload, int len, uint8_t *out) {
  qp_cobs_enc_t e;
  uint8_t b;
  int n = 0;
  memcpy(fbuf + QP_HDR_BYTES, payload, (size_t)len);
  qp_cobs_enc_start(&e, fbuf, qp_frame_seal(fbuf, type, flags, seq, (uint16_t)len));
  while (qp_cobs_enc_next(&e, &b)) out[n++] = b;
  return n;
}

/* Feeds bytes into a fresh parser; calls back for every frame end. Returns the number of valid frames. */
static int parse(const uint8_t *p, int n, int print) {
  qp_frame_rx_t rx;
  int i, ok = 0, first = 1;
  memset(&rx, 0, sizeof rx);
  for (i = 0; i < n; i++) {
    int r;
    if (!rx.in_frame && p[i] != QP_DELIM) qp_frame_rx_begin(&rx, fbuf);
    r = qp_frame_rx_byte(&rx, p[i]);
    if (r == QP_FRX_MORE || r == QP_FRX_EMPTY) continue;
    if (r == QP_FRX_OK && (ref_n < 0 || rx.n != ref_n || memcmp(fbuf, ref, (size_t)ref_n))) ok++;
    if (!print) continue;
    if (!first) printf(";");
    first = 0;
    if (r == QP_FRX_OK) {
      printf("ok %u %u %u ", fbuf[0], fbuf[1], qp_rd16(fbuf + 2));
      put_hex(fbuf + QP_HDR_BYTES, rx.n - QP_FRAME_MIN);
    } else {
      printf(r == QP_FRX_BAD ? "bad" : "drop");
    }
  }
  return ok;
}

static void flips(const uint8_t *w, int n) {
  long trials = 0, accepted = 0;
  int pos, v;
  ref_n = -1;
  if (parse(w, n, 0) != 1) {
    printf("not one valid frame");
    return;
  }
  memcpy(ref, fbuf, sizeof ref);
  ref_n = QP_FRAME_MIN + qp_rd16(ref + QP_HDR_OFF_LEN);
  for (pos = 0; pos < n; pos++) {
    for (v = 0; v < 256; v++) { /* substitution */
      if (v == w[pos]) continue;
      memcpy(bin2, w, (size_t)n);
      bin2[pos] = (uint8_t)v;
      bin2[n] = QP_DELIM; /* flush: a delimiter that went missing is replaced by the next frame's */
      accepted += parse(bin2, n + 1, 0);
      trials++;
    }
    memcpy(bin2, w, (size_t)pos); /* deletion */
    memcpy(bin2 + pos, w + pos + 1, (size_t)(n - pos - 1));
    bin2[n - 1] = QP_DELIM;
    accepted += parse(bin2, n, 0);
    trials++;
    memcpy(bin2, w, (size_t)pos + 1); /* duplication */
    memcpy(bin2 + pos + 1, w + pos, (size_t)(n - pos));
    bin2[n + 1] = QP_DELIM;
    accepted += parse(bin2, n + 2, 0);
    trials++;
  }
  ref_n = -1;
  printf("trials=%ld accepted=%ld", trials, accepted);
}

static void body(uint8_t op, const uint8_t *p, int n) {
  qp_body_t b;
  int rc = qp_body_decode(op, p, (uint32_t)n, &b);
  unsigned k, i;
  uint32_t len;
  printf("rc=%d", rc);
  for (k = 0; k < QP_MAX_KEYS; k++) {
    const qp_val_t *v = &b.v[k];
    if (!v->present) continue;
    printf(" %u=", k);
    switch (qp_body_field_type(op, (uint8_t)k)) {
      case QP_FT_BOOL:
        printf(v->u ? "true" : "false");
        break;
      case QP_FT_BIN:
        printf("x:");
        put_hex(v->bytes, (int)v->u);
        break;
      case QP_FT_STR:
        printf("s:");
        put_hex(v->bytes, (int)v->u);
        break;
      case QP_FT_U32_ARRAY:
        printf("[");
        for (i = 0; i < v->u; i++) printf(i ? ",%u" : "%u", v->words[i]);
        printf("]");
        break;
      default:
        printf("%u", v->u);
    }
  }
  len = rc ? 0 : qp_body_encode(op, &b, bin2, sizeof bin2);
  printf(" | ");
  put_hex(bin2, (int)len);
}

int main(void) {
  static char line[65536];
  while (fgets(line, sizeof line, stdin)) {
    const char *arg = next_word(line);
    int n;
    if (!strncmp(line, "crc ", 4)) {
      n = unhex(arg, bin, sizeof bin);
      printf("%08x", qp_crc32(0, bin, (uint32_t)n));
    } else if (!strncmp(line, "cobs ", 5)) {
      qp_cobs_enc_t e;
      uint8_t b;
      n = unhex(arg, bin, sizeof bin);
      qp_cobs_enc_start(&e, bin, (uint16_t)n);
      while (qp_cobs_enc_next(&e, &b))
        if (b != QP_DELIM) printf("%02x", b);
    } else if (!strncmp(line, "uncobs ", 7)) {
      qp_frame_rx_t rx;
      int i;
      n = unhex(arg, bin, sizeof bin);
      memset(&rx, 0, sizeof rx);
      qp_frame_rx_begin(&rx, fbuf);
      for (i = 0; i < n; i++) qp_frame_rx_byte(&rx, bin[i]);
      if (rx.overflow || rx.left) printf("invalid");
      else put_hex(fbuf, rx.n);
    } else if (!strncmp(line, "frame ", 6)) {
      unsigned type, flags, seq;
      const char *payload = next_word(next_word(next_word(arg)));
      if (sscanf(arg, "%u %u %u", &type, &flags, &seq) != 3) return 2;
      n = unhex(payload, bin, sizeof bin);
      put_hex(bin2, encode_frame((uint8_t)type, (uint8_t)flags, (uint16_t)seq, bin, n, bin2));
    } else if (!strncmp(line, "parse ", 6)) {
      n = unhex(arg, bin, sizeof bin);
      parse(bin, n, 1);
    } else if (!strncmp(line, "flips ", 6)) {
      n = unhex(arg, bin, sizeof bin - 2);
      flips(bin, n);
    } else if (!strncmp(line, "body ", 5)) {
      unsigned op;
      if (sscanf(arg, "%u", &op) != 1) return 2;
      n = unhex(next_word(arg), bin, sizeof bin);
      body((uint8_t)op, bin, n);
    } else if (!strncmp(line, "sizes", 5)) {
      printf("qp_device_t=%u qp_link_t=%u frame_max=%u wire_max=%u", (unsigned)sizeof(qp_device_t),
             (unsigned)sizeof(qp_link_t), (unsigned)QP_FRAME_MAX, (unsigned)QP_WIRE_MAX);
    } else {
      printf("unknown command");
    }
    printf("\n");
    fflush(stdout);
  }
  return 0;
}
