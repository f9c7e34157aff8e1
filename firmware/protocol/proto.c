#include "proto.h"

#include <string.h>

#include "mpack_lite.h"
#include "qp_body.h"
#include "qp_crc32.h"

_Static_assert(QP_CHUNK_MAX + 16 <= QP_MAX_PAYLOAD, "a chunk body must fit a frame");

/* ---- replies */

static void send_body(qp_device_t *d, uint8_t op, const qp_body_t *b) {
  uint8_t *p = qp_link_tx_payload(&d->link);
  uint32_t n;
  if (!p) return; /* cannot happen: the link delivers only when a slot is free */
  n = qp_body_encode(op, b, p, QP_MAX_PAYLOAD);
  if (n) qp_link_tx_commit(&d->link, op, (uint16_t)n);
}

static void send_error(qp_device_t *d, uint8_t op, uint8_t code, int has_detail, uint32_t detail) {
  qp_body_t b;
  qp_body_clear(&b);
  qp_body_set_u(&b, QP_K_ERROR_CODE, code);
  qp_body_set_u(&b, QP_K_ERROR_OP, op);
  if (has_detail) qp_body_set_u(&b, QP_K_ERROR_DETAIL, detail);
  send_body(d, QP_OP_ERROR, &b);
}

static void send_ok(qp_device_t *d, uint8_t op, int has_value, uint32_t value) {
  qp_body_t b;
  qp_body_clear(&b);
  qp_body_set_u(&b, QP_K_OK_OP, op);
  if (has_value) qp_body_set_u(&b, QP_K_OK_VALUE, value);
  send_body(d, QP_OP_OK, &b);
}

static uint32_t str_len(const char *s) {
  uint32_t n = 0;
  while (s && s[n] && n < QP_MAX_STR) n++;
  return n;
}

/* Sets consecutive integer fields first_key, first_key + 1, ... (smaller code than one call each). */
static void set_run(qp_body_t *b, uint8_t first_key, const uint32_t *v, uint8_t n) {
  while (n--) qp_body_set_u(b, first_key++, *v++);
}

static void send_info(qp_device_t *d) {
  const qp_app_t *a = d->app;
  qp_body_t b;
  uint32_t ints[] = {a->clock_hz, a->stage_capacity, a->input_capacity, QP_CHUNK_MAX, a->set_baud ? a->max_baud : 0,
                     d->now - d->boot_ms, d->model_size, d->model_crc};
  _Static_assert(QP_K_INFO_STAGE_CAPACITY == QP_K_INFO_CLOCK_HZ + 1 && QP_K_INFO_MODEL_CRC == QP_K_INFO_CLOCK_HZ + 7,
                 "INFO integer keys are consecutive");
  uint32_t stored[3];
  _Static_assert(QP_K_INFO_STORED_SIZE == QP_K_INFO_MODEL_CRC + 1 && QP_K_INFO_STORED_SEQ == QP_K_INFO_STORED_SIZE + 2,
                 "INFO stored_* keys are consecutive, after model_crc");
  qp_body_clear(&b);
  qp_body_set_u(&b, QP_K_INFO_VERSION, QP_DEVICE_VERSION);
  qp_body_set_bytes(&b, QP_K_INFO_DEVICE, a->device_name, str_len(a->device_name));
  qp_body_set_bytes(&b, QP_K_INFO_FIRMWARE, a->firmware, str_len(a->firmware));
  set_run(&b, QP_K_INFO_CLOCK_HZ, ints, d->model_valid ? 8 : 6);
  if (a->stored && a->stored(a->ctx, stored)) set_run(&b, QP_K_INFO_STORED_SIZE, stored, 3);
  send_body(d, QP_OP_INFO, &b);
}

static void send_stats(qp_device_t *d) {
  qp_body_t b;
  uint32_t extra[] = {d->loads, d->runs, d->now - d->boot_ms};
  _Static_assert(QP_K_STATS_REPLY_RX_FRAMES == QP_LS_RX_FRAMES && QP_K_STATS_REPLY_RX_BAD == QP_LS_RX_BAD &&
                     QP_K_STATS_REPLY_TX_RETX == QP_LS_TX_RETX && QP_K_STATS_REPLY_NAK_RX == QP_LS_NAK_RX &&
                     QP_K_STATS_REPLY_LOADS == QP_LS_COUNT && QP_K_STATS_REPLY_UPTIME_MS == QP_LS_COUNT + 2,
                 "STATS_REPLY keys follow the link counters, then loads, runs, uptime");
  uint64_t c = d->app->cycles ? d->app->cycles(d->app->ctx) : 0;
  uint32_t counters[] = {(uint32_t)c, (uint32_t)(c >> 32), d->link.rx_bytes};
  _Static_assert(QP_K_STATS_REPLY_CYCLES == QP_K_STATS_REPLY_UPTIME_MS + 1 &&
                     QP_K_STATS_REPLY_RX_BYTES == QP_K_STATS_REPLY_CYCLES + 2,
                 "STATS_REPLY: cycles, cycles_hi, rx_bytes follow uptime");
  qp_body_clear(&b);
  set_run(&b, QP_K_STATS_REPLY_RX_FRAMES, d->link.stats, QP_LS_COUNT);
  set_run(&b, QP_K_STATS_REPLY_LOADS, extra, 3);
  if (d->app->cycles) set_run(&b, QP_K_STATS_REPLY_CYCLES, counters, 2);
  qp_body_set_u(&b, QP_K_STATS_REPLY_RX_BYTES, counters[2]);
  if (d->app->has_storage) qp_body_set_u(&b, QP_K_STATS_REPLY_RESTORE_CYCLES, d->app->restore_cycles);
  send_body(d, QP_OP_STATS_REPLY, &b);
}

/* ---- LOAD */

static void load_begin(qp_device_t *d, const qp_body_t *b) {
  uint32_t size = b->v[QP_K_LOAD_BEGIN_SIZE].u, crc = b->v[QP_K_LOAD_BEGIN_CRC].u;
  int resume = b->v[QP_K_LOAD_BEGIN_RESUME].u != 0;
  qp_body_t r;
  if (size > d->app->stage_capacity) {
    send_error(d, QP_OP_LOAD_BEGIN, QP_E_TOO_LARGE, 1, d->app->stage_capacity);
    return;
  }
  if (!(resume && d->load_open && !d->load_err && size == d->load_size && crc == d->load_crc)) {
    d->load_size = size;
    d->load_crc = crc;
    d->stage_have = 0;
  }
  d->load_open = 1;
  d->load_err = 0;
  qp_body_clear(&r);
  qp_body_set_u(&r, QP_K_LOAD_READY_HAVE, d->stage_have);
  qp_body_set_u(&r, QP_K_LOAD_READY_CHUNK_MAX, QP_CHUNK_MAX);
  qp_body_set_u(&r, QP_K_LOAD_READY_ACTIVE, d->model_valid && d->model_size == size && d->model_crc == crc);
  send_body(d, QP_OP_LOAD_READY, &r);
}

/* Chunk failures stick (LOAD_END reports them) and are answered once, not once per frame in flight. */
static void chunk_fail(qp_device_t *d, uint8_t *err, uint8_t op, uint8_t code, uint32_t detail) {
  if (*err) return;
  *err = code;
  send_error(d, op, code, 1, detail);
}

static void load_chunk(qp_device_t *d, const qp_body_t *b) {
  uint32_t off = b->v[QP_K_LOAD_CHUNK_OFF].u, n = b->v[QP_K_LOAD_CHUNK_DATA].u;
  if (d->load_err) return;
  if (!d->load_open) chunk_fail(d, &d->load_err, QP_OP_LOAD_CHUNK, QP_E_BAD_STATE, 0);
  else if (off != d->stage_have) chunk_fail(d, &d->load_err, QP_OP_LOAD_CHUNK, QP_E_BAD_OFFSET, d->stage_have);
  else if (n > d->load_size - off) chunk_fail(d, &d->load_err, QP_OP_LOAD_CHUNK, QP_E_TOO_LARGE, d->load_size);
  else if (d->app->stage_write(d->app->ctx, off, b->v[QP_K_LOAD_CHUNK_DATA].bytes, n))
    chunk_fail(d, &d->load_err, QP_OP_LOAD_CHUNK, QP_E_STORAGE, off);
  else d->stage_have += n;
}

static void load_end(qp_device_t *d, const qp_body_t *b) {
  if (!d->load_open) send_error(d, QP_OP_LOAD_END, QP_E_BAD_STATE, 0, 0);
  else if (d->load_err) send_error(d, QP_OP_LOAD_END, d->load_err, 0, 0);
  else if (b->v[QP_K_LOAD_END_SIZE].u != d->load_size) send_error(d, QP_OP_LOAD_END, QP_E_BAD_BODY, 1, d->load_size);
  else if (d->stage_have != d->load_size) send_error(d, QP_OP_LOAD_END, QP_E_INCOMPLETE, 1, d->stage_have);
  else {
    d->state = QP_ST_VERIFY;
    d->verify_off = 0;
    d->verify_crc = 0;
    if (d->app->commit_step && d->app->commit_verifies) {
      d->verify_off = d->load_size; /* the commit reads the stored blob back instead */
      d->verify_crc = d->load_crc;
    }
  }
}

static void commit_done(qp_device_t *d);

/* Reads the staging area back a step at a time; at the end commits only a matching blob. */
static void verify_step(qp_device_t *d) {
  uint32_t words[16]; /* word aligned: the app may store words, the CRC reads words */
  uint8_t *buf = (uint8_t *)words;
  uint32_t budget = QP_DEVICE_VERIFY_STEP;
  while (budget && d->verify_off < d->load_size) {
    uint32_t n = d->load_size - d->verify_off;
    if (n > sizeof words) n = sizeof words;
    if (n > budget) n = budget;
    if (d->app->stage_read(d->app->ctx, d->verify_off, buf, n)) {
      d->state = QP_ST_IDLE;
      d->load_open = 0;
      send_error(d, QP_OP_LOAD_END, QP_E_STORAGE, 1, d->verify_off);
      return;
    }
    d->verify_crc = qp_crc32_bulk(d->verify_crc, buf, n);
    d->verify_off += n;
    budget -= n;
  }
  if (d->verify_off < d->load_size || !qp_link_tx_room(&d->link)) return;
  d->state = QP_ST_IDLE;
  d->load_open = 0; /* the staging area is consumed either way */
  d->stage_have = 0;
  if (d->verify_crc != d->load_crc) {
    send_error(d, QP_OP_LOAD_END, QP_E_CRC_MISMATCH, 1, d->verify_crc);
    return;
  }
  if (d->app->commit(d->app->ctx, d->load_size, d->load_crc)) {
    send_error(d, QP_OP_LOAD_END, QP_E_COMMIT_FAILED, 0, 0);
    return;
  }
  if (d->app->commit_step) {
    d->state = QP_ST_COMMIT;
    d->commit_quiet = 0;
    return;
  }
  commit_done(d);
}

/* Steps a commit the app finishes in pieces; the reply waits for a free transmit slot. */
static void commit_poll(qp_device_t *d) {
  int rc;
  uint32_t found = 0;
  if (!qp_link_tx_room(&d->link)) return;
  rc = d->app->commit_step(d->app->ctx, &found);
  if (rc == QP_PENDING) return;
  d->state = QP_ST_IDLE;
  if (rc) {
    if (d->commit_quiet) d->commit_quiet = 0;
    else if (rc == QP_CRC_BAD) send_error(d, QP_OP_LOAD_END, QP_E_CRC_MISMATCH, 1, found);
    else send_error(d, QP_OP_LOAD_END, QP_E_COMMIT_FAILED, 1, (uint32_t)rc);
    return;
  }
  commit_done(d);
}

static void commit_done(qp_device_t *d) {
  qp_body_t r;
  d->model_valid = 1;
  d->model_size = d->load_size;
  d->model_crc = d->load_crc;
  d->loads++;
  if (d->commit_quiet) {
    d->commit_quiet = 0;
    return;
  }
  qp_body_clear(&r);
  qp_body_set_u(&r, QP_K_LOAD_DONE_SIZE, d->model_size);
  qp_body_set_u(&r, QP_K_LOAD_DONE_CRC, d->model_crc);
  send_body(d, QP_OP_LOAD_DONE, &r);
}

/* ---- RUN */

static void input_chunk(qp_device_t *d, const qp_body_t *b) {
  uint32_t off = b->v[QP_K_INPUT_CHUNK_OFF].u, n = b->v[QP_K_INPUT_CHUNK_DATA].u;
  if (off == 0) {
    d->input_have = 0;
    d->input_err = 0;
  }
  if (d->input_err) return;
  if (off != d->input_have) chunk_fail(d, &d->input_err, QP_OP_INPUT_CHUNK, QP_E_BAD_OFFSET, d->input_have);
  else if (n > d->app->input_capacity - off)
    chunk_fail(d, &d->input_err, QP_OP_INPUT_CHUNK, QP_E_TOO_LARGE, d->app->input_capacity);
  else if (d->app->input_write(d->app->ctx, off, b->v[QP_K_INPUT_CHUNK_DATA].bytes, n))
    chunk_fail(d, &d->input_err, QP_OP_INPUT_CHUNK, QP_E_STORAGE, off);
  else d->input_have += n;
}

static void run(qp_device_t *d, const qp_body_t *b) {
  uint32_t in_len = b->v[QP_K_RUN_IN_LEN].u;
  int rc;
  if (!d->model_valid) send_error(d, QP_OP_RUN, QP_E_NO_MODEL, 0, 0);
  else if (d->input_err) send_error(d, QP_OP_RUN, d->input_err, 0, 0);
  else if (in_len != d->input_have) send_error(d, QP_OP_RUN, QP_E_INCOMPLETE, 1, d->input_have);
  else {
    memset(&d->run, 0, sizeof d->run);
    {
      const qp_val_t *lv = &b->v[QP_K_RUN_LAYOUT];
      qp_run_args_t a;
      a.in_len = in_len;
      a.layout = lv->present ? lv->words : 0;
      a.n_layout = lv->present ? lv->u : 0;
      a.max_cycles = b->v[QP_K_RUN_MAX_CYCLES].present ? b->v[QP_K_RUN_MAX_CYCLES].u : 0;
      rc = d->app->run(d->app->ctx, &a, &d->run);
    }
    d->input_have = 0;
    if (rc) {
      send_error(d, QP_OP_RUN, QP_E_RUN_FAILED, 1, (uint32_t)rc);
      return;
    }
    if (d->run.n_counters > QP_MAX_COUNTERS) d->run.n_counters = QP_MAX_COUNTERS;
    d->runs++;
    d->state = QP_ST_STREAM;
    d->out_off = 0;
    d->out_crc = 0;
    d->out_chunk = QP_CHUNK_MAX;
    if (b->v[QP_K_RUN_OUT_CHUNK].present && b->v[QP_K_RUN_OUT_CHUNK].u && b->v[QP_K_RUN_OUT_CHUNK].u < QP_CHUNK_MAX)
      d->out_chunk = b->v[QP_K_RUN_OUT_CHUNK].u;
  }
}

/* Fills free transmit slots with RUN_OUTPUT pieces read straight into the frame, then RUN_DONE. */
static void stream_step(qp_device_t *d) {
  while (d->state == QP_ST_STREAM && qp_link_tx_room(&d->link)) {
    uint8_t *p = qp_link_tx_payload(&d->link);
    if (d->out_off < d->run.out_len) {
      mp_writer_t w;
      uint8_t *data;
      uint32_t n = d->run.out_len - d->out_off;
      if (n > d->out_chunk) n = d->out_chunk;
      mp_writer_init(&w, p, QP_MAX_PAYLOAD);
      mp_write_map(&w, 2);
      mp_write_uint(&w, QP_K_RUN_OUTPUT_OFF);
      mp_write_uint(&w, d->out_off);
      mp_write_uint(&w, QP_K_RUN_OUTPUT_DATA);
      data = mp_write_bin_reserve(&w, n);
      if (!data || d->app->output_read(d->app->ctx, d->out_off, data, n)) {
        d->state = QP_ST_IDLE;
        send_error(d, QP_OP_RUN, QP_E_STORAGE, 1, d->out_off);
        return;
      }
      d->out_crc = qp_crc32_bulk(d->out_crc, data, n);
      d->out_off += n;
      qp_link_tx_commit(&d->link, QP_OP_RUN_OUTPUT, (uint16_t)w.len);
    } else {
      qp_body_t r;
      qp_body_clear(&r);
      qp_body_set_u(&r, QP_K_RUN_DONE_OUT_LEN, d->run.out_len);
      qp_body_set_u(&r, QP_K_RUN_DONE_OUT_CRC, d->out_crc);
      qp_body_set_u(&r, QP_K_RUN_DONE_CYCLES, d->run.cycles);
      qp_body_set_words(&r, QP_K_RUN_DONE_COUNTERS, d->run.counters, d->run.n_counters);
      send_body(d, QP_OP_RUN_DONE, &r);
      d->state = QP_ST_IDLE;
    }
  }
}

/* ---- SET_BAUD / RESET: reply first, act once the reply has left the wire */

static void schedule(qp_device_t *d, uint8_t op, uint32_t arg) {
  send_ok(d, op, op == QP_OP_SET_BAUD, arg);
  d->state = QP_ST_ACTION;
  d->action_op = op;
  d->action_arg = arg;
  d->action_armed = 0;
}

static void switch_rate(qp_device_t *d, uint32_t baud) {
  d->app->set_baud(d->app->ctx, baud);
  d->baud = baud;
  qp_link_set_rate(&d->link, baud);
}

/* A switched rate stays once the host opened a session at it (a SYNC with a new nonce: any other frame
 * may have been received at the old rate just before the switch); otherwise the previous rate comes
 * back, so a host that could not follow (or never saw the OK) finds the device where it was. */
static void baud_step(qp_device_t *d) {
  if (d->link.nonce != d->baud_nonce) d->baud_trial = 0;
  else if ((int32_t)(d->now - d->baud_revert_at) >= 0) {
    d->baud_trial = 0;
    switch_rate(d, d->baud_prev);
  }
}

static void action_step(qp_device_t *d) {
  if (qp_link_tx_busy(&d->link)) return;
  if (!d->action_armed) {
    d->action_armed = 1;
    d->action_at = d->now + QP_DEVICE_ACTION_DELAY_MS;
    return;
  }
  if ((int32_t)(d->now - d->action_at) < 0) return;
  d->state = QP_ST_IDLE;
  if (d->action_op == QP_OP_SET_BAUD) {
    /* On trial until the host opens a session at the new rate (baud_step); an unknown old rate (0)
     * leaves nothing to return to. */
    d->baud_trial = d->baud != 0;
    d->baud_prev = d->baud;
    d->baud_nonce = d->link.nonce;
    d->baud_revert_at = d->now + QP_DEVICE_BAUD_REVERT_MS;
    switch_rate(d, d->action_arg);
  } else if (d->app->reset) d->app->reset(d->app->ctx); /* may re-initialise d: touch nothing after it */
}

/* ---- dispatch */

static void deliver(void *ctx, uint8_t op, const uint8_t *payload, uint16_t len) {
  qp_device_t *d = (qp_device_t *)ctx;
  qp_body_t b;
  int rc = qp_body_decode(op, payload, len, &b);
  if (rc == QP_E_UNKNOWN_OP || qp_message_dir(op) != QP_DIR_H2D) {
    send_error(d, op, QP_E_UNKNOWN_OP, 0, 0);
    return;
  }
  if (rc) {
    send_error(d, op, QP_E_BAD_BODY, 0, 0);
    return;
  }
  if (d->state != QP_ST_IDLE && op != QP_OP_HELLO && op != QP_OP_STATS) {
    send_error(d, op, QP_E_BUSY, 0, 0);
    return;
  }
  switch (op) {
    case QP_OP_HELLO:
      send_info(d);
      break;
    case QP_OP_STATS:
      send_stats(d);
      break;
    case QP_OP_LOAD_BEGIN:
      load_begin(d, &b);
      break;
    case QP_OP_LOAD_CHUNK:
      load_chunk(d, &b);
      break;
    case QP_OP_LOAD_END:
      load_end(d, &b);
      break;
    case QP_OP_INPUT_CHUNK:
      input_chunk(d, &b);
      break;
    case QP_OP_RUN:
      run(d, &b);
      break;
    case QP_OP_RESET:
      schedule(d, op, 0);
      break;
    case QP_OP_SET_BAUD: {
      uint32_t baud = b.v[QP_K_SET_BAUD_BAUD].u, max = d->app->set_baud ? d->app->max_baud : 0;
      if (baud < QP_MIN_BAUD || baud > max) send_error(d, op, QP_E_BAD_BAUD, 1, max);
      else schedule(d, op, baud);
      break;
    }
    default:
      send_error(d, op, QP_E_UNKNOWN_OP, 0, 0);
      break;
  }
}

/* A new session (or a dead link) drops every reply in flight: abandon streaming and pending actions.
 * The staging area is kept, so an interrupted upload can resume. */
static void session_reset(void *ctx) {
  qp_device_t *d = (qp_device_t *)ctx;
  /* A commit in progress finishes (the blob verified; stopping half-way would only waste the work),
   * silently: its reply belonged to the old session. */
  if (d->state == QP_ST_COMMIT) d->commit_quiet = 1;
  else d->state = QP_ST_IDLE;
}

static void tx_byte(void *ctx, uint8_t b) {
  qp_device_t *d = (qp_device_t *)ctx;
  d->app->tx_byte(d->app->ctx, b);
}

static const qp_link_ops_t k_link_ops = {deliver, session_reset, tx_byte};

void proto_init(qp_device_t *d, const qp_app_t *app, uint32_t now_ms) {
  memset(d, 0, sizeof *d);
  d->app = app;
  d->now = d->boot_ms = now_ms;
  qp_link_init(&d->link, &k_link_ops, d, QP_DEVICE_VERSION);
  d->baud = app->baud;
  qp_link_set_rate(&d->link, app->baud);
}

void proto_set_model(qp_device_t *d, uint32_t size, uint32_t crc) {
  d->model_valid = 1;
  d->model_size = size;
  d->model_crc = crc;
}

void proto_clear_model(qp_device_t *d) { d->model_valid = 0; }

void proto_feed_byte(qp_device_t *d, uint8_t b) { qp_link_rx_byte(&d->link, b); }

uint8_t *proto_rx_buffer(qp_device_t *d) { return qp_link_rx_buffer(&d->link); }

void proto_rx_frame(qp_device_t *d, uint32_t n, int ok) { qp_link_rx_frame(&d->link, n, ok); }

void proto_poll(qp_device_t *d, uint32_t now_ms) {
  uint32_t budget = d->app->tx_space ? d->app->tx_space(d->app->ctx) : QP_TX_BURST;
  d->now = now_ms;
  if (d->state == QP_ST_VERIFY) verify_step(d);
  if (d->state == QP_ST_COMMIT) commit_poll(d);
  if (d->state == QP_ST_STREAM) stream_step(d);
  qp_link_poll(&d->link, now_ms, budget);
  if (d->state == QP_ST_ACTION) action_step(d);
  if (d->baud_trial) baud_step(d);
}
