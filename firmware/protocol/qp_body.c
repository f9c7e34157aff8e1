#include "qp_body.h"

#include <string.h>

#include "mpack_lite.h"

typedef struct {
  uint8_t op;
  uint8_t key;
  uint8_t type;
  uint8_t required;
  uint16_t max;
} qp_field_desc_t;

#define QP_DESC(MSG, FIELD, op, key, type, req, max) {op, key, type, req, max},
static const qp_field_desc_t k_fields[] = {QP_ALL_FIELDS(QP_DESC)};
#undef QP_DESC

#define QP_FIELD_COUNT (sizeof k_fields / sizeof k_fields[0])

int qp_message_dir(uint8_t op) {
  switch (op) {
#define QP_CASE(NAME, op, dir) \
  case op:                     \
    return dir;
    QP_MESSAGES(QP_CASE)
#undef QP_CASE
    default:
      return -1;
  }
}

static const qp_field_desc_t *find_field(uint8_t op, uint32_t key) {
  uint32_t i;
  for (i = 0; i < QP_FIELD_COUNT; i++)
    if (k_fields[i].op == op && k_fields[i].key == key) return &k_fields[i];
  return 0;
}

int qp_body_field_type(uint8_t op, uint8_t key) {
  const qp_field_desc_t *f = find_field(op, key);
  return f ? f->type : 0;
}

static int decode_value(mp_reader_t *r, const qp_field_desc_t *f, qp_val_t *v, qp_body_t *b) {
  mp_item_t it;
  uint32_t i;
  if (mp_read(r, &it)) return -1;
  switch (f->type) {
    case QP_FT_BOOL:
      if (it.type != MP_BOOL) return -1;
      break;
    case QP_FT_U8:
    case QP_FT_U16:
    case QP_FT_U32:
      if (it.type != MP_UINT) return -1;
      if (f->type == QP_FT_U8 && it.u > 0xff) return -1;
      if (f->type == QP_FT_U16 && it.u > 0xffff) return -1;
      break;
    case QP_FT_BIN:
    case QP_FT_STR:
      if (it.type != (f->type == QP_FT_BIN ? MP_BIN : MP_STR)) return -1;
      if (f->max && it.u > f->max) return -1;
      v->bytes = it.p;
      break;
    case QP_FT_U32_ARRAY:
      if (it.type != MP_ARRAY || it.u > QP_MAX_COUNTERS || (f->max && it.u > f->max)) return -1;
      for (i = 0; i < it.u; i++) {
        mp_item_t e;
        if (mp_read(r, &e) || e.type != MP_UINT) return -1;
        b->words[i] = e.u;
      }
      v->words = b->words;
      break;
    default:
      return -1;
  }
  v->u = it.u;
  v->present = 1;
  return 0;
}

int qp_body_decode(uint8_t op, const uint8_t *p, uint32_t n, qp_body_t *b) {
  mp_reader_t r;
  mp_item_t it;
  uint32_t count, i;
  if (qp_message_dir(op) < 0) return QP_E_UNKNOWN_OP;
  qp_body_clear(b);
  mp_reader_init(&r, p, n);
  if (mp_read(&r, &it) || it.type != MP_MAP) return QP_E_BAD_BODY;
  count = it.u;
  while (count--) {
    const qp_field_desc_t *f;
    if (mp_read(&r, &it) || it.type != MP_UINT) return QP_E_BAD_BODY;
    f = it.u < QP_MAX_KEYS ? find_field(op, it.u) : 0;
    if (!f) {
      if (mp_skip(&r)) return QP_E_BAD_BODY; /* a newer peer's optional field */
      continue;
    }
    if (b->v[f->key].present || decode_value(&r, f, &b->v[f->key], b)) return QP_E_BAD_BODY;
  }
  if (r.pos != n) return QP_E_BAD_BODY;
  for (i = 0; i < QP_FIELD_COUNT; i++)
    if (k_fields[i].op == op && k_fields[i].required && !b->v[k_fields[i].key].present) return QP_E_BAD_BODY;
  return QP_E_OK;
}

uint32_t qp_body_encode(uint8_t op, const qp_body_t *b, uint8_t *out, uint32_t cap) {
  mp_writer_t w;
  uint32_t i, j, count = 0;
  mp_writer_init(&w, out, cap);
  for (i = 0; i < QP_FIELD_COUNT; i++)
    if (k_fields[i].op == op && b->v[k_fields[i].key].present) count++;
  mp_write_map(&w, count);
  for (i = 0; i < QP_FIELD_COUNT; i++) {
    const qp_field_desc_t *f = &k_fields[i];
    const qp_val_t *v = &b->v[f->key];
    if (f->op != op || !v->present) continue;
    mp_write_uint(&w, f->key);
    switch (f->type) {
      case QP_FT_BOOL:
        mp_write_bool(&w, v->u != 0);
        break;
      case QP_FT_BIN:
        mp_write_bin(&w, v->bytes, v->u);
        break;
      case QP_FT_STR:
        mp_write_str(&w, (const char *)v->bytes, v->u);
        break;
      case QP_FT_U32_ARRAY:
        mp_write_array(&w, v->u);
        for (j = 0; j < v->u; j++) mp_write_uint(&w, v->words[j]);
        break;
      default:
        mp_write_uint(&w, v->u);
        break;
    }
  }
  return w.err ? 0 : w.len;
}

/* A body is cleared for every frame decoded. The library's memset stores one byte per loop turn: 256 of
 * them took about 5 k cycles of the ~20 k a 256-byte chunk frame costs the CPU, and at 3 Mbaud the
 * frame's ACK waits for that work. Word stores; volatile, so the compiler does not turn the loop back
 * into that memset call. */
void qp_body_clear(qp_body_t *b) {
  volatile uint32_t *w = (volatile uint32_t *)(void *)b->v;
  uint32_t i;
  for (i = 0; i < QP_MAX_KEYS * sizeof(qp_val_t) / 4u; i++) w[i] = 0;
}

void qp_body_set_u(qp_body_t *b, uint8_t key, uint32_t v) {
  b->v[key].present = 1;
  b->v[key].u = v;
}

void qp_body_set_bytes(qp_body_t *b, uint8_t key, const void *p, uint32_t n) {
  b->v[key].present = 1;
  b->v[key].u = n;
  b->v[key].bytes = (const uint8_t *)p;
}

void qp_body_set_words(qp_body_t *b, uint8_t key, const uint32_t *w, uint32_t n) {
  b->v[key].present = 1;
  b->v[key].u = n;
  b->v[key].words = w;
}
