/*
 * Framing layer: frame = header (type, flags, seq, len) | payload | CRC-32, COBS-encoded, ended by
 * QP_DELIM. A streaming parser decodes straight into a caller-chosen buffer and checks length and CRC;
 * a streaming encoder yields the wire bytes one at a time. No window logic here (see qp_link.h).
 */
#ifndef QP_FRAME_H
#define QP_FRAME_H

#include <stdint.h>

#include "quart_protocol.h"

static inline uint16_t qp_rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static inline uint32_t qp_rd32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void qp_wr16(uint8_t *p, uint16_t v);
void qp_wr32(uint8_t *p, uint32_t v);

/* Writes header and CRC around a payload already at f + QP_HDR_BYTES. Returns the frame length. */
uint16_t qp_frame_seal(uint8_t *f, uint8_t type, uint8_t flags, uint16_t seq, uint16_t len);

/* ---- receive */

enum {
  QP_FRX_MORE,  /* byte consumed, frame not finished */
  QP_FRX_EMPTY, /* a delimiter with no frame before it */
  QP_FRX_OK,    /* a valid frame of rx->n bytes is in rx->buf */
  QP_FRX_BAD,   /* a frame failed COBS, length or CRC checks, or overflowed */
  QP_FRX_DROP   /* a frame ended that had no buffer (qp_frame_rx_begin got NULL) */
};

typedef struct {
  uint8_t *buf;
  uint16_t n;
  uint32_t crc; /* raw register; a valid frame leaves QP_CRC_RESIDUE ^ QP_CRC_XOROUT */
  uint8_t in_frame, overflow, left, zero;
} qp_frame_rx_t;

/* Before the first byte of each frame (when !rx->in_frame and the byte is not QP_DELIM) the owner
 * chooses where it goes: a buffer of QP_FRAME_MAX bytes, or NULL to drop the frame. */
void qp_frame_rx_begin(qp_frame_rx_t *rx, uint8_t *buf);
int qp_frame_rx_byte(qp_frame_rx_t *rx, uint8_t b);

/* ---- transmit: one COBS block code, then its bytes; a block ends at a zero (dropped), after 254
 * bytes or at the end of the data. A full block at the very end is not followed by an empty one. */

typedef struct {
  const uint8_t *buf;
  uint16_t n, pos, blk_end;
  uint8_t phase, full;
} qp_cobs_enc_t;

void qp_cobs_enc_start(qp_cobs_enc_t *e, const uint8_t *buf, uint16_t n);
/* Next wire byte (the delimiter last); 0 when the frame is complete. */
int qp_cobs_enc_next(qp_cobs_enc_t *e, uint8_t *out);
/* Ends the frame early: the next byte is the delimiter (the receiver sees a bad frame). */
void qp_cobs_enc_abort(qp_cobs_enc_t *e);
int qp_cobs_enc_done(const qp_cobs_enc_t *e);

#endif
