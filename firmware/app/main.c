/*
 * The device application: the quart protocol (firmware/protocol/) on the SoC UART.
 *
 * Runs from RAM (linked by `make boot`, started by the boot ROM loader, firmware/loader/). Model memory
 * is the RAM model area (SOC_RAM_MODEL_SIZE bytes after the app area), split into two equal slots: LOAD
 * writes the slot that is not active, LOAD_END verifies it and commit() swaps the slots, so a failed or
 * interrupted load leaves the active model untouched. RUN answers RUN_FAILED with APP_ST_RUN_UNSUPPORTED
 * until the accelerator is integrated; input frames are accepted and discarded.
 */
#include <stdint.h>
#include <string.h>

#include "app_status.h"
#include "mmio.h"
#include "proto.h"
#include "quart_isa.h"
#include "soc_map.h"
#include "sys.h"
#include "timer.h"
#include "uart.h"

#define MODEL_BASE (SOC_RAM_BASE + SOC_RAM_APP_SIZE)
#define SLOT_SIZE (SOC_RAM_MODEL_SIZE / 2u)
#define INPUT_CAPACITY (64u * 1024u)
#define CYCLES_PER_MS (SOC_CLOCK_HZ / 1000u)
/* The iCEBreaker's FTDI tops out at 3 Mbaud (UART divisor 8 at 24 MHz). */
#define APP_MAX_BAUD 3000000u

static qp_device_t dev;
static uint32_t active_slot; /* 0 or 1; the other one stages */

static uint8_t *slot(uint32_t i) { return (uint8_t *)(MODEL_BASE + i * SLOT_SIZE); }

/* Milliseconds since boot, wrapping at 2^32: accumulates cycle deltas (call more often than 2^32 cycles). */
static uint32_t ms_now, ms_last_cycle, ms_frac;
static uint32_t now_ms(void) {
  uint32_t c = cycles32();
  ms_frac += c - ms_last_cycle;
  ms_last_cycle = c;
  if (ms_frac >= CYCLES_PER_MS) {
    uint32_t whole = ms_frac / CYCLES_PER_MS;
    ms_now += whole;
    ms_frac -= whole * CYCLES_PER_MS;
  }
  return ms_now;
}

static void tx_byte(void *ctx, uint8_t b) {
  (void)ctx;
  uart_putc(b);
}

static uint32_t tx_space(void *ctx) {
  (void)ctx;
  uint32_t queued = (mmio_read(SOC_UART_LEVELS_ADDR) & SOC_UART_LEVELS_TX_MASK) >> SOC_UART_LEVELS_TX_BIT;
  return queued >= SOC_UART_TX_FIFO_DEPTH ? 0 : SOC_UART_TX_FIFO_DEPTH - queued;
}

/* memcpy for chunk data: its place in a received frame is rarely word-aligned with its place in the
 * slot, where the library's memcpy falls back to one byte per loop turn. Four per turn nearly halve the
 * cost per byte, and the copy of a 1 KiB chunk must fit in the time the RX FIFO buys at 3 Mbaud. */
static void copy_bytes(uint8_t *d, const uint8_t *s, uint32_t n) {
  if ((((uintptr_t)d ^ (uintptr_t)s) & 3u) == 0) {
    memcpy(d, s, n);
    return;
  }
  for (; n >= 4; n -= 4, d += 4, s += 4) {
    uint8_t a = s[0], b = s[1], c = s[2], e = s[3];
    d[0] = a;
    d[1] = b;
    d[2] = c;
    d[3] = e;
  }
  while (n--) *d++ = *s++;
}

static int stage_write(void *ctx, uint32_t off, const uint8_t *p, uint32_t n) {
  (void)ctx;
  if (off > SLOT_SIZE || n > SLOT_SIZE - off) return APP_ST_OUT_OF_RANGE;
  copy_bytes(slot(active_slot ^ 1u) + off, p, n);
  return 0;
}

static int stage_read(void *ctx, uint32_t off, uint8_t *p, uint32_t n) {
  (void)ctx;
  if (off > SLOT_SIZE || n > SLOT_SIZE - off) return APP_ST_OUT_OF_RANGE;
  memcpy(p, slot(active_slot ^ 1u) + off, n);
  return 0;
}

static int commit(void *ctx, uint32_t size, uint32_t crc) {
  (void)ctx;
  (void)crc;
  if (size > SLOT_SIZE) return APP_ST_OUT_OF_RANGE;
  active_slot ^= 1u;
  return 0;
}

static int input_write(void *ctx, uint32_t off, const uint8_t *p, uint32_t n) {
  (void)ctx;
  (void)off;
  (void)p;
  (void)n;
  return 0; /* no accelerator to feed yet: accepted and discarded */
}

static int run(void *ctx, uint32_t in_len, qp_run_result_t *res) {
  (void)ctx;
  (void)in_len;
  (void)res;
  return APP_ST_RUN_UNSUPPORTED;
}

static int output_read(void *ctx, uint32_t off, uint8_t *p, uint32_t n) {
  (void)ctx;
  (void)off;
  (void)p;
  (void)n;
  return APP_ST_OUT_OF_RANGE;
}

static void set_baud(void *ctx, uint32_t baud) {
  (void)ctx;
  uart_flush();
  uart_set_baud(baud);
}

static uint64_t cycle_count(void *ctx) {
  (void)ctx;
  return cycles();
}

static void reset(void *ctx) {
  (void)ctx;
  uart_flush();
  sys_reset();
}

/* The frame being received goes into a free receive slot of the link. Without one, rx_buf = rx_end =
 * &no_slot: its bytes are only counted and the link reports the frame as dropped. */
static uint8_t no_slot;
static uint8_t *rx_buf = &no_slot, *rx_at = &no_slot, *rx_end = &no_slot;
static uint32_t rx_over; /* bytes that found no room */

static void rx_next_buffer(void) {
  uint8_t *b = proto_rx_buffer(&dev);
  rx_buf = rx_at = b ? b : &no_slot;
  rx_end = b ? b + QP_FRAME_MAX : &no_slot;
  rx_over = 0;
}

/* Drains the RX FIFO. The per-byte path is what sets the highest rate the device keeps up with: one
 * load, one compare (a value below 256 is a frame byte: EMPTY is bit 31, MARK bit 8), one store, with
 * the write pointer kept in a register. */
static void receive_frames(void) {
  volatile uint32_t *rxdata = (volatile uint32_t *)SOC_UART_RXDATA_ADDR;
  uint8_t *at, *end;
  if (rx_buf == &no_slot && rx_over == 0) rx_next_buffer(); /* a slot may have been freed meanwhile */
  at = rx_at;
  end = rx_end;
  for (;;) {
    uint32_t v = *rxdata;
    if (v < 256u) {
      if (at != end) *at++ = (uint8_t)v;
      else rx_over++;
      continue;
    }
    if (v & SOC_UART_RXDATA_EMPTY_MASK) break;
    proto_rx_frame(&dev, (uint32_t)(at - rx_buf) + rx_over, (int)(v & 1u));
    rx_next_buffer();
    at = rx_at;
    end = rx_end;
  }
  rx_at = at;
}

/* "fw1 isa1.c0629c75 map.a106627c" (+ "!" when the hardware map hash differs from the build's). */
static char firmware_id[32];
static char *put_hex(char *p, uint32_t v) {
  for (int s = 28; s >= 0; s -= 4) *p++ = "0123456789abcdef"[(v >> s) & 15u];
  return p;
}
static char *put_str(char *p, const char *s) {
  while (*s) *p++ = *s++;
  return p;
}
static void make_firmware_id(void) {
  char *p = firmware_id;
  p = put_str(p, "fw");
  *p++ = (char)('0' + APP_FIRMWARE_VERSION);
  p = put_str(p, " isa");
  *p++ = (char)('0' + QI_ISA_VERSION % 10u);
  *p++ = '.';
  p = put_hex(p, QI_ISA_HASH);
  p = put_str(p, " map.");
  p = put_hex(p, SOC_MAP_HASH);
  if (sys_map_hash() != SOC_MAP_HASH) *p++ = '!';
  *p = 0;
}

static qp_app_t app = {
    .ctx = 0,
    .device_name = "quart-up5k",
    .firmware = firmware_id,
    .clock_hz = SOC_CLOCK_HZ,
    .stage_capacity = SLOT_SIZE,
    .input_capacity = INPUT_CAPACITY,
    .max_baud = APP_MAX_BAUD,
    .baud = 0,
    .tx_byte = tx_byte,
    .tx_space = tx_space,
    .stage_write = stage_write,
    .stage_read = stage_read,
    .commit = commit,
    .input_write = input_write,
    .run = run,
    .output_read = output_read,
    .set_baud = set_baud,
    .reset = reset,
    .cycles = cycle_count,
};

int main(void) {
  sys_leds(SOC_SYSCTL_LEDS_GREEN_MASK);
  make_firmware_id();
  app.baud = SOC_CLOCK_HZ / (mmio_read(SOC_UART_DIVISOR_ADDR) & SOC_UART_DIVISOR_VALUE_MASK);
  ms_last_cycle = cycles32();
  proto_init(&dev, &app, now_ms());
  /* The UART removes COBS and checks each frame's CRC-32 (CTRL.FRAMED): per byte the CPU only stores
   * what arrived, which keeps up with 3 Mbaud (80 cycles a byte) where the software path could not. */
  {
    int c; /* bytes that arrived during boot are raw: the software parser takes them */
    while ((c = uart_getc_nonblock()) >= 0) proto_feed_byte(&dev, (uint8_t)c);
  }
  mmio_write(SOC_UART_CTRL_ADDR, SOC_UART_CTRL_FRAMED_MASK);
  for (;;) {
    receive_frames();
    proto_poll(&dev, now_ms());
  }
}
