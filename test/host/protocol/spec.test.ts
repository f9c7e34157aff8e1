import assert from "node:assert/strict";
import { test } from "node:test";
import { encodeBody } from "../../../host/protocol/body.js";
import { crc32 } from "../../../host/protocol/crc32.js";
import { staleFiles } from "../../../host/protocol/gen.js";
import {
  cobsMaxLength,
  DERIVED,
  ERRORS,
  FIRST_MESSAGE_TYPE,
  FRAME,
  LIMITS,
  LINK_FRAMES,
  MESSAGES,
  type MessageSpec,
} from "../../../host/protocol/spec.js";

const messages = Object.entries(MESSAGES) as [string, MessageSpec][];

test("opcodes, frame types and error codes are unique and in their ranges", () => {
  const ops = messages.map(([, m]) => m.op);
  assert.equal(new Set(ops).size, ops.length);
  for (const op of ops) assert.ok(op >= FIRST_MESSAGE_TYPE && op <= 0xff);
  for (const f of Object.values(LINK_FRAMES)) assert.ok(f.type > 0 && f.type < FIRST_MESSAGE_TYPE);
  const codes = Object.values(ERRORS).map((e) => e.code);
  assert.equal(new Set(codes).size, codes.length);
  assert.ok(codes.every((c) => c > 0 && c <= 0xffff));
});

test("message fields: keys ascending, unique, one byte; replies exist and point the other way", () => {
  for (const [name, m] of messages) {
    const keys = m.fields.map((f) => f.key);
    assert.deepEqual(
      keys,
      [...keys].sort((a, b) => a - b),
      `${name}: keys ascending`,
    );
    assert.equal(new Set(keys).size, keys.length, `${name}: keys unique`);
    assert.ok(
      keys.every((k) => k >= 0 && k < LIMITS.maxKeys),
      `${name}: keys below maxKeys`,
    );
    assert.ok(
      m.fields.filter((f) => f.type === "u32[]").length <= 1,
      `${name}: at most one u32[] (one C buffer)`,
    );
    for (const r of [m.reply, m.stream]) {
      if (!r) continue;
      const reply = (MESSAGES as Record<string, MessageSpec>)[r];
      assert.ok(reply && reply.dir !== m.dir, `${name}: reply ${r}`);
    }
  }
});

test("derived sizes: the largest bodies fit a frame, windows fit the SACK bitmap", () => {
  const chunk = encodeBody("LOAD_CHUNK", { off: 0xffffffff, data: new Uint8Array(LIMITS.chunkMax) });
  assert.ok(chunk.length <= LIMITS.maxPayload, `LOAD_CHUNK body ${chunk.length} <= ${LIMITS.maxPayload}`);
  const info = encodeBody("INFO", {
    version: 0xffff,
    device: "x".repeat(LIMITS.maxStr),
    firmware: "y".repeat(LIMITS.maxStr),
    clock_hz: 0xffffffff,
    stage_capacity: 0xffffffff,
    input_capacity: 0xffffffff,
    chunk_max: 0xffffffff,
    max_baud: 0xffffffff,
    uptime_ms: 0xffffffff,
    model_size: 0xffffffff,
    model_crc: 0xffffffff,
  });
  assert.ok(info.length <= LIMITS.maxPayload);
  assert.equal(DERIVED.frameMax, FRAME.headerBytes + LIMITS.maxPayload + FRAME.crcBytes);
  assert.equal(DERIVED.wireMax, cobsMaxLength(DERIVED.frameMax) + 1);
  assert.equal(DERIVED.sackBytes * 8, LIMITS.maxWindow);
  assert.ok(LIMITS.deviceRxWindow <= LIMITS.maxWindow && LIMITS.hostRxWindow <= LIMITS.maxWindow);
  assert.equal(crc32(new Uint8Array(4)), DERIVED.crcResidue, "residue constant");
});

test("the generated header, docs and vectors are up to date (node dist/host/protocol/gen.js)", () => {
  assert.deepEqual(staleFiles(), []);
});
