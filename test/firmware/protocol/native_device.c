/*
 * Native device emulator for tests: the real firmware/protocol code behind stdin/stdout.
 *
 * The application side is a stand-in: staging and active model in malloc'd buffers (a real board uses
 * SPRAM or flash), and a "run" that mixes the input with the model so the host can check the bytes.
 * Events go to stderr one per line ("commit <size> <crc>", "set_baud <rate>", "reset") so a test
 * harness can follow them.
 *
 * Options: --stage-capacity N  --input-capacity N  --out-len N (default: the input length)
 *          --commit-file PATH (the active model is written there on every commit)
 *          --verify-rate BYTES_PER_SEC (slow the staging read-back like a small CPU would)
 *          --max-baud N  --clock-hz N  --baud N (line rate at start, for the SET_BAUD revert)
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proto.h"
#include "qp_crc32.h"

typedef struct {
  uint8_t *stage, *model, *input, *output;
  uint32_t stage_cap, input_cap, out_len_opt, model_size;
  uint32_t verify_rate, runs;
  const char *commit_file;
  uint8_t out[1 << 16];
  uint32_t out_n;
  int reset_requested;
} native_t;

static uint32_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

static void flush_out(native_t *n) {
  uint32_t done = 0;
  while (done < n->out_n) {
    ssize_t w = write(1, n->out + done, n->out_n - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      exit(0); /* the host went away */
    }
    done += (uint32_t)w;
  }
  n->out_n = 0;
}

static void tx_byte(void *ctx, uint8_t b) {
  native_t *n = ctx;
  if (n->out_n == sizeof n->out) flush_out(n);
  n->out[n->out_n++] = b;
}

static uint32_t tx_space(void *ctx) {
  native_t *n = ctx;
  return (uint32_t)sizeof n->out - n->out_n;
}

static int stage_write(void *ctx, uint32_t off, const uint8_t *p, uint32_t len) {
  native_t *n = ctx;
  if (off + len > n->stage_cap) return 1;
  memcpy(n->stage + off, p, len);
  return 0;
}

static int stage_read(void *ctx, uint32_t off, uint8_t *p, uint32_t len) {
  native_t *n = ctx;
  if (off + len > n->stage_cap) return 1;
  memcpy(p, n->stage + off, len);
  if (n->verify_rate) {
    uint64_t ns = (uint64_t)len * 1000000000u / n->verify_rate;
    struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
    nanosleep(&ts, 0);
  }
  return 0;
}

static int commit(void *ctx, uint32_t size, uint32_t crc) {
  native_t *n = ctx;
  memcpy(n->model, n->stage, size);
  n->model_size = size;
  if (n->commit_file) {
    FILE *f = fopen(n->commit_file, "wb");
    if (!f || fwrite(n->model, 1, size, f) != size) {
      if (f) fclose(f);
      return 1;
    }
    fclose(f);
  }
  fprintf(stderr, "commit %u %08x\n", size, crc);
  return 0;
}

static int input_write(void *ctx, uint32_t off, const uint8_t *p, uint32_t len) {
  native_t *n = ctx;
  if (off + len > n->input_cap) return 1;
  memcpy(n->input + off, p, len);
  return 0;
}

/* output[i] = input[i mod in_len] + 3 * model[i mod model_size] + i, mod 256 */
static int run(void *ctx, const qp_run_args_t *a, qp_run_result_t *res) {
  native_t *n = ctx;
  uint32_t in_len = a->in_len;
  uint32_t i, out_len = n->out_len_opt ? n->out_len_opt : in_len;
  if (out_len > n->input_cap) return 2;
  for (i = 0; i < out_len; i++)
    n->output[i] = (uint8_t)((in_len ? n->input[i % in_len] : 0) + (n->model_size ? 3 * n->model[i % n->model_size] : 0) + i);
  res->out_len = out_len;
  res->cycles = 1000 + 4 * in_len;
  res->counters[0] = in_len;
  res->counters[1] = n->model_size;
  res->counters[2] = ++n->runs;
  res->n_counters = 3;
  return 0;
}

static int output_read(void *ctx, uint32_t off, uint8_t *p, uint32_t len) {
  native_t *n = ctx;
  memcpy(p, n->output + off, len);
  return 0;
}

static void set_baud(void *ctx, uint32_t baud) {
  (void)ctx;
  fprintf(stderr, "set_baud %u\n", baud);
}

static void reset(void *ctx) {
  native_t *n = ctx;
  n->reset_requested = 1;
  fprintf(stderr, "reset\n");
}

/* Link and dispatcher state on stderr (with --debug, at exit): for diagnosing a stalled session. */
static void dump_state(const qp_device_t *d, uint32_t now) {
  const qp_link_t *l = &d->link;
  unsigned i;
  fprintf(stderr, "state=%u rx_expect=%u tx_base=%u tx_next=%u peer_window=%u rto=%u nak_done=%u in_frame=%u\n", d->state,
          l->rx_expect, l->tx_base, l->tx_next, l->peer_window, l->rto_ms, l->nak_done, l->frx.in_frame);
  fprintf(stderr, "tx_sending=%d enc_active=%u rx_frames=%u rx_bad=%u rx_dup=%u rx_ooo=%u rx_drop=%u tx_retx=%u\n",
          l->tx_sending, l->enc_active, l->stats[QP_LS_RX_FRAMES], l->stats[QP_LS_RX_BAD], l->stats[QP_LS_RX_DUP], l->stats[QP_LS_RX_OOO],
          l->stats[QP_LS_RX_DROP], l->stats[QP_LS_TX_RETX]);
  for (i = 0; i < QP_DEVICE_RX_WINDOW; i++)
    if (l->rx[i].used) fprintf(stderr, "  rx slot %u seq=%u type=0x%02x\n", i, l->rx[i].seq, l->rx[i].buf[0]);
  for (i = 0; i < QP_DEVICE_TX_WINDOW; i++)
    fprintf(stderr, "  tx slot %u state=%u seq=%u retries=%u age=%u\n", i, l->tx[i].state, qp_rd16(l->tx[i].buf + 2),
            l->tx[i].retries, now - l->tx[i].sent_ms);
}

static uint32_t arg_u32(int argc, char **argv, const char *name, uint32_t def) {
  int i;
  for (i = 1; i + 1 < argc; i++)
    if (!strcmp(argv[i], name)) return (uint32_t)strtoul(argv[i + 1], 0, 0);
  return def;
}

static const char *arg_str(int argc, char **argv, const char *name) {
  int i;
  for (i = 1; i + 1 < argc; i++)
    if (!strcmp(argv[i], name)) return argv[i + 1];
  return 0;
}

int main(int argc, char **argv) {
  static native_t n;
  static qp_device_t dev;
  static uint8_t in[1 << 16];
  qp_app_t app;
  setvbuf(stderr, 0, _IOLBF, 0);
  n.stage_cap = arg_u32(argc, argv, "--stage-capacity", 4u << 20);
  n.input_cap = arg_u32(argc, argv, "--input-capacity", 1u << 20);
  n.out_len_opt = arg_u32(argc, argv, "--out-len", 0);
  n.verify_rate = arg_u32(argc, argv, "--verify-rate", 0);
  n.commit_file = arg_str(argc, argv, "--commit-file");
  n.stage = malloc(n.stage_cap);
  n.model = malloc(n.stage_cap);
  n.input = malloc(n.input_cap);
  n.output = malloc(n.input_cap);
  if (!n.stage || !n.model || !n.input || !n.output) return 2;

  memset(&app, 0, sizeof app);
  app.ctx = &n;
  app.device_name = "quart-native";
  app.firmware = "native-test";
  app.clock_hz = arg_u32(argc, argv, "--clock-hz", 24000000u);
  app.stage_capacity = n.stage_cap;
  app.input_capacity = n.input_cap;
  app.max_baud = arg_u32(argc, argv, "--max-baud", 3000000u);
  app.baud = arg_u32(argc, argv, "--baud", 0); /* the line's rate at start; 0: unknown (no SET_BAUD revert) */
  app.tx_byte = tx_byte;
  app.tx_space = tx_space;
  app.stage_write = stage_write;
  app.stage_read = stage_read;
  app.commit = commit;
  app.input_write = input_write;
  app.run = run;
  app.output_read = output_read;
  app.set_baud = set_baud;
  app.reset = reset;
  proto_init(&dev, &app, now_ms());
  fprintf(stderr, "ready rx_window=%u tx_window=%u sizeof=%u\n", (unsigned)QP_DEVICE_RX_WINDOW,
          (unsigned)QP_DEVICE_TX_WINDOW, (unsigned)sizeof dev);

  for (;;) {
    struct pollfd pfd = {0, POLLIN, 0};
    int busy = dev.state != QP_ST_IDLE || qp_link_tx_busy(&dev.link);
    int r = poll(&pfd, 1, busy ? 0 : 1);
    if (r > 0) {
      ssize_t got = read(0, in, sizeof in);
      if (got == 0) break;
      if (got > 0) {
        ssize_t i;
        for (i = 0; i < got; i++) proto_feed_byte(&dev, in[i]);
      } else if (errno != EINTR && errno != EAGAIN) {
        break;
      }
    }
    proto_poll(&dev, now_ms());
    flush_out(&n);
    if (n.reset_requested) { /* a reboot: protocol state is new, the model stays (as if kept in flash) */
      n.reset_requested = 0;
      proto_init(&dev, &app, now_ms());
      if (n.model_size) proto_set_model(&dev, n.model_size, qp_crc32(0, n.model, n.model_size));
    }
  }
  flush_out(&n);
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], "--debug")) dump_state(&dev, now_ms());
  return 0;
}
