import assert from "node:assert/strict";
import { test } from "node:test";
import { cobsDecode, cobsEncode } from "../../../host/protocol/cobs.js";
import { crc32 } from "../../../host/protocol/crc32.js";
import { ChecksumError, FramingError } from "../../../host/protocol/errors.js";
import { decodeFrame, encodeFrame, type Frame, FrameParser } from "../../../host/protocol/frame.js";
import { seededRandom } from "../../../host/protocol/link.js";
import { DERIVED, FRAME, LIMITS } from "../../../host/protocol/spec.js";
import { hex, pattern, unhex } from "../../../host/protocol/vectors.js";
import { cobsVectors, crcVectors, frameVectors } from "./vectors.js";

const wireOf = (f: Frame) => encodeFrame(f);

test("CRC-32 matches the shared vectors and the catalogue check value", () => {
  assert.equal(crc32(new TextEncoder().encode("123456789")), FRAME.crc.check);
  for (const v of crcVectors())
    assert.equal(crc32(unhex(v.data)).toString(16).padStart(8, "0"), v.crc, v.name);
  // Continuation and residue
  const a = pattern(300, 1);
  assert.equal(crc32(a.subarray(100), crc32(a.subarray(0, 100))), crc32(a));
  const withCrc = new Uint8Array(304);
  withCrc.set(a);
  new DataView(withCrc.buffer).setUint32(300, crc32(a), true);
  assert.equal(crc32(withCrc), DERIVED.crcResidue);
});

test("COBS matches the shared vectors and round-trips random data with many zeros", () => {
  for (const v of cobsVectors()) {
    assert.equal(hex(cobsEncode(unhex(v.data))), v.encoded, v.name);
    assert.equal(hex(cobsDecode(unhex(v.encoded))), v.data, v.name);
  }
  const rnd = seededRandom(42);
  for (let i = 0; i < 300; i++) {
    const n = Math.floor(rnd() * 1200);
    const data = Uint8Array.from({ length: n }, () => (rnd() < 0.3 ? 0 : Math.floor(rnd() * 256)));
    const enc = cobsEncode(data);
    assert.ok(!enc.includes(0), "no zero survives");
    assert.ok(enc.length <= n + Math.max(1, Math.ceil(n / 254)), "overhead bound");
    assert.deepEqual(cobsDecode(enc), data);
  }
  assert.throws(() => cobsDecode(new Uint8Array([5, 1, 2])), FramingError);
});

test("frames match the shared vectors; invalid frames fail with the right error", () => {
  const { vectors, invalid } = frameVectors();
  for (const v of vectors) {
    const f = { type: v.type, flags: v.flags, seq: v.seq, payload: unhex(v.payload) };
    assert.equal(hex(encodeFrame(f)), v.wire, v.name);
    const wire = unhex(v.wire);
    assert.deepEqual(decodeFrame(wire.subarray(0, wire.length - 1)), f, v.name);
  }
  for (const v of invalid) {
    const wire = unhex(v.wire);
    assert.throws(
      () => decodeFrame(wire.subarray(0, wire.length - 1)),
      v.reason === "crc" ? ChecksumError : FramingError,
      v.name,
    );
  }
  assert.equal(
    encodeFrame({ type: 0x53, flags: 0, seq: 1, payload: new Uint8Array(LIMITS.maxPayload) }).length <=
      DERIVED.wireMax,
    true,
  );
});

test("every single-byte substitution, deletion and duplication of a frame is rejected", () => {
  const samples: Frame[] = [
    { type: 0x03, flags: 0, seq: 7, payload: new Uint8Array(4) },
    { type: 0x12, flags: 0, seq: 300, payload: pattern(40, 2) },
    { type: 0x12, flags: 1, seq: 65535, payload: pattern(600, 3) },
  ];
  for (const f of samples) {
    const wire = wireOf(f);
    const original = hex(wire);
    const buf = new Uint8Array(wire.length + 2);
    let trials = 0;
    // Feeds buf[0..n) plus a delimiter: the only acceptable frame is the original (deleting or doubling
    // its own delimiter changes nothing).
    const check = (n: number) => {
      trials++;
      buf[n] = 0;
      for (const ev of new FrameParser().push(buf.subarray(0, n + 1)))
        if (ev.frame)
          assert.equal(hex(encodeFrame(ev.frame)), original, `accepted a corrupted frame (${trials})`);
    };
    for (let pos = 0; pos < wire.length; pos++) {
      for (let v = 0; v < 256; v++) {
        if (v === wire[pos]) continue;
        buf.set(wire);
        buf[pos] = v;
        check(wire.length);
      }
      buf.set(wire.subarray(0, pos));
      buf.set(wire.subarray(pos + 1), pos);
      check(wire.length - 1);
      buf.set(wire.subarray(0, pos + 1));
      buf.set(wire.subarray(pos), pos + 1);
      check(wire.length + 1);
    }
    assert.equal(trials, wire.length * 257);
  }
});

test("the parser resynchronises at the next delimiter after garbage and oversize input", () => {
  const rnd = seededRandom(7);
  const frames: Frame[] = Array.from({ length: 50 }, (_, i) => ({
    type: 0x10 + (i % 5),
    flags: 0,
    seq: i,
    payload: pattern(i * 13, i),
  }));
  const stream: number[] = [];
  for (const f of frames) {
    // garbage with and without zeros, sometimes longer than any frame
    const junk = Math.floor(rnd() * 40) + (rnd() < 0.1 ? DERIVED.wireMax + 10 : 0);
    for (let i = 0; i < junk; i++) stream.push(rnd() < 0.05 ? 0 : 1 + Math.floor(rnd() * 255));
    stream.push(0, ...wireOf(f));
  }
  const parser = new FrameParser();
  const got: Frame[] = [];
  let errors = 0;
  // Feed in random-sized pieces, as a UART driver would hand them over.
  for (let i = 0; i < stream.length; ) {
    const n = 1 + Math.floor(rnd() * 300);
    for (const ev of parser.push(Uint8Array.from(stream.slice(i, i + n)))) {
      if (ev.frame) got.push(ev.frame);
      else errors++;
    }
    i += n;
  }
  assert.deepEqual(got, frames);
  assert.ok(errors > 0, "the garbage was reported");
});
