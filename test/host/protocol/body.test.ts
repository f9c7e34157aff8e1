import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeBody, encodeBody } from "../../../host/protocol/body.js";
import { FramingError } from "../../../host/protocol/errors.js";
import { LIMITS, MESSAGES } from "../../../host/protocol/spec.js";
import { fromJsonFields, hex, toJsonField, unhex } from "../../../host/protocol/vectors.js";
import { bodyVectors } from "./vectors.js";

test("bodies encode to the shared vectors' bytes and decode back to their fields", () => {
  const { vectors } = bodyVectors();
  assert.ok(vectors.length >= Object.keys(MESSAGES).length, "every message has a vector");
  for (const name of Object.keys(MESSAGES))
    assert.ok(
      vectors.some((v) => v.message === name),
      `vector for ${name}`,
    );
  for (const v of vectors) {
    const body = fromJsonFields(v.message, v.fields);
    assert.equal(hex(encodeBody(v.message, body)), v.hex, v.name);
    const decoded = decodeBody(v.message, unhex(v.hex)) as Record<string, Parameters<typeof toJsonField>[0]>;
    const json = Object.fromEntries(Object.entries(decoded).map(([k, x]) => [k, toJsonField(x)]));
    assert.deepEqual(json, v.fields, v.name);
  }
});

test("malformed bodies are rejected", () => {
  for (const v of bodyVectors().invalid)
    assert.throws(() => decodeBody(v.message, unhex(v.hex)), FramingError, v.name);
});

test("encoding checks required fields, ranges and lengths", () => {
  assert.throws(() => encodeBody("HELLO", {} as never), /required/);
  assert.throws(() => encodeBody("HELLO", { version: 70000 }), /u16/);
  assert.throws(() => encodeBody("LOAD_END", { size: -1 }), /u32/);
  assert.throws(() => encodeBody("LOAD_END", { size: 1.5 }), /u32/);
  assert.throws(
    () => encodeBody("LOAD_CHUNK", { off: 0, data: new Uint8Array(LIMITS.chunkMax + 1) }),
    /exceed/,
  );
  assert.throws(
    () =>
      encodeBody("RUN_DONE", {
        out_len: 0,
        out_crc: 0,
        cycles: 0,
        counters: new Array(LIMITS.maxCounters + 1).fill(0),
      }),
    /more than/,
  );
});

test("unknown keys from a newer peer are ignored", () => {
  // {0: 5, 15: "x"} for LOAD_END: key 15 is not in the spec
  assert.deepEqual(decodeBody("LOAD_END", unhex("8200050fa178")), { size: 5 });
});
