#include "qp_frame.h"

#include "qp_crc32.h"

void qp_wr16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}

void qp_wr32(uint8_t *p, uint32_t v) {
  qp_wr16(p, (uint16_t)v);
  qp_wr16(p + 2, (uint16_t)(v >> 16));
}

uint16_t qp_frame_seal(uint8_t *f, uint8_t type, uint8_t flags, uint16_t seq, uint16_t len) {
  f[QP_HDR_OFF_TYPE] = type;
  f[QP_HDR_OFF_FLAGS] = flags;
  qp_wr16(f + QP_HDR_OFF_SEQ, seq);
  qp_wr16(f + QP_HDR_OFF_LEN, len);
  qp_wr32(f + QP_HDR_BYTES + len, qp_crc32(0, f, QP_HDR_BYTES + len));
  return (uint16_t)(QP_FRAME_MIN + len);
}

void qp_frame_rx_begin(qp_frame_rx_t *rx, uint8_t *buf) {
  rx->buf = buf;
  rx->n = 0;
  rx->crc = QP_CRC_INIT;
  rx->in_frame = 1;
  rx->overflow = 0;
  rx->left = 0;
  rx->zero = 0;
}

static void put(qp_frame_rx_t *rx, uint8_t b) {
  if (rx->n >= QP_FRAME_MAX) {
    rx->overflow = 1;
    return;
  }
  rx->buf[rx->n++] = b;
  rx->crc = qp_crc32_byte(rx->crc, b);
}

static int frame_end(qp_frame_rx_t *rx) {
  if (!rx->in_frame) return QP_FRX_EMPTY;
  rx->in_frame = 0;
  if (!rx->buf) return QP_FRX_DROP;
  if (rx->overflow || rx->left || rx->n < QP_FRAME_MIN || rx->n != QP_FRAME_MIN + qp_rd16(rx->buf + QP_HDR_OFF_LEN) ||
      (rx->crc ^ QP_CRC_XOROUT) != QP_CRC_RESIDUE)
    return QP_FRX_BAD;
  return QP_FRX_OK;
}

int qp_frame_rx_byte(qp_frame_rx_t *rx, uint8_t b) {
  if (b == QP_DELIM) return frame_end(rx);
  if (!rx->buf || rx->overflow) return QP_FRX_MORE;
  if (rx->left) {
    put(rx, b);
    rx->left--;
    return QP_FRX_MORE;
  }
  /* A block code: the previous block's implied zero is real only because another block follows. */
  if (rx->zero) put(rx, 0);
  rx->left = (uint8_t)(b - 1);
  rx->zero = b != QP_COBS_MAX_CODE;
  return QP_FRX_MORE;
}

void qp_cobs_enc_start(qp_cobs_enc_t *e, const uint8_t *buf, uint16_t n) {
  e->buf = buf;
  e->n = n;
  e->pos = 0;
  e->phase = 0;
}

void qp_cobs_enc_abort(qp_cobs_enc_t *e) {
  if (e->phase < 2) e->phase = 2;
}

int qp_cobs_enc_done(const qp_cobs_enc_t *e) { return e->phase == 3; }

int qp_cobs_enc_next(qp_cobs_enc_t *e, uint8_t *out) {
  for (;;) {
    switch (e->phase) {
      case 0: { /* block code */
        uint16_t q = e->pos;
        while (q < e->n && e->buf[q] && q - e->pos < 254) q++;
        e->blk_end = q;
        e->full = q - e->pos == 254;
        e->phase = 1;
        *out = (uint8_t)(q - e->pos + 1);
        return 1;
      }
      case 1: /* block bytes */
        if (e->pos < e->blk_end) {
          *out = e->buf[e->pos++];
          return 1;
        }
        if (e->pos >= e->n) {
          e->phase = 2;
        } else {
          if (!e->full) e->pos++; /* the zero this block stands for */
          e->phase = 0;
        }
        break;
      case 2:
        *out = QP_DELIM;
        e->phase = 3;
        return 1;
      default:
        return 0;
    }
  }
}
