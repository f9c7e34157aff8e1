#include "qp_link.h"

#include <string.h>

_Static_assert(QP_DEVICE_RX_WINDOW >= 1 && QP_DEVICE_RX_WINDOW <= QP_MAX_WINDOW, "receive window 1..QP_MAX_WINDOW");
_Static_assert(QP_DEVICE_RX_WINDOW <= 127, "slot index is an int8_t");
_Static_assert(QP_DEVICE_TX_WINDOW >= 1 && QP_DEVICE_TX_WINDOW <= QP_MAX_WINDOW, "transmit window 1..QP_MAX_WINDOW");
_Static_assert(QP_FRAME_MAX == QP_HDR_BYTES + QP_MAX_PAYLOAD + QP_CRC_BYTES, "frame size");
_Static_assert(QP_FRAME_MIN == QP_HDR_BYTES + QP_CRC_BYTES, "frame size");

/* ---- transmit window */

static uint8_t tx_slot(const qp_link_t *l, uint16_t seq) {
  return (uint8_t)((l->tx_base_slot + (uint16_t)(seq - l->tx_base)) % QP_DEVICE_TX_WINDOW);
}

static uint16_t tx_limit(const qp_link_t *l) {
  return l->peer_window < QP_DEVICE_TX_WINDOW ? l->peer_window : QP_DEVICE_TX_WINDOW;
}

int qp_link_tx_room(const qp_link_t *l) {
  uint16_t inflight = (uint16_t)(l->tx_next - l->tx_base);
  if (inflight >= tx_limit(l)) return 0;
  /* The next slot may still be on the wire when an ACK freed it early. */
  if (l->tx_sending >= 0 && tx_slot(l, l->tx_next) == (uint8_t)l->tx_sending) return 0;
  return tx_limit(l) - inflight;
}

uint8_t *qp_link_tx_payload(qp_link_t *l) {
  if (!qp_link_tx_room(l)) return 0;
  return l->tx[tx_slot(l, l->tx_next)].buf + QP_HDR_BYTES;
}

void qp_link_tx_commit(qp_link_t *l, uint8_t type, uint16_t len) {
  qp_tx_slot_t *s = &l->tx[tx_slot(l, l->tx_next)];
  s->len = qp_frame_seal(s->buf, type, 0, l->tx_next, len);
  s->state = QP_TX_QUEUED;
  s->retries = s->timeouts = 0;
  l->tx_next++;
}

int qp_link_tx_busy(const qp_link_t *l) {
  uint16_t i, n = (uint16_t)(l->tx_next - l->tx_base);
  if (l->enc_active) return 1;
  for (i = 0; i < n; i++)
    if (l->tx[tx_slot(l, (uint16_t)(l->tx_base + i))].state == QP_TX_QUEUED) return 1;
  return 0;
}

/* Drops every queued frame; a data frame half on the wire is cut short by a delimiter. */
static void tx_clear(qp_link_t *l) {
  uint8_t i;
  for (i = 0; i < QP_DEVICE_TX_WINDOW; i++) l->tx[i].state = QP_TX_FREE;
  l->tx_base = l->tx_next = 0;
  l->tx_base_slot = 0;
  if (l->enc_active && l->tx_sending >= 0) qp_cobs_enc_abort(&l->enc);
  l->tx_sending = -1;
}

/* Schedules a retransmission. After QP_MAX_RETRIES timeouts in silence (nothing valid heard since the
 * frame was sent) or QP_MAX_RETRANSMITS in all, the peer is gone and the session ends. */
static void retransmit(qp_link_t *l, qp_tx_slot_t *s, int timeout) {
  if (s->state != QP_TX_SENT) return;
  if (timeout && (int32_t)(l->heard_ms - s->sent_ms) < 0) s->timeouts++;
  if (++s->retries > QP_MAX_RETRANSMITS || s->timeouts > QP_MAX_RETRIES) {
    tx_clear(l);
    l->ops->session_reset(l->ctx);
    return;
  }
  s->state = QP_TX_QUEUED;
}

static void on_ack(qp_link_t *l, uint16_t cum, uint32_t sack, int nak) {
  uint16_t inflight = (uint16_t)(l->tx_next - l->tx_base);
  uint16_t adv = (uint16_t)(cum - l->tx_base);
  uint32_t delivered = 0; /* latest send order known to have arrived (frames sent once only: which copy
                           * of a retransmitted frame arrived is unknown) */
  uint16_t i;
  if (nak) l->stats[QP_LS_NAK_RX]++;
  if (adv > inflight) return; /* stale, or not ours */
  while (adv--) {
    qp_tx_slot_t *s = &l->tx[l->tx_base_slot];
    if (s->state == QP_TX_SENT && !s->retries && s->order > delivered) delivered = s->order;
    s->state = QP_TX_FREE;
    l->tx_base++;
    l->tx_base_slot = (uint8_t)((l->tx_base_slot + 1) % QP_DEVICE_TX_WINDOW);
  }
  inflight = (uint16_t)(l->tx_next - l->tx_base);
  for (i = 0; i < 32 && i + 1u < inflight; i++) {
    qp_tx_slot_t *s = &l->tx[tx_slot(l, (uint16_t)(cum + 1 + i))];
    if ((sack >> i & 1) && s->state == QP_TX_SENT) {
      s->state = QP_TX_SACKED;
      if (!s->retries && s->order > delivered) delivered = s->order;
    }
  }
  /* A serial line does not reorder: a frame sent before one that arrived was lost. A NAK names the
   * oldest missing frame directly (without an RTT estimate the device cannot tell a NAK about an older
   * copy from one about the latest, so it always obeys: a duplicate costs less than a timeout). */
  for (i = 0; i < inflight && l->tx_next != l->tx_base; i++) {
    qp_tx_slot_t *s = &l->tx[tx_slot(l, (uint16_t)(l->tx_base + i))];
    if (s->state == QP_TX_SENT && (s->order < delivered || (nak && i == 0))) retransmit(l, s, 0);
  }
}

/* ---- receive window */

static void want_nak(qp_link_t *l) {
  if (!l->nak_done) l->nak_pending = 1;
}

static void session_start(qp_link_t *l, uint32_t nonce, uint8_t window) {
  uint8_t i;
  for (i = 0; i < QP_DEVICE_RX_WINDOW; i++) l->rx[i].used = 0;
  l->rx_expect = 0;
  l->ack_pending = l->nak_pending = l->nak_done = 0;
  tx_clear(l);
  l->nonce = nonce;
  l->synced = 1;
  l->peer_window = window < 1 ? 1 : window > QP_MAX_WINDOW ? QP_MAX_WINDOW : window;
}

/* Hands the next buffered frame to the dispatcher if it is in order and a reply could be queued. One
 * per call: after a gap is filled, delivering a whole window at once (each a chunk written to storage)
 * would stall the caller's UART draining for that long; qp_link_poll() delivers the rest, one a call. */
static void deliver_ready(qp_link_t *l) {
  uint8_t i;
  for (i = 0; i < QP_DEVICE_RX_WINDOW; i++)
    if (l->rx[i].used && l->rx[i].seq == l->rx_expect) break;
  if (i == QP_DEVICE_RX_WINDOW || !qp_link_tx_room(l)) return;
  l->rx_expect++;
  l->nak_done = 0;
  l->ack_pending = 1;
  l->ops->deliver(l->ctx, l->rx[i].buf[QP_HDR_OFF_TYPE], l->rx[i].buf + QP_HDR_BYTES,
                  qp_rd16(l->rx[i].buf + QP_HDR_OFF_LEN));
  l->rx[i].used = 0;
}

static void on_message(qp_link_t *l, qp_rx_slot_t *s) {
  uint16_t seq = qp_rd16(s->buf + QP_HDR_OFF_SEQ);
  uint16_t ahead = (uint16_t)(seq - l->rx_expect);
  uint8_t i;
  l->ack_pending = 1; /* every message frame is answered, duplicates too: their ACK may have been lost */
  if (ahead >= 0x8000) {
    l->stats[QP_LS_RX_DUP]++;
    return;
  }
  if (ahead >= QP_DEVICE_RX_WINDOW) {
    l->stats[QP_LS_RX_DROP]++;
    return;
  }
  for (i = 0; i < QP_DEVICE_RX_WINDOW; i++)
    if (l->rx[i].used && l->rx[i].seq == seq) {
      l->stats[QP_LS_RX_DUP]++;
      return;
    }
  s->used = 1;
  s->seq = seq;
  if (ahead) {
    l->stats[QP_LS_RX_OOO]++;
    want_nak(l);
  }
  deliver_ready(l);
}

static void on_control(qp_link_t *l, uint8_t type, uint16_t seq, const uint8_t *p, uint16_t len) {
  if (type == QP_T_SYNC && len >= QP_SYNC_BYTES) {
    uint32_t nonce = qp_rd32(p + QP_SYNC_OFF_NONCE);
    if (!l->synced || nonce != l->nonce) { /* a repeated SYNC only gets its answer again */
      session_start(l, nonce, p[QP_SYNC_OFF_WINDOW]);
      l->ops->session_reset(l->ctx);
    }
    l->sync_ack_pending = 1;
  } else if ((type == QP_T_ACK || type == QP_T_NAK) && len >= QP_SACK_BYTES) {
    on_ack(l, seq, qp_rd32(p + QP_ACK_OFF_SACK), type == QP_T_NAK);
  }
}

static void on_frame(qp_link_t *l, qp_rx_slot_t *s, uint16_t len) {
  l->stats[QP_LS_RX_FRAMES]++;
  l->heard_ms = l->now;
  if (s->buf[QP_HDR_OFF_TYPE] < QP_FIRST_MESSAGE_TYPE)
    on_control(l, s->buf[QP_HDR_OFF_TYPE], qp_rd16(s->buf + QP_HDR_OFF_SEQ), s->buf + QP_HDR_BYTES, len);
  else
    on_message(l, s);
}

/* Picks the receive slot for a frame that starts now; NULL when none is free. */
static uint8_t *rx_pick(qp_link_t *l) {
  int8_t i;
  l->rx_cur = -1;
  for (i = 0; i < (int8_t)QP_DEVICE_RX_WINDOW; i++)
    if (!l->rx[i].used) {
      l->rx_cur = i;
      return l->rx[i].buf;
    }
  return 0;
}

static void rx_result(qp_link_t *l, int result, uint16_t n) {
  switch (result) {
    case QP_FRX_OK:
      on_frame(l, &l->rx[l->rx_cur], (uint16_t)(n - QP_FRAME_MIN));
      break;
    case QP_FRX_BAD: /* it may have been a retransmission: NAK again */
      l->stats[QP_LS_RX_BAD]++;
      l->nak_done = 0;
      want_nak(l);
      break;
    case QP_FRX_DROP:
      l->stats[QP_LS_RX_DROP]++;
      break;
    default:
      break;
  }
}

void qp_link_rx_byte(qp_link_t *l, uint8_t b) {
  int r;
  if (!l->frx.in_frame && b != QP_DELIM) qp_frame_rx_begin(&l->frx, rx_pick(l)); /* first byte of a frame */
  r = qp_frame_rx_byte(&l->frx, b);
  if (r == QP_FRX_MORE || r == QP_FRX_EMPTY) return;
  l->rx_bytes += l->frx.n;
  rx_result(l, r, l->frx.n);
}

uint8_t *qp_link_rx_buffer(qp_link_t *l) { return rx_pick(l); }

void qp_link_rx_frame(qp_link_t *l, uint32_t n, int ok) {
  const uint8_t *f;
  if (!n) return;
  l->rx_bytes += n;
  if (l->rx_cur < 0) {
    rx_result(l, QP_FRX_DROP, 0);
    return;
  }
  f = l->rx[l->rx_cur].buf;
  if (!ok || n < QP_FRAME_MIN || n > QP_FRAME_MAX || n != QP_FRAME_MIN + (uint32_t)qp_rd16(f + QP_HDR_OFF_LEN))
    rx_result(l, QP_FRX_BAD, 0);
  else
    rx_result(l, QP_FRX_OK, (uint16_t)n);
}

/* ---- sending */

static uint32_t rx_sack(const qp_link_t *l) {
  uint32_t sack = 0;
  uint8_t i;
  for (i = 0; i < QP_DEVICE_RX_WINDOW; i++) {
    uint16_t ahead = (uint16_t)(l->rx[i].seq - l->rx_expect);
    if (l->rx[i].used && ahead >= 1 && ahead <= 32) sack |= 1u << (ahead - 1);
  }
  return sack;
}

static uint16_t control_frame(qp_link_t *l, uint8_t type, uint16_t seq) {
  uint8_t *p = l->ctrl + QP_HDR_BYTES;
  uint16_t len;
  if (type == QP_T_SYNC_ACK) {
    qp_wr16(p + QP_SYNC_ACK_OFF_VERSION, l->version);
    qp_wr32(p + QP_SYNC_ACK_OFF_NONCE, l->nonce);
    p[QP_SYNC_ACK_OFF_WINDOW] = QP_DEVICE_RX_WINDOW;
    qp_wr16(p + QP_SYNC_ACK_OFF_MAX_PAYLOAD, QP_MAX_PAYLOAD);
    len = QP_SYNC_BYTES;
  } else {
    qp_wr32(p + QP_ACK_OFF_SACK, rx_sack(l));
    len = QP_SACK_BYTES;
  }
  return qp_frame_seal(l->ctrl, type, 0, seq, len);
}

/* Picks the next frame for the wire: SYNC_ACK, then NAK/ACK (built now, so they carry the latest
 * state), then data frames oldest first. */
static int start_next(qp_link_t *l) {
  uint16_t i, n;
  l->tx_sending = -1;
  if (l->sync_ack_pending) {
    l->sync_ack_pending = 0;
    qp_cobs_enc_start(&l->enc, l->ctrl, control_frame(l, QP_T_SYNC_ACK, 0));
    return 1;
  }
  if (l->nak_pending || l->ack_pending) {
    uint8_t type = l->nak_pending ? QP_T_NAK : QP_T_ACK;
    if (l->nak_pending) {
      l->nak_done = 1;
      l->stats[QP_LS_NAK_TX]++;
    }
    l->nak_pending = l->ack_pending = 0;
    qp_cobs_enc_start(&l->enc, l->ctrl, control_frame(l, type, l->rx_expect));
    return 1;
  }
  n = (uint16_t)(l->tx_next - l->tx_base);
  for (i = 0; i < n; i++) {
    uint8_t k = tx_slot(l, (uint16_t)(l->tx_base + i));
    qp_tx_slot_t *s = &l->tx[k];
    if (s->state != QP_TX_QUEUED) continue;
    if (s->retries) { /* mark the retransmission and re-seal */
      qp_frame_seal(s->buf, s->buf[QP_HDR_OFF_TYPE], s->buf[QP_HDR_OFF_FLAGS] | QP_FLAG_RETX,
                    qp_rd16(s->buf + QP_HDR_OFF_SEQ), (uint16_t)(s->len - QP_FRAME_MIN));
      l->stats[QP_LS_TX_RETX]++;
    }
    s->state = QP_TX_SENDING;
    s->order = ++l->send_order;
    l->tx_sending = (int8_t)k;
    qp_cobs_enc_start(&l->enc, s->buf, s->len);
    return 1;
  }
  return 0;
}

static void frame_sent(qp_link_t *l) {
  l->enc_active = 0;
  l->stats[QP_LS_TX_FRAMES]++;
  if (l->tx_sending >= 0) {
    qp_tx_slot_t *s = &l->tx[l->tx_sending];
    if (s->state == QP_TX_SENDING) { /* not acknowledged (or cleared) while on the wire */
      s->state = QP_TX_SENT;
      s->sent_ms = l->now;
    }
    l->tx_sending = -1;
  }
}

void qp_link_poll(qp_link_t *l, uint32_t now_ms, uint32_t budget) {
  uint16_t i, n;
  l->now = now_ms;
  n = (uint16_t)(l->tx_next - l->tx_base);
  for (i = 0; i < n && l->tx_next != l->tx_base; i++) {
    qp_tx_slot_t *s = &l->tx[tx_slot(l, (uint16_t)(l->tx_base + i))];
    if (s->state == QP_TX_SENT && (uint32_t)(now_ms - s->sent_ms) >= l->rto_ms) retransmit(l, s, 1);
  }
  deliver_ready(l);
  while (budget) {
    uint8_t b;
    if (!l->enc_active) {
      if (!start_next(l)) return;
      l->enc_active = 1;
    }
    if (qp_cobs_enc_next(&l->enc, &b)) {
      l->ops->tx_byte(l->ctx, b);
      budget--;
    }
    if (qp_cobs_enc_done(&l->enc)) frame_sent(l);
  }
}

void qp_link_set_rate(qp_link_t *l, uint32_t baud) {
  l->rto_ms = QP_DEVICE_RTO_MS;
  if (baud) l->rto_ms += 2u * QP_DEVICE_TX_WINDOW * QP_WIRE_MAX * 10u * 1000u / baud;
}

void qp_link_init(qp_link_t *l, const qp_link_ops_t *ops, void *ctx, uint16_t version) {
  memset(l, 0, sizeof *l);
  l->ops = ops;
  l->ctx = ctx;
  l->version = version;
  l->tx_sending = -1;
  l->rx_cur = -1;
  l->peer_window = 1; /* until a SYNC says more */
  qp_link_set_rate(l, 0);
}
