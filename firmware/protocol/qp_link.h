/*
 * Device side of the link layer, on top of the framing layer (qp_frame.h): sequencing, the
 * receive window (selective repeat with cumulative ACK + SACK bitmap, NAK on a gap or a corrupt frame)
 * and the transmit window with retransmission. Fixed buffers only; no OS calls.
 *
 * Bytes come in one at a time (qp_link_rx_byte) and go out one at a time through tx_byte, at most
 * `budget` per qp_link_poll() so the caller keeps draining its UART receive FIFO while it sends.
 */
#ifndef QP_LINK_H
#define QP_LINK_H

#include <stdint.h>

#include "qp_frame.h"
#include "quart_protocol.h"

/* Link counters, in the order of STATS_REPLY's first keys. */
enum {
  QP_LS_RX_FRAMES,
  QP_LS_RX_BAD,
  QP_LS_RX_DUP,
  QP_LS_RX_OOO,
  QP_LS_RX_DROP,
  QP_LS_TX_FRAMES,
  QP_LS_TX_RETX,
  QP_LS_NAK_TX,
  QP_LS_NAK_RX,
  QP_LS_COUNT
};

typedef struct {
  /* A message frame arrived in order; the payload is valid during the call only. The link calls it
   * only when a transmit slot is free, so the handler can always queue one reply. */
  void (*deliver)(void *ctx, uint8_t type, const uint8_t *payload, uint16_t len);
  /* The session ended: a SYNC with a new nonce arrived, or a frame ran out of retransmissions.
   * Every queued frame is gone. */
  void (*session_reset)(void *ctx);
  void (*tx_byte)(void *ctx, uint8_t b);
} qp_link_ops_t;

typedef struct {
  uint8_t buf[QP_FRAME_MAX];
  uint16_t seq;
  uint8_t used; /* holds a valid message frame not yet delivered */
} qp_rx_slot_t;

enum { QP_TX_FREE, QP_TX_QUEUED, QP_TX_SENDING, QP_TX_SENT, QP_TX_SACKED };

typedef struct {
  uint8_t buf[QP_FRAME_MAX]; /* header + payload + CRC, before COBS */
  uint16_t len;
  uint8_t state;
  uint8_t retries;  /* retransmissions for any reason */
  uint8_t timeouts; /* timeouts with nothing heard from the peer since the frame was sent */
  uint32_t sent_ms;
  uint32_t order; /* position of the latest transmission in the send order */
} qp_tx_slot_t;

typedef struct {
  const qp_link_ops_t *ops;
  void *ctx;
  uint16_t version; /* advertised in SYNC_ACK */
  uint32_t now;
  uint32_t rto_ms;  /* see qp_link_set_rate() */
  uint32_t heard_ms; /* when the last valid frame arrived */

  /* receive: the frame being decoded goes straight into a free slot */
  qp_rx_slot_t rx[QP_DEVICE_RX_WINDOW];
  qp_frame_rx_t frx;
  int8_t rx_cur; /* slot being filled, -1: none was free */
  uint16_t rx_expect;
  uint8_t ack_pending, nak_pending, nak_done;

  /* session */
  uint32_t nonce;
  uint8_t synced, sync_ack_pending, peer_window;

  /* transmit */
  qp_tx_slot_t tx[QP_DEVICE_TX_WINDOW];
  uint16_t tx_base, tx_next; /* oldest unacknowledged and next sequence number */
  uint8_t tx_base_slot;
  int8_t tx_sending; /* slot on the wire, -1: a control frame or nothing */
  uint8_t enc_active;
  uint32_t send_order;
  qp_cobs_enc_t enc;
  uint8_t ctrl[QP_FRAME_MIN + QP_SYNC_BYTES];

  uint32_t stats[QP_LS_COUNT];
  uint32_t rx_bytes; /* frame bytes received (decoded), valid or not */
} qp_link_t;

void qp_link_init(qp_link_t *l, const qp_link_ops_t *ops, void *ctx, uint16_t version);
void qp_link_rx_byte(qp_link_t *l, uint8_t b);

/* Frames decoded and CRC-checked by hardware (a UART that removes COBS itself) skip qp_link_rx_byte:
 * store the decoded bytes of the next frame from qp_link_rx_buffer() on (QP_FRAME_MAX bytes at most;
 * NULL: no free receive slot, the frame is dropped), then report its end with the byte count (more than
 * QP_FRAME_MAX: overflow) and the hardware's verdict on its COBS structure and CRC. Empty frames (n = 0)
 * are ignored. */
uint8_t *qp_link_rx_buffer(qp_link_t *l);
void qp_link_rx_frame(qp_link_t *l, uint32_t n, int ok);
/* Timers, deferred deliveries, then up to `budget` bytes onto the wire. */
void qp_link_poll(qp_link_t *l, uint32_t now_ms, uint32_t budget);

/* The line rate in bit/s (0: unknown or unlimited) sets the retransmission timeout: QP_DEVICE_RTO_MS
 * plus twice the time the transmit window takes on the line. */
void qp_link_set_rate(qp_link_t *l, uint32_t baud);

/* Frames that can be queued now (transmit window and peer window permitting). */
int qp_link_tx_room(const qp_link_t *l);
/* Payload area of the next frame to queue, or NULL when there is no room. */
uint8_t *qp_link_tx_payload(qp_link_t *l);
/* Queues the frame whose payload was written at qp_link_tx_payload(). */
void qp_link_tx_commit(qp_link_t *l, uint8_t type, uint16_t len);
/* Something is queued or on the wire (frames waiting only for an ACK do not count). */
int qp_link_tx_busy(const qp_link_t *l);

#endif
