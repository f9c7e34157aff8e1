/*
 * quart device protocol: command dispatcher on top of the link layer (qp_link.h).
 *
 * Drive it from the main loop:
 *
 *   proto_init(&dev, &app, now_ms());
 *   for (;;) {
 *     int c;
 *     while ((c = uart_getc_nonblock()) >= 0) proto_feed_byte(&dev, (uint8_t)c);
 *     proto_poll(&dev, now_ms());
 *   }
 *
 * now_ms is a free-running millisecond counter that wraps at 2^32 (accumulate cycles() deltas; do not
 * divide a 32-bit cycle counter, whose quotient wraps early).
 *
 * The application provides storage and compute through qp_app_t callbacks (0 = success, anything else
 * is a firmware status reported in ERROR.detail). Callbacks must return promptly compared with the UART
 * receive FIFO (512 bytes = 1.7 ms at 3 Mbaud); `run` may take longer because the host sends nothing
 * while it waits for a run. No dynamic allocation; the state lives in qp_device_t (see sizeof).
 *
 * LOAD: LOAD_BEGIN(size, crc), LOAD_CHUNK... (in order, written to the staging area), LOAD_END, which
 * reads the staging area back, checks its CRC-32 and only then calls commit(). A failed or interrupted
 * load never touches the active model; LOAD_BEGIN with resume=true and the same (size, crc) answers how
 * many bytes are already staged.
 */
#ifndef QP_PROTO_H
#define QP_PROTO_H

#include <stdint.h>

#include "qp_link.h"
#include "quart_protocol.h"

/* The version this device speaks; tests build a second binary with another value. */
#ifndef QP_DEVICE_VERSION
#define QP_DEVICE_VERSION QP_VERSION
#endif

typedef struct {
  uint32_t out_len;
  uint32_t cycles;
  uint32_t counters[QP_MAX_COUNTERS];
  uint8_t n_counters;
} qp_run_result_t;

/* What RUN asked for. */
typedef struct {
  uint32_t in_len;          /* input frame bytes (equal to the bytes uploaded) */
  const uint32_t *layout;   /* RUN.layout, n_layout words (NULL and 0 when absent) */
  uint32_t n_layout;
  uint32_t max_cycles;      /* RUN.max_cycles: the run's watchdog in device cycles (0: the app's default) */
} qp_run_args_t;

typedef struct {
  void *ctx;
  const char *device_name; /* INFO.device, at most QP_MAX_STR bytes are sent */
  const char *firmware;    /* INFO.firmware */
  uint32_t clock_hz;       /* clock of the RUN cycle counters */
  uint32_t stage_capacity; /* largest blob */
  uint32_t input_capacity; /* largest input frame */
  uint32_t max_baud;       /* highest SET_BAUD rate, 0 if set_baud is NULL */
  uint32_t baud;           /* line rate at boot in bit/s (0: unknown); sets the retransmission timeout */
  uint32_t restore_cycles; /* STATS_REPLY.restore_cycles: boot time spent activating a stored model */
  uint8_t has_storage;     /* non-volatile model storage: restore_cycles is reported */

  void (*tx_byte)(void *ctx, uint8_t b);
  /* Bytes tx_byte can take without blocking; NULL: QP_TX_BURST per poll. */
  uint32_t (*tx_space)(void *ctx);

  int (*stage_write)(void *ctx, uint32_t off, const uint8_t *p, uint32_t n);
  int (*stage_read)(void *ctx, uint32_t off, uint8_t *p, uint32_t n);
  /* Make the verified staging area the active model (e.g. swap two buffers). With commit_step, only
   * start it: commit_step is then called from proto_poll until it returns something else than
   * QP_PENDING (0: the staged blob is active; else a status, and the previous model stays active), so
   * a long commit (programming flash) keeps the UART served. */
  int (*commit)(void *ctx, uint32_t size, uint32_t crc);
  /* QP_CRC_BAD: the blob read back from where it was stored has another CRC-32 (*found_crc), which LOAD_END
   * reports as CRC_MISMATCH. */
  int (*commit_step)(void *ctx, uint32_t *found_crc);
  /* commit_step reads the stored blob back and checks its CRC-32 itself (a flash written from the staging
   * area): LOAD_END then skips reading the staging area back, which would check the same bytes twice. */
  uint8_t commit_verifies;
  /* The model in non-volatile storage (INFO.stored_*): fills size, crc, seq and returns 1, or 0 for none.
   * May be NULL. */
  int (*stored)(void *ctx, uint32_t out[3]);

  int (*input_write)(void *ctx, uint32_t off, const uint8_t *p, uint32_t n);
  /* Runs the active model on the first in_len input bytes; fills res (out_len, cycles, counters). */
  int (*run)(void *ctx, const qp_run_args_t *args, qp_run_result_t *res);
  int (*output_read)(void *ctx, uint32_t off, uint8_t *p, uint32_t n);

  /* Called once the OK reply has left the wire (plus QP_DEVICE_ACTION_DELAY_MS). May be NULL. */
  void (*set_baud)(void *ctx, uint32_t baud);
  void (*reset)(void *ctx);
  /* Clock cycles since reset, for STATS_REPLY.cycles. May be NULL. */
  uint64_t (*cycles)(void *ctx);
} qp_app_t;

/* Bytes sent per proto_poll() when the app gives no tx_space: bounds the time spent in a blocking putc. */
#ifndef QP_TX_BURST
#define QP_TX_BURST 32u
#endif

/* commit_step: not finished yet; the stored blob failed its CRC-32 */
#define QP_PENDING (-1)
#define QP_CRC_BAD (-2)

enum { QP_ST_IDLE, QP_ST_VERIFY, QP_ST_STREAM, QP_ST_ACTION, QP_ST_COMMIT };

typedef struct {
  qp_link_t link;
  const qp_app_t *app;
  uint32_t now, boot_ms;
  uint8_t state;

  uint32_t out_chunk; /* RUN_OUTPUT data size of the current run */

  /* staging area */
  uint8_t load_open, load_err;
  uint32_t load_size, load_crc, stage_have;
  uint32_t verify_off, verify_crc;
  uint8_t commit_quiet; /* the session of the LOAD_END ended during the commit: no reply */

  /* active model */
  uint8_t model_valid;
  uint32_t model_size, model_crc;

  /* input frame and the run being streamed back */
  uint8_t input_err;
  uint32_t input_have;
  qp_run_result_t run;
  uint32_t out_off, out_crc;

  /* SET_BAUD / RESET after the reply */
  uint8_t action_op, action_armed;
  uint32_t action_arg, action_at;

  /* the line rate, and the previous one until the host opens a session at the new rate */
  uint32_t baud, baud_prev, baud_revert_at, baud_nonce;
  uint8_t baud_trial;

  uint32_t loads, runs;
} qp_device_t;

void proto_init(qp_device_t *d, const qp_app_t *app, uint32_t now_ms);
/* Declares a model that is already active at boot (e.g. kept in flash). */
void proto_set_model(qp_device_t *d, uint32_t size, uint32_t crc);
/* Withdraws it (e.g. a stored model that failed its check while being restored). */
void proto_clear_model(qp_device_t *d);
void proto_feed_byte(qp_device_t *d, uint8_t b);
/* For a UART that decodes frames itself: see qp_link_rx_buffer() / qp_link_rx_frame(). */
uint8_t *proto_rx_buffer(qp_device_t *d);
void proto_rx_frame(qp_device_t *d, uint32_t n, int ok);
void proto_poll(qp_device_t *d, uint32_t now_ms);

#endif
