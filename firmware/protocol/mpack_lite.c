#include "mpack_lite.h"

#include <string.h>

void mp_reader_init(mp_reader_t *r, const uint8_t *buf, uint32_t len) {
  r->buf = buf;
  r->len = len;
  r->pos = 0;
  r->err = 0;
}

static int fail(mp_reader_t *r) {
  r->err = 1;
  return -1;
}

/* Big-endian unsigned of n bytes at the read position; 0 with err set if truncated. */
static uint32_t take(mp_reader_t *r, uint32_t n) {
  uint32_t v = 0;
  if (r->len - r->pos < n) {
    r->err = 1;
    return 0;
  }
  while (n--) v = (v << 8) | r->buf[r->pos++];
  return v;
}

static int sized(mp_reader_t *r, mp_item_t *it, uint8_t type, uint32_t n) {
  it->type = type;
  it->u = n;
  if (r->err) return -1;
  if (type == MP_BIN || type == MP_STR) {
    if (r->len - r->pos < n) return fail(r);
    it->p = r->buf + r->pos;
    r->pos += n;
  }
  return 0;
}

static int signed_int(mp_reader_t *r, mp_item_t *it, int32_t v) {
  if (r->err) return -1;
  if (v >= 0) {
    it->type = MP_UINT;
    it->u = (uint32_t)v;
  } else {
    it->type = MP_INT;
    it->i = v;
  }
  return 0;
}

int mp_read(mp_reader_t *r, mp_item_t *it) {
  uint8_t b;
  it->p = 0;
  it->u = 0;
  it->i = 0;
  if (r->err || r->pos >= r->len) return fail(r);
  b = r->buf[r->pos++];
  if (b <= 0x7f) return sized(r, it, MP_UINT, b);
  if (b >= 0xe0) return signed_int(r, it, (int8_t)b);
  if ((b & 0xf0) == 0x80) return sized(r, it, MP_MAP, b & 0x0f);
  if ((b & 0xf0) == 0x90) return sized(r, it, MP_ARRAY, b & 0x0f);
  if ((b & 0xe0) == 0xa0) return sized(r, it, MP_STR, b & 0x1f);
  switch (b) {
    case 0xc0:
      it->type = MP_NIL;
      return 0;
    case 0xc2:
    case 0xc3:
      return sized(r, it, MP_BOOL, b & 1);
    case 0xc4:
      return sized(r, it, MP_BIN, take(r, 1));
    case 0xc5:
      return sized(r, it, MP_BIN, take(r, 2));
    case 0xc6:
      return sized(r, it, MP_BIN, take(r, 4));
    case 0xcc:
      return sized(r, it, MP_UINT, take(r, 1));
    case 0xcd:
      return sized(r, it, MP_UINT, take(r, 2));
    case 0xce:
      return sized(r, it, MP_UINT, take(r, 4));
    case 0xd0:
      return signed_int(r, it, (int8_t)take(r, 1));
    case 0xd1:
      return signed_int(r, it, (int16_t)take(r, 2));
    case 0xd2:
      return signed_int(r, it, (int32_t)take(r, 4));
    case 0xd9:
      return sized(r, it, MP_STR, take(r, 1));
    case 0xda:
      return sized(r, it, MP_STR, take(r, 2));
    case 0xdc:
      return sized(r, it, MP_ARRAY, take(r, 2));
    case 0xde:
      return sized(r, it, MP_MAP, take(r, 2));
    default:
      return fail(r); /* floats, 64-bit integers, ext, 32-bit containers: not in our subset */
  }
}

int mp_skip(mp_reader_t *r) {
  /* Values still to skip at each nesting level; a map entry counts twice (key and value). */
  uint32_t todo[8];
  int depth = 0;
  mp_item_t it;
  todo[0] = 1;
  while (depth >= 0) {
    if (todo[depth] == 0) {
      depth--;
      continue;
    }
    todo[depth]--;
    if (mp_read(r, &it)) return -1;
    if ((it.type == MP_ARRAY || it.type == MP_MAP) && it.u) {
      if (depth == 7) return fail(r);
      todo[++depth] = it.type == MP_MAP ? it.u * 2 : it.u;
    }
  }
  return 0;
}

void mp_writer_init(mp_writer_t *w, uint8_t *buf, uint32_t cap) {
  w->buf = buf;
  w->cap = cap;
  w->len = 0;
  w->err = 0;
}

/* Reserves n bytes; NULL (and err set) if they do not fit. */
static uint8_t *room(mp_writer_t *w, uint32_t n) {
  uint8_t *p;
  if (w->err || w->cap - w->len < n) {
    w->err = 1;
    return 0;
  }
  p = w->buf + w->len;
  w->len += n;
  return p;
}

/* One tag byte followed by v as an n-byte big-endian integer. */
static void tagged(mp_writer_t *w, uint8_t tag, uint32_t v, uint32_t n) {
  uint8_t *p = room(w, 1 + n);
  if (!p) return;
  *p = tag;
  while (n) {
    p[n--] = (uint8_t)v;
    v >>= 8;
  }
}

/* Containers and strings: the short form below `small`, then 8/16/32-bit length tags (0 = none). */
static void header(mp_writer_t *w, uint8_t fix, uint32_t small, uint8_t t8, uint8_t t16, uint8_t t32, uint32_t n) {
  if (n < small) tagged(w, (uint8_t)(fix | n), 0, 0);
  else if (t8 && n <= 0xff) tagged(w, t8, n, 1);
  else if (n <= 0xffff) tagged(w, t16, n, 2);
  else if (t32) tagged(w, t32, n, 4);
  else w->err = 1;
}

void mp_write_nil(mp_writer_t *w) { tagged(w, 0xc0, 0, 0); }

void mp_write_bool(mp_writer_t *w, int v) { tagged(w, v ? 0xc3 : 0xc2, 0, 0); }

void mp_write_uint(mp_writer_t *w, uint32_t v) {
  if (v <= 0x7f) tagged(w, (uint8_t)v, 0, 0);
  else if (v <= 0xff) tagged(w, 0xcc, v, 1);
  else if (v <= 0xffff) tagged(w, 0xcd, v, 2);
  else tagged(w, 0xce, v, 4);
}

void mp_write_int(mp_writer_t *w, int32_t v) {
  if (v >= 0) mp_write_uint(w, (uint32_t)v);
  else if (v >= -32) tagged(w, (uint8_t)v, 0, 0);
  else if (v >= -128) tagged(w, 0xd0, (uint32_t)v, 1);
  else if (v >= -32768) tagged(w, 0xd1, (uint32_t)v, 2);
  else tagged(w, 0xd2, (uint32_t)v, 4);
}

uint8_t *mp_write_bin_reserve(mp_writer_t *w, uint32_t n) {
  header(w, 0, 0, 0xc4, 0xc5, 0xc6, n);
  return room(w, n);
}

void mp_write_bin(mp_writer_t *w, const uint8_t *p, uint32_t n) {
  uint8_t *d = mp_write_bin_reserve(w, n);
  if (d && n) memcpy(d, p, n);
}

void mp_write_str(mp_writer_t *w, const char *s, uint32_t n) {
  uint8_t *d;
  header(w, 0xa0, 32, 0xd9, 0xda, 0, n);
  d = room(w, n);
  if (d && n) memcpy(d, s, n);
}

void mp_write_array(mp_writer_t *w, uint32_t n) { header(w, 0x90, 16, 0, 0xdc, 0, n); }

void mp_write_map(mp_writer_t *w, uint32_t n) { header(w, 0x80, 16, 0, 0xde, 0, n); }
