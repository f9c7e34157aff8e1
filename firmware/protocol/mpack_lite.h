/*
 * mpack_lite: the MessagePack subset the quart protocol uses, no allocation.
 *
 * Reads: nil, bool, positive/negative fixint, uint8/16/32, int8/16/32, bin8/16/32, fixstr/str8/str16,
 * fixarray/array16, fixmap/map16. Writes the same types in their shortest form, which is what msgpackr
 * writes, so a body re-encoded here is byte-identical to the host's.
 */
#ifndef MPACK_LITE_H
#define MPACK_LITE_H

#include <stdint.h>

enum {
  MP_NIL = 1,
  MP_BOOL,
  MP_UINT, /* any integer >= 0, whatever its encoding */
  MP_INT,  /* a negative integer */
  MP_BIN,
  MP_STR,
  MP_ARRAY,
  MP_MAP
};

typedef struct {
  uint8_t type;
  uint32_t u;       /* MP_BOOL: 0/1; MP_UINT: value; MP_BIN/MP_STR: length; MP_ARRAY/MP_MAP: count */
  int32_t i;        /* MP_INT: value */
  const uint8_t *p; /* MP_BIN/MP_STR: the bytes (inside the reader's buffer) */
} mp_item_t;

typedef struct {
  const uint8_t *buf;
  uint32_t len;
  uint32_t pos;
  uint8_t err;
} mp_reader_t;

typedef struct {
  uint8_t *buf;
  uint32_t cap;
  uint32_t len;
  uint8_t err; /* set when a write did not fit; later writes are ignored */
} mp_writer_t;

void mp_reader_init(mp_reader_t *r, const uint8_t *buf, uint32_t len);
/* Reads one item. Containers yield their count (their elements follow); bin/str are consumed whole.
 * Returns 0, or -1 (and sets r->err) on truncation or an unsupported type. */
int mp_read(mp_reader_t *r, mp_item_t *it);
/* Skips one whole value, containers included (nesting up to 8 levels). */
int mp_skip(mp_reader_t *r);

void mp_writer_init(mp_writer_t *w, uint8_t *buf, uint32_t cap);
void mp_write_nil(mp_writer_t *w);
void mp_write_bool(mp_writer_t *w, int v);
void mp_write_uint(mp_writer_t *w, uint32_t v);
void mp_write_int(mp_writer_t *w, int32_t v);
void mp_write_bin(mp_writer_t *w, const uint8_t *p, uint32_t n);
/* Writes a bin header for n bytes and returns where the caller must put them (NULL if it does not fit). */
uint8_t *mp_write_bin_reserve(mp_writer_t *w, uint32_t n);
void mp_write_str(mp_writer_t *w, const char *s, uint32_t n);
void mp_write_array(mp_writer_t *w, uint32_t n);
void mp_write_map(mp_writer_t *w, uint32_t n);

#endif
