/*
 * The device application: the quart protocol (firmware/protocol/) on the SoC UART.
 *
 * Runs from RAM (linked by `make boot`, started by the boot ROM loader, firmware/loader/). Model memory:
 * with the accelerator (ACCEL.ID reads SOC_ACCEL_ID_RESET) two SOC_XMEM_SLOT_SIZE slots in the external memory
 * (XMEM), else the RAM model area split in two. LOAD writes the slot that is not active, LOAD_END verifies
 * it and commit() swaps the slots, so a failed or interrupted load leaves the active model untouched.
 *
 * RUN (fpga/rtl/soc/README.md): commit() parses the blob's header and section table (PROG, WGHT, TABL: the
 * accelerator reads them in place from the slot); the host sends the input and output layouts with RUN
 * (RUN.layout, from the blob's IODS section). run() zeroes the ACT arena in XMEM, writes the input codes
 * (received into an XMEM buffer) at the input layout, starts the core, polls STATUS until DONE, an error
 * or the watchdog (RUN.max_cycles, default RUN_TIMEOUT_CYCLES; then it resets the core: the device stays usable), gathers the output codes into an
 * XMEM buffer that RUN_OUTPUT streams, and reports the core's counters (RUN_COUNTERS below).
 *
 * Persistence (with the QSPI flash, FLASHCTL): at LOAD_END the commit programs the staged blob into the
 * flash slot not holding the stored model (erase, quad page programs) and reads it back through the
 * quad-read window, whose CRC-32 is the whole-blob check; then it writes a commit record last, into the
 * record sector the previous record does not use; only then does the staged XMEM slot become active. Boot
 * takes the newest record whose blob checks out, copies the blob from flash into XMEM slot 0 and
 * activates it. So power lost at any point, an interrupted LOAD or a blob that fails a check leaves the
 * previous model stored and active. The core reads the copy in XMEM: it has no path to the flash, and
 * the PSRAM's timing is the one the icebreaker target models.
 */
#include <stdint.h>
#include <string.h>

#include "app_status.h"
#include "flash.h"
#include "mmio.h"
#include "proto.h"
#include "qp_crc32.h"
#include "quart_isa.h"
#include "soc_map.h"
#include "sys.h"
#include "timer.h"
#include "uart.h"

#define MODEL_BASE (SOC_RAM_BASE + SOC_RAM_APP_SIZE)
#define RAM_SLOT_SIZE (SOC_RAM_MODEL_SIZE / 2u)
#define CYCLES_PER_MS (SOC_CLOCK_HZ / 1000u)
/* The iCEBreaker's FTDI tops out at 3 Mbaud (UART divisor 8 at 24 MHz). */
#define APP_MAX_BAUD 3000000u

/* XMEM plan (fpga/soc/map.ts XMEM_LAYOUT): two model slots, the input frame, the output codes, the ACT
 * arena. The compiler sizes activations for the same arena (the icebreaker target). */
#define XMEM_INPUT (SOC_XMEM_BASE + SOC_XMEM_INPUT_OFFSET)
#define XMEM_OUTPUT (SOC_XMEM_BASE + SOC_XMEM_OUTPUT_OFFSET)
#define XMEM_ACT (SOC_XMEM_BASE + SOC_XMEM_ACT_OFFSET)
#define RAM_INPUT_CAPACITY (64u * 1024u)
/* 10 s of device time: the default watchdog of one accelerator run (RUN.max_cycles overrides it). */
#ifndef RUN_TIMEOUT_CYCLES
#define RUN_TIMEOUT_CYCLES (10u * SOC_CLOCK_HZ)
#endif

static qp_device_t dev;
static qp_app_t app; /* defined with its callbacks below */
static uint32_t active_slot; /* 0 or 1; the other one stages */
static int have_accel;
static uint32_t slot_size;

static uint8_t *slot(uint32_t i) {
  return have_accel ? (uint8_t *)(SOC_XMEM_BASE + i * SOC_XMEM_SLOT_SIZE) : (uint8_t *)(MODEL_BASE + i * RAM_SLOT_SIZE);
}

/* The active blob as the accelerator needs it (commit() parses the header and section table). */
static struct {
  int ok; /* 0, or an APP_ST_BLOB_* reason */
  uint32_t prog, wgt, tbl; /* bus addresses in the active slot */
  uint32_t act_bytes;
} model;

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

/* Copy into XMEM: every bus access there is a whole PSRAM transfer, so store words, never bytes, when
 * the destination allows (a byte store costs as much as a word). The source (a receive buffer in RAM) is
 * read a word at a time and the words are shifted into place when it is not aligned like the destination
 * (the last word read may reach up to 3 bytes past the source; it lies in RAM). */
static void copy_to_xmem(uint8_t *d, const uint8_t *s, uint32_t n) {
  while (n && ((uintptr_t)d & 3u)) {
    *d++ = *s++;
    n--;
  }
  if (n >= 4) {
    uint32_t sh = ((uint32_t)(uintptr_t)s & 3u) * 8u;
    const uint32_t *ws = (const uint32_t *)((uintptr_t)s & ~(uintptr_t)3u);
    volatile uint32_t *wd = (volatile uint32_t *)d;
    uint32_t words = n >> 2;
    if (sh == 0) {
      while (words--) *wd++ = *ws++;
    } else {
      uint32_t cur = *ws++;
      while (words--) {
        uint32_t nxt = *ws++;
        *wd++ = (cur >> sh) | (nxt << (32u - sh));
        cur = nxt;
      }
    }
    s += n & ~3u;
    d += n & ~3u;
    n &= 3u;
  }
  while (n--) *d++ = *s++;
}

/* Copy out of XMEM a word at a time (each load is a whole PSRAM transfer; the library's memcpy moves
 * bytes). Into an aligned destination the word is stored whole: the CPU's shifter takes a cycle per
 * bit, so splitting a word into bytes costs more than the PSRAM transfer. */
static void copy_from_xmem(uint8_t *d, const uint8_t *s, uint32_t n) {
  while (n && ((uintptr_t)s & 3u)) {
    *d++ = *(const volatile uint8_t *)s++;
    n--;
  }
  if (((uintptr_t)d & 3u) == 0) {
    for (; n >= 4; n -= 4, d += 4, s += 4) *(uint32_t *)(void *)d = *(const volatile uint32_t *)s;
  }
  for (; n >= 4; n -= 4, d += 4, s += 4) {
    uint32_t w = *(const volatile uint32_t *)s;
    d[0] = (uint8_t)w;
    d[1] = (uint8_t)(w >> 8);
    d[2] = (uint8_t)(w >> 16);
    d[3] = (uint8_t)(w >> 24);
  }
  while (n--) *d++ = *(const volatile uint8_t *)s++;
}

static int stage_write(void *ctx, uint32_t off, const uint8_t *p, uint32_t n) {
  (void)ctx;
  if (off > slot_size || n > slot_size - off) return APP_ST_OUT_OF_RANGE;
  if (have_accel) copy_to_xmem(slot(active_slot ^ 1u) + off, p, n);
  else copy_bytes(slot(active_slot ^ 1u) + off, p, n);
  return 0;
}

static int stage_read(void *ctx, uint32_t off, uint8_t *p, uint32_t n) {
  (void)ctx;
  if (off > slot_size || n > slot_size - off) return APP_ST_OUT_OF_RANGE;
  if (have_accel) copy_from_xmem(p, slot(active_slot ^ 1u) + off, n);
  else memcpy(p, slot(active_slot ^ 1u) + off, n);
  return 0;
}

static uint32_t rd32(const uint8_t *p) { return *(const volatile uint32_t *)p; }

/* Finds PROG, WGHT and TABL in the blob at `b` (docs/blob.md: 64-byte header, 16-byte section entries);
 * the whole-blob CRC-32 was checked by LOAD_END, the SHA-256 trailer is left to the host. */
static void parse_blob(const uint8_t *b, uint32_t size) {
  uint32_t i, n, found = 0;
  model.ok = APP_ST_BLOB_BAD;
  if (size < 64u + 32u || rd32(b) != 0x52415551u || rd32(b + 4) != 0x4e494254u) return; /* "QUARTBIN" */
  if ((rd32(b + 8) & 0xffffu) != 1u || (rd32(b + 8) >> 16) != 64u) return;
  if ((rd32(b + 12) & 0xffffu) != QI_ISA_VERSION || rd32(b + 16) != QI_ISA_HASH) {
    model.ok = APP_ST_BLOB_ISA;
    return;
  }
  if (rd32(b + 20) != size) return;
  model.act_bytes = rd32(b + 44);
  n = rd32(b + 12) >> 16;
  if (n > 16u || 64u + 16u * n > size) return;
  for (i = 0; i < n; i++) {
    const uint8_t *e = b + 64u + 16u * i;
    uint32_t kind = rd32(e), off = rd32(e + 4), len = rd32(e + 8);
    uint32_t addr = (uint32_t)(uintptr_t)b + off;
    if (off > size || len > size - off) return;
    if (kind == 0x474f5250u) { /* "PROG" */
      model.prog = addr;
      found |= 1u;
    } else if (kind == 0x54484757u) { /* "WGHT" */
      model.wgt = addr;
      found |= 2u;
    } else if (kind == 0x4c424154u) { /* "TABL" */
      model.tbl = addr;
      found |= 4u;
    }
  }
  if (found != 7u) return;
  if (model.act_bytes > SOC_XMEM_ACT_SIZE) {
    model.ok = APP_ST_OUT_OF_RANGE;
    return;
  }
  model.ok = 0;
}

/* ---- the model in flash */

#define REC_MAGIC 0x4c444d51u /* "QMDL" */
#define REC_WORDS 8u

static int have_flash;
/* The newest valid commit record: the model boot activates. */
static struct {
  int valid;
  uint32_t seq, slot, size, crc;
} stored;

static void stored_set(uint32_t seq, uint32_t slot_, uint32_t size, uint32_t crc) {
  stored.valid = 1;
  stored.seq = seq;
  stored.slot = slot_;
  stored.size = size;
  stored.crc = crc;
}

static uint32_t flash_slot_off(uint32_t s) { return s ? SOC_FLASH_SLOT1_OFFSET : SOC_FLASH_SLOT0_OFFSET; }
static uint32_t record_off(uint32_t seq) { return SOC_FLASH_RECORD_OFFSET + (seq & 1u) * SOC_FLASH_SECTOR_SIZE; }

/* Record: magic, seq, slot, size, crc, 0, 0, CRC-32 of the first 7 words. */
static void record_make(uint32_t *r, uint32_t seq, uint32_t slot_, uint32_t size, uint32_t crc) {
  r[0] = REC_MAGIC;
  r[1] = seq;
  r[2] = slot_;
  r[3] = size;
  r[4] = crc;
  r[5] = r[6] = 0;
  r[7] = qp_crc32_bulk(0, (const uint8_t *)r, 28);
}

static int record_read(uint32_t off, uint32_t *r) {
  const volatile uint32_t *f = fl_map(off);
  uint32_t i;
  for (i = 0; i < REC_WORDS; i++) r[i] = f[i];
  return r[0] == REC_MAGIC && r[7] == qp_crc32_bulk(0, (const uint8_t *)r, 28) && r[2] < 2u &&
         r[3] <= SOC_FLASH_SLOT_SIZE && r[3] <= slot_size;
}

/* Commit job: programs the flash slot, checks it, writes the record (commit_step, one piece per poll). */
enum { J_ERASE, J_PROGRAM, J_VERIFY, J_REC_ERASE, J_REC_PROGRAM, J_REC_CHECK };
static struct {
  uint8_t phase;
  uint32_t size, crc, fslot, off, seq, vcrc;
} job;
/* Bytes the commit's read-back checks per step: about 24 k cycles (95 a byte, mostly the CRC-32), inside
 * the 41 k cycles the 512-entry RX FIFO lasts at 3 Mbaud, as the restore's steps. */
#define VERIFY_STEP 256u
static uint32_t vbuf[VERIFY_STEP / 4u];

static void activate_staged(uint32_t size);

/* One step of reading a stored blob back: up to VERIFY_STEP of the `left` bytes at flash offset `off`
 * into vbuf, folded into *crc; returns the bytes read. */
static uint32_t flash_read_step(uint32_t off, uint32_t left, uint32_t *crc) {
  const volatile uint32_t *f = fl_map(off);
  uint32_t n = left < VERIFY_STEP ? left : VERIFY_STEP, i;
  for (i = 0; i < (n + 3u) / 4u; i++) vbuf[i] = f[i];
  *crc = qp_crc32_bulk(*crc, (const uint8_t *)vbuf, n);
  return n;
}

static int commit_step(void *ctx, uint32_t *found_crc) {
  uint32_t base = flash_slot_off(job.fslot), rec[REC_WORDS], got[REC_WORDS], n;
  (void)ctx;
  if (fl_busy()) return QP_PENDING;
  switch (job.phase) {
    case J_ERASE:
      if (job.off < job.size) {
        /* a 64 KiB block erases 3.3 times as fast as its 16 sectors; a blob's tail takes sectors */
        int block = (job.off % SOC_FLASH_BLOCK_SIZE) == 0 && job.size - job.off > 3u * SOC_FLASH_SECTOR_SIZE;
        fl_erase(base + job.off, block);
        job.off += block ? SOC_FLASH_BLOCK_SIZE : SOC_FLASH_SECTOR_SIZE;
        return QP_PENDING;
      }
      job.phase = J_PROGRAM;
      job.off = 0;
      return QP_PENDING;
    case J_PROGRAM:
      if (job.off < job.size) {
        /* from the staged copy in XMEM; the last page's tail past the blob is whatever the slot holds */
        fl_program(base + job.off, (const volatile uint32_t *)(slot(active_slot ^ 1u) + job.off),
                   SOC_FLASH_PAGE_SIZE / 4u);
        job.off += SOC_FLASH_PAGE_SIZE;
        return QP_PENDING;
      }
      job.phase = J_VERIFY;
      job.off = 0;
      job.vcrc = 0;
      return QP_PENDING;
    case J_VERIFY: {
      n = flash_read_step(base + job.off, job.size - job.off, &job.vcrc);
      job.off += n;
      if (job.off < job.size) return QP_PENDING;
      /* the only whole-blob check (commit_verifies): a blob corrupted on the way or in flash ends here,
       * before any record names it */
      if (job.vcrc != job.crc) {
        *found_crc = job.vcrc;
        return QP_CRC_BAD;
      }
      job.phase = J_REC_ERASE;
    }
      /* fall through */
    case J_REC_ERASE:
      fl_erase(record_off(job.seq), 0);
      job.phase = J_REC_PROGRAM;
      return QP_PENDING;
    case J_REC_PROGRAM:
      record_make(rec, job.seq, job.fslot, job.size, job.crc);
      fl_program(record_off(job.seq), rec, REC_WORDS);
      job.phase = J_REC_CHECK;
      return QP_PENDING;
    default:
      record_make(rec, job.seq, job.fslot, job.size, job.crc);
      if (!record_read(record_off(job.seq), got) || memcmp(got, rec, sizeof rec) != 0) return APP_ST_FLASH_VERIFY;
      stored_set(job.seq, job.fslot, job.size, job.crc);
      activate_staged(job.size);
      return 0;
  }
}

/* Boot restore, in the background: the newest valid record's model is declared active at once (INFO
 * shows it, so the host does not upload it again), and the main loop copies it from flash into XMEM
 * slot 0 a step at a time while it checks the CRC-32, so the link is served from the first moment. A
 * RUN, or a commit, first finishes the copy (restore_finish). A blob whose CRC fails falls back to the
 * older record, else no model is active. Reading a 1.4 MB model takes seconds on this CPU (the CRC-32
 * is most of it), longer than the host waits for a SYNC_ACK. */
static uint32_t recs[2][REC_WORDS];
static struct {
  int active;
  int tried[2];
  uint32_t rec, off, crc, t0;
} rs;

/* Picks the newest record not tried yet and starts copying it; returns 0 when none is left. */
static int restore_start(void) {
  int ok0 = !rs.tried[0] && record_read(record_off(0), recs[0]);
  int ok1 = !rs.tried[1] && record_read(record_off(1), recs[1]);
  /* sequence numbers wrap: compare by difference */
  int pick = ok0 && ok1 ? (int32_t)(recs[1][1] - recs[0][1]) > 0 : ok0 ? 0 : ok1 ? 1 : -1;
  if (pick < 0) {
    rs.active = 0;
    return 0;
  }
  rs.tried[pick] = 1;
  rs.rec = (uint32_t)pick;
  rs.off = 0;
  rs.crc = 0;
  rs.active = 1;
  stored_set(recs[pick][1], recs[pick][2], recs[pick][3], recs[pick][4]);
  active_slot = 0;
  model.ok = APP_ST_BLOB_BAD; /* runnable once copied and parsed */
  proto_set_model(&dev, stored.size, stored.crc);
  return 1;
}

static void restore_step(void) {
  uint32_t n = flash_read_step(flash_slot_off(stored.slot) + rs.off, stored.size - rs.off, &rs.crc);
  copy_to_xmem(slot(0) + rs.off, (const uint8_t *)vbuf, (n + 3u) & ~3u);
  rs.off += n;
  if (rs.off < stored.size) return;
  if (rs.crc == stored.crc) {
    rs.active = 0;
    parse_blob(slot(0), stored.size);
    app.restore_cycles = cycles32() - rs.t0;
    return;
  }
  /* a corrupt stored blob: the older one, or nothing (the next commit reuses this slot and record) */
  stored.valid = 0;
  proto_clear_model(&dev);
  model.ok = APP_ST_RUN_UNSUPPORTED;
  if (!restore_start()) app.restore_cycles = cycles32() - rs.t0;
}

static void restore_finish(void) {
  while (rs.active) restore_step();
}

static int stored_info(void *ctx, uint32_t out[3]) {
  (void)ctx;
  if (!stored.valid) return 0;
  out[0] = stored.size;
  out[1] = stored.crc;
  out[2] = stored.seq;
  return 1;
}

static void activate_staged(uint32_t size) {
  active_slot ^= 1u;
  /* any blob commits (the protocol stores bytes); only a blob the accelerator can run is runnable */
  if (have_accel) parse_blob(slot(active_slot), size);
  else model.ok = APP_ST_RUN_UNSUPPORTED;
}

/* Without flash the staged slot becomes active at once (app.commit_step is NULL then); with it, the
 * commit_step job programs the flash first. */
static int commit(void *ctx, uint32_t size, uint32_t crc) {
  (void)ctx;
  if (size > slot_size) return APP_ST_OUT_OF_RANGE;
  if (!have_flash) {
    activate_staged(size);
    return 0;
  }
  /* the stored model's slot must not be the one the restore still reads when the commit picks its target
   * (a corrupt newest record falls back to the older slot) */
  restore_finish();
  job.phase = J_ERASE;
  job.size = size;
  job.crc = crc;
  job.off = 0;
  job.fslot = stored.valid ? stored.slot ^ 1u : 0u;
  job.seq = stored.valid ? stored.seq + 1u : 1u;
  return 0;
}

static int input_write(void *ctx, uint32_t off, const uint8_t *p, uint32_t n) {
  (void)ctx;
  if (!have_accel) return 0; /* no accelerator: accepted and discarded */
  if (off > SOC_XMEM_INPUT_SIZE || n > SOC_XMEM_INPUT_SIZE - off) return APP_ST_OUT_OF_RANGE;
  copy_to_xmem((uint8_t *)(XMEM_INPUT + off), p, n);
  return 0;
}

/* A tensor's place in the ACT arena (compiler/lower/layout.ts TensorLayout): RUN.layout order. */
typedef struct {
  uint32_t base, ebits, n, c, h, w, row, plane, batch;
} layout_t;

static int get_layout(const uint32_t *w, layout_t *l) {
  uint32_t last;
  l->base = w[0];
  l->ebits = w[1];
  l->n = w[2];
  l->c = w[3];
  l->h = w[4];
  l->w = w[5];
  l->row = w[6];
  l->plane = w[7];
  l->batch = w[8];
  if (l->ebits != 4 && l->ebits != 8 && l->ebits != 32) return APP_ST_BAD_LAYOUT;
  if (!l->n || !l->c || !l->h || !l->w || l->n > 4096u || l->c > 65536u || l->h > 65536u || l->w > 65536u)
    return APP_ST_BAD_LAYOUT;
  if ((uint64_t)l->w * l->ebits > (uint64_t)l->row * 8u) return APP_ST_BAD_LAYOUT;
  last = l->base + (l->n - 1) * l->batch + (l->c - 1) * l->plane + (l->h - 1) * l->row + l->row;
  if (last > model.act_bytes) return APP_ST_BAD_LAYOUT;
  return 0;
}

static uint32_t codes_bytes(const layout_t *l) { return l->n * l->c * l->h * l->w * (l->ebits == 32 ? 4u : 1u); }

/* Input codes (NCHW, XMEM_INPUT) into the arena: compiler/lower/tensor-io.ts writeTensor. The arena was
 * zeroed, so a 4-bit pair is written whole. */
static void scatter_input(const layout_t *l) {
  const volatile uint8_t *src = (const volatile uint8_t *)XMEM_INPUT;
  volatile uint8_t *act = (volatile uint8_t *)XMEM_ACT;
  uint32_t b, c, y, x;
  for (b = 0; b < l->n; b++)
    for (c = 0; c < l->c; c++)
      for (y = 0; y < l->h; y++) {
        uint32_t row = l->base + b * l->batch + c * l->plane + y * l->row;
        if (l->ebits == 4) {
          for (x = 0; x < l->w; x += 2) {
            uint8_t lo = *src++ & 15u, hi = (x + 1 < l->w) ? (uint8_t)(*src++ & 15u) : 0u;
            act[row + (x >> 1)] = (uint8_t)(lo | (hi << 4));
          }
        } else if (l->ebits == 8) {
          for (x = 0; x < l->w; x++) act[row + x] = *src++;
        } else {
          for (x = 0; x < 4u * l->w; x++) act[row + x] = *src++;
        }
      }
}

/* Output codes from the arena (readTensor) into XMEM_OUTPUT, NCHW. */
static void gather_output(const layout_t *l) {
  volatile uint8_t *dst = (volatile uint8_t *)XMEM_OUTPUT;
  const volatile uint8_t *act = (const volatile uint8_t *)XMEM_ACT;
  uint32_t b, c, y, x;
  for (b = 0; b < l->n; b++)
    for (c = 0; c < l->c; c++)
      for (y = 0; y < l->h; y++) {
        uint32_t row = l->base + b * l->batch + c * l->plane + y * l->row;
        if (l->ebits == 4) {
          for (x = 0; x < l->w; x += 2) {
            uint8_t v = act[row + (x >> 1)];
            *dst++ = v & 15u;
            if (x + 1 < l->w) *dst++ = v >> 4;
          }
        } else if (l->ebits == 8) {
          for (x = 0; x < l->w; x++) *dst++ = act[row + x];
        } else {
          for (x = 0; x < 4u * l->w; x++) *dst++ = act[row + x];
        }
      }
}

#define ACCEL_REG(name) (SOC_ACCEL_##name##_ADDR)

/* RUN_DONE.counters, in this order (host/device/run.ts RUN_COUNTERS names them). */
static const uint32_t run_counter_regs[] = {
    ACCEL_REG(LOAD_BUSY),   ACCEL_REG(LOAD_STALL),  ACCEL_REG(COMPUTE_BUSY), ACCEL_REG(COMPUTE_STALL),
    ACCEL_REG(STORE_BUSY),  ACCEL_REG(STORE_STALL), ACCEL_REG(MACS_LO),      ACCEL_REG(MACS_HI),
    ACCEL_REG(LOAD_BYTES),  ACCEL_REG(LOADT_BYTES), ACCEL_REG(STORE_BYTES),  ACCEL_REG(PROG_WORDS),
    ACCEL_REG(DISPATCHED),  ACCEL_REG(TAP_CYCLES),  ACCEL_REG(VEC_OUTPUTS),  ACCEL_REG(TOKENS),
    ACCEL_REG(XMEM_BUSY),   ACCEL_REG(XMEM_WAIT),
};
#define N_RUN_COUNTERS (sizeof run_counter_regs / sizeof run_counter_regs[0])

static uint32_t out_len_bytes;

static int run(void *ctx, const qp_run_args_t *a, qp_run_result_t *res) {
  layout_t in, out;
  uint32_t i, t0, t_start, st;
  uint32_t in_len = a->in_len, n_layout = a->n_layout, limit = a->max_cycles ? a->max_cycles : RUN_TIMEOUT_CYCLES;
  const uint32_t *lw = a->layout;
  int rc;
  (void)ctx;
  if (!have_accel) return APP_ST_RUN_UNSUPPORTED;
  restore_finish(); /* a RUN may take long anyway: the host sends nothing meanwhile */
  if (model.ok) return model.ok;
  if (!lw || n_layout != 18u) return APP_ST_BAD_LAYOUT;
  if ((rc = get_layout(lw, &in)) != 0 || (rc = get_layout(lw + 9, &out)) != 0) return rc;
  if (in_len != codes_bytes(&in)) return APP_ST_BAD_LAYOUT;
  if (codes_bytes(&out) > SOC_XMEM_OUTPUT_SIZE) return APP_ST_OUT_OF_RANGE;
  t0 = cycles32();
  for (i = 0; i < model.act_bytes; i += 4) *(volatile uint32_t *)(XMEM_ACT + i) = 0;
  scatter_input(&in);
  mmio_write(ACCEL_REG(PROG_BASE), model.prog);
  mmio_write(ACCEL_REG(ACT_BASE), XMEM_ACT);
  mmio_write(ACCEL_REG(WGT_BASE), model.wgt);
  mmio_write(ACCEL_REG(TBL_BASE), model.tbl);
  mmio_write(ACCEL_REG(CTRL), 1u);
  t_start = cycles32();
  for (;;) {
    st = mmio_read(ACCEL_REG(STATUS));
    if (st & (SOC_ACCEL_STATUS_DONE_MASK | SOC_ACCEL_STATUS_ERROR_MASK)) break;
    if (cycles32() - t_start > limit) {
      mmio_write(ACCEL_REG(CORE_RESET), 1u);
      return APP_ST_RUN_TIMEOUT;
    }
  }
  if (st & SOC_ACCEL_STATUS_ERROR_MASK) {
    mmio_write(ACCEL_REG(CORE_RESET), 1u);
    return (int)(APP_ST_ACCEL_ERROR | (st & 0xff00u)); /* source and code in bits 15:8 */
  }
  gather_output(&out);
  out_len_bytes = codes_bytes(&out);
  res->out_len = out_len_bytes;
  res->cycles = mmio_read(ACCEL_REG(CYCLES));
  res->counters[0] = cycles32() - t0; /* the whole RUN on the device: arena, input, core, output */
  for (i = 0; i < N_RUN_COUNTERS && i + 1 < QP_MAX_COUNTERS; i++) res->counters[i + 1] = mmio_read(run_counter_regs[i]);
  res->n_counters = (uint8_t)(i + 1);
  return 0;
}

static int output_read(void *ctx, uint32_t off, uint8_t *p, uint32_t n) {
  (void)ctx;
  if (!have_accel || off > out_len_bytes || n > out_len_bytes - off) return APP_ST_OUT_OF_RANGE;
  copy_from_xmem(p, (const uint8_t *)(XMEM_OUTPUT + off), n);
  return 0;
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
    .stage_capacity = RAM_SLOT_SIZE,
    .input_capacity = RAM_INPUT_CAPACITY,
    .max_baud = APP_MAX_BAUD,
    .baud = 0,
    .tx_byte = tx_byte,
    .tx_space = tx_space,
    .stage_write = stage_write,
    .stage_read = stage_read,
    .commit = commit,
    .commit_step = 0,
    .stored = stored_info,
    .input_write = input_write,
    .run = run,
    .output_read = output_read,
    .set_baud = set_baud,
    .reset = reset,
    .cycles = cycle_count,
};

int main(void) {
  sys_leds(SOC_SYSCTL_LEDS_GREEN_MASK);
  have_accel = mmio_read(ACCEL_REG(ID)) == SOC_ACCEL_ID_RESET;
  slot_size = have_accel ? SOC_XMEM_SLOT_SIZE : RAM_SLOT_SIZE;
  app.stage_capacity = slot_size;
  app.input_capacity = have_accel ? SOC_XMEM_INPUT_SIZE : RAM_INPUT_CAPACITY;
  model.ok = APP_ST_RUN_UNSUPPORTED;
  make_firmware_id();
  app.baud = SOC_CLOCK_HZ / (mmio_read(SOC_UART_DIVISOR_ADDR) & SOC_UART_DIVISOR_VALUE_MASK);
  /* Flash persistence needs the XMEM slots to stage in and run from. */
  have_flash = have_accel && fl_present();
  if (have_flash) {
    app.commit_step = commit_step;
    app.commit_verifies = 1;
  }
  ms_last_cycle = cycles32();
  proto_init(&dev, &app, now_ms());
  if (have_flash) {
    app.has_storage = 1;
    rs.t0 = cycles32();
    restore_start();
  }
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
    if (rs.active) restore_step();
  }
}
