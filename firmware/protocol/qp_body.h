/*
 * Message bodies: MessagePack maps with fixint keys, checked against the schema generated from
 * host/protocol/spec.ts (QP_ALL_FIELDS). One generic decoder and encoder serve every message.
 */
#ifndef QP_BODY_H
#define QP_BODY_H

#include <stdint.h>

#include "quart_protocol.h"

typedef struct {
  uint8_t present;
  uint32_t u;            /* bool / u8 / u16 / u32 value; bin, str and u32[]: length */
  const uint8_t *bytes;  /* bin / str */
  const uint32_t *words; /* u32[] */
} qp_val_t;

typedef struct {
  qp_val_t v[QP_MAX_KEYS];          /* indexed by field key */
  uint32_t words[QP_MAX_COUNTERS];  /* storage for a decoded u32[] field */
} qp_body_t;

/* Type (QP_FT_*) of field `key` of message `op`, or 0 if the message has no such field. */
int qp_body_field_type(uint8_t op, uint8_t key);

/* Direction of a known message (QP_DIR_H2D / QP_DIR_D2H), or -1 for an unknown opcode. */
int qp_message_dir(uint8_t op);

/* Decodes a body of message `op` into b (pointers refer into p). Unknown keys are skipped.
 * Returns QP_E_OK, QP_E_UNKNOWN_OP or QP_E_BAD_BODY. */
int qp_body_decode(uint8_t op, const uint8_t *p, uint32_t n, qp_body_t *b);

/* Encodes the present fields of b in key order. Returns the length, or 0 if it does not fit. */
uint32_t qp_body_encode(uint8_t op, const qp_body_t *b, uint8_t *out, uint32_t cap);

/* Helpers to fill a body for encoding. */
void qp_body_clear(qp_body_t *b);
void qp_body_set_u(qp_body_t *b, uint8_t key, uint32_t v);
void qp_body_set_bytes(qp_body_t *b, uint8_t key, const void *p, uint32_t n);
void qp_body_set_words(qp_body_t *b, uint8_t key, const uint32_t *w, uint32_t n);

#endif
