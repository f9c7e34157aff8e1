/**
 * Shared test vectors, generated from the TypeScript implementation (gen.ts writes them to
 * test/vectors/protocol/*.json). The TS tests check the TS code against them and the C tests check the
 * firmware code, so both sides are held to the same bytes.
 */
import { type Body, encodeBody, type FieldValue } from "./body.js";
import { cobsEncode } from "./cobs.js";
import { crc32 } from "./crc32.js";
import { encodeFrame, packLayout } from "./frame.js";
import { ERRORS, FLAGS, LIMITS, LINK_FRAMES, MESSAGES, type MessageName, PROTOCOL_VERSION } from "./spec.js";

export const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
export const unhex = (s: string) => new Uint8Array(Buffer.from(s, "hex"));

/** Deterministic bytes with zeros, 0xff and everything between. */
export function pattern(n: number, salt = 0): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 37 + salt * 101 + ((i >> 5) & 7)) & 0xff;
  return out;
}

/** JSON form of a field value: bin as hex, str as itself. */
export type JsonField = boolean | number | string | number[];

export interface BodyVector {
  name: string;
  message: MessageName;
  op: number;
  fields: Record<string, JsonField>;
  hex: string;
}

export interface InvalidBodyVector {
  name: string;
  message: MessageName;
  op: number;
  hex: string;
}

export interface FrameVector {
  name: string;
  type: number;
  flags: number;
  seq: number;
  payload: string;
  wire: string;
}

export interface InvalidFrameVector {
  name: string;
  wire: string;
  reason: "crc" | "length" | "cobs" | "short";
}

export interface CobsVector {
  name: string;
  data: string;
  encoded: string;
}

export interface Crc32Vector {
  name: string;
  data: string;
  crc: string;
}

export function toJsonField(v: FieldValue): JsonField {
  if (v instanceof Uint8Array) return hex(v);
  if (Array.isArray(v)) return [...(v as readonly number[])];
  return v as boolean | number | string;
}

/** Typed body from its JSON form (bin fields are hex). */
export function fromJsonFields<M extends MessageName>(
  message: M,
  fields: Record<string, JsonField>,
): Body<M> {
  const out: Record<string, FieldValue> = {};
  for (const f of MESSAGES[message].fields) {
    const v = fields[f.name];
    if (v === undefined) continue;
    out[f.name] = f.type === "bin" ? unhex(v as string) : v;
  }
  return out as Body<M>;
}

function bodies(): BodyVector[] {
  const v: BodyVector[] = [];
  const add = <M extends MessageName>(name: string, message: M, body: Body<M>) => {
    const fields: Record<string, JsonField> = {};
    for (const [k, x] of Object.entries(body as Record<string, FieldValue>)) fields[k] = toJsonField(x);
    v.push({ name, message, op: MESSAGES[message].op, fields, hex: hex(encodeBody(message, body)) });
  };
  add("HELLO", "HELLO", { version: PROTOCOL_VERSION });
  add("HELLO future version", "HELLO", { version: 0xffff });
  add("LOAD_BEGIN fresh", "LOAD_BEGIN", { size: 262144, crc: 0xdeadbeef });
  add("LOAD_BEGIN resume", "LOAD_BEGIN", { size: 127, crc: 0, resume: true });
  add("LOAD_BEGIN no resume", "LOAD_BEGIN", { size: 128, crc: 0xffffffff, resume: false });
  add("LOAD_CHUNK 1 byte", "LOAD_CHUNK", { off: 0, data: pattern(1) });
  add("LOAD_CHUNK bin8 max", "LOAD_CHUNK", { off: 255, data: pattern(255, 1) });
  add("LOAD_CHUNK bin16", "LOAD_CHUNK", { off: 256, data: pattern(256, 2) });
  add("LOAD_CHUNK chunkMax", "LOAD_CHUNK", { off: 65536, data: pattern(LIMITS.chunkMax, 3) });
  add("LOAD_CHUNK empty", "LOAD_CHUNK", { off: 0xffffffff, data: new Uint8Array(0) });
  add("LOAD_END", "LOAD_END", { size: 65535 });
  add("INPUT_CHUNK", "INPUT_CHUNK", { off: 1024, data: pattern(300, 4) });
  add("RUN", "RUN", { in_len: 196608 });
  add("RUN out_chunk", "RUN", { in_len: 0, out_chunk: 256 });
  add("RUN layout max_cycles", "RUN", {
    in_len: 300,
    layout: [0, 8, 1, 3, 10, 10, 10, 100, 300, 304, 4, 1, 13, 10, 10, 5, 50, 650],
    max_cycles: 200000,
  });
  add("STATS", "STATS", {});
  add("RESET", "RESET", {});
  add("SET_BAUD", "SET_BAUD", { baud: 3000000 });
  add("INFO no model", "INFO", {
    version: PROTOCOL_VERSION,
    device: "quart-up5k",
    firmware: "",
    clock_hz: 24000000,
    stage_capacity: 1 << 20,
    input_capacity: 196608,
    chunk_max: LIMITS.chunkMax,
    max_baud: 3000000,
    uptime_ms: 0,
  });
  add("INFO model", "INFO", {
    version: 2,
    device: "d".repeat(LIMITS.maxStr),
    firmware: "fw 0.1.0-abcdef",
    clock_hz: 127,
    stage_capacity: 128,
    input_capacity: 32767,
    chunk_max: 32768,
    max_baud: 0,
    uptime_ms: 4294967295,
    model_size: 262144,
    model_crc: 0x12345678,
  });
  add("LOAD_READY", "LOAD_READY", { have: 4096, chunk_max: 1024, active: false });
  add("LOAD_READY active", "LOAD_READY", { have: 0, chunk_max: 512, active: true });
  add("LOAD_DONE", "LOAD_DONE", { size: 262144, crc: 0x80000000 });
  add("RUN_OUTPUT", "RUN_OUTPUT", { off: 2048, data: pattern(LIMITS.chunkMax, 5) });
  add("RUN_DONE", "RUN_DONE", {
    out_len: 65536,
    out_crc: 0x0badf00d,
    cycles: 123456789,
    counters: [1, 127, 128, 65535],
  });
  add("RUN_DONE counters max", "RUN_DONE", {
    out_len: 0,
    out_crc: 0,
    cycles: 0,
    counters: Array.from({ length: LIMITS.maxCounters }, (_, i) => 0xffffffff - i),
  });
  add("RUN_DONE no counters", "RUN_DONE", { out_len: 1, out_crc: 1, cycles: 1, counters: [] });
  add("STATS_REPLY", "STATS_REPLY", {
    rx_frames: 1000,
    rx_bad: 3,
    rx_dup: 1,
    rx_ooo: 2,
    rx_drop: 0,
    tx_frames: 999,
    tx_retx: 4,
    nak_tx: 2,
    nak_rx: 1,
    loads: 1,
    runs: 200,
    uptime_ms: 60000,
  });
  add("OK", "OK", { op: MESSAGES.RESET.op });
  add("OK with value", "OK", { op: MESSAGES.SET_BAUD.op, value: 3000000 });
  add("ERROR", "ERROR", { code: ERRORS.BAD_OFFSET.code, op: MESSAGES.LOAD_CHUNK.op, detail: 4096 });
  add("ERROR no detail", "ERROR", { code: ERRORS.NO_MODEL.code, op: MESSAGES.RUN.op });
  return v;
}

/** Bodies both decoders must reject. */
function invalidBodies(): InvalidBodyVector[] {
  const v: InvalidBodyVector[] = [];
  const add = (name: string, message: MessageName, bytes: string) =>
    v.push({ name, message, op: MESSAGES[message].op, hex: bytes });
  add("not a map", "HELLO", "9101");
  add("required field missing", "LOAD_BEGIN", "8100cd0100");
  add("u16 out of range", "HELLO", "8100ce00010000");
  add("negative integer", "LOAD_END", "8100ff");
  add("wrong type: str for u32", "LOAD_END", "8100a131");
  add("wrong type: int for bool", "LOAD_BEGIN", "83000101020201");
  add("bin longer than chunkMax", "LOAD_CHUNK", `82000001c50401${"00".repeat(LIMITS.chunkMax + 1)}`);
  add("truncated bin", "LOAD_CHUNK", "82000001c40a0102");
  add("trailing bytes", "LOAD_END", "810001c0");
  add("u8 out of range", "OK", "8100cd0100");
  add(
    "too many counters",
    "RUN_DONE",
    `84000001000200039${(LIMITS.maxCounters + 1).toString(16)}${"01".repeat(LIMITS.maxCounters + 1)}`,
  );
  return v;
}

function frames(): FrameVector[] {
  const v: FrameVector[] = [];
  const add = (name: string, type: number, flags: number, seq: number, payload: Uint8Array) =>
    v.push({
      name,
      type,
      flags,
      seq,
      payload: hex(payload),
      wire: hex(encodeFrame({ type, flags, seq, payload })),
    });
  const sync = { version: PROTOCOL_VERSION, nonce: 0x01020304, window: 8, max_payload: LIMITS.maxPayload };
  add("SYNC", LINK_FRAMES.SYNC.type, 0, 0, packLayout(LINK_FRAMES.SYNC.payload, sync));
  add(
    "SYNC_ACK",
    LINK_FRAMES.SYNC_ACK.type,
    0,
    0,
    packLayout(LINK_FRAMES.SYNC_ACK.payload, { ...sync, nonce: 0 }),
  );
  add("ACK", LINK_FRAMES.ACK.type, 0, 0, packLayout(LINK_FRAMES.ACK.payload, { sack: 0 }));
  add(
    "NAK with SACK",
    LINK_FRAMES.NAK.type,
    0,
    65535,
    packLayout(LINK_FRAMES.NAK.payload, { sack: 0x80000005 }),
  );
  add("HELLO", MESSAGES.HELLO.op, 0, 0, encodeBody("HELLO", { version: PROTOCOL_VERSION }));
  add(
    "LOAD_CHUNK full, retransmitted",
    MESSAGES.LOAD_CHUNK.op,
    FLAGS.RETX.bit,
    0x1234,
    encodeBody("LOAD_CHUNK", { off: 1 << 20, data: pattern(LIMITS.chunkMax, 9) }),
  );
  add(
    "LOAD_CHUNK zeros",
    MESSAGES.LOAD_CHUNK.op,
    0,
    256,
    encodeBody("LOAD_CHUNK", { off: 0, data: new Uint8Array(600) }),
  );
  add(
    "LOAD_CHUNK no zeros",
    MESSAGES.LOAD_CHUNK.op,
    0,
    257,
    encodeBody("LOAD_CHUNK", { off: 7, data: new Uint8Array(700).fill(0xff) }),
  );
  add("largest payload", MESSAGES.RUN_OUTPUT.op, 0, 9, pattern(LIMITS.maxPayload, 6));
  return v;
}

function invalidFrames(): InvalidFrameVector[] {
  const good = encodeFrame({
    type: MESSAGES.HELLO.op,
    flags: 0,
    seq: 3,
    payload: encodeBody("HELLO", { version: 1 }),
  });
  const body = good.subarray(0, good.length - 1);
  const flipped = body.slice();
  flipped[3] = flipped[3]! ^ 0x40;
  const raw = (bytes: Uint8Array) => `${hex(cobsEncode(bytes))}00`;
  return [
    { name: "flipped byte", wire: `${hex(flipped)}00`, reason: "crc" },
    { name: "truncated COBS block", wire: "05010203" + "00", reason: "cobs" },
    { name: "shorter than a header", wire: raw(new Uint8Array([0x10, 0, 0, 0, 0])), reason: "short" },
    {
      name: "length field disagrees",
      wire: raw(new Uint8Array([0x10, 0, 0, 0, 5, 0, 1, 2, 3, 4])),
      reason: "length",
    },
  ];
}

function cobs(): CobsVector[] {
  const nz = (n: number) => Uint8Array.from({ length: n }, (_, i) => 1 + (i % 255));
  const cat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));
  const z = new Uint8Array(1);
  const cases: [string, Uint8Array][] = [
    ["empty", new Uint8Array(0)],
    ["one zero", z],
    ["two zeros", new Uint8Array(2)],
    ["one byte", new Uint8Array([0x11])],
    ["trailing zero", new Uint8Array([0x11, 0])],
    ["253 non-zero", nz(253)],
    ["254 non-zero (full block at the end)", nz(254)],
    ["255 non-zero", nz(255)],
    ["254 non-zero then zero", cat(nz(254), z)],
    ["zero then 254 non-zero", cat(z, nz(254))],
    ["508 non-zero", nz(508)],
    ["mixed 1000", pattern(1000, 7)],
  ];
  return cases.map(([name, data]) => ({ name, data: hex(data), encoded: hex(cobsEncode(data)) }));
}

function crcs(): Crc32Vector[] {
  const check = new TextEncoder().encode("123456789");
  const residue = pattern(100, 3);
  const withCrc = new Uint8Array(104);
  withCrc.set(residue);
  new DataView(withCrc.buffer).setUint32(100, crc32(residue), true);
  const cases: [string, Uint8Array][] = [
    ["empty", new Uint8Array(0)],
    ["check string 123456789", check],
    ["one zero byte", new Uint8Array(1)],
    ["pattern 1024", pattern(1024, 8)],
    ["data followed by its CRC (residue)", withCrc],
  ];
  return cases.map(([name, data]) => ({
    name,
    data: hex(data),
    crc: crc32(data).toString(16).padStart(8, "0"),
  }));
}

/**
 * JSON in the project formatter's layout (2 spaces; arrays of numbers on one line when they fit in 110
 * columns, otherwise filled line by line), so the generated files pass `biome check` unchanged.
 */
export function formatJson(value: unknown, width = 110): string {
  const text = JSON.stringify(value, null, 2);
  return text.replace(
    /^( *)([^\n]*)\[\n((?: *-?\d+,?\n)+) *\]/gm,
    (_all, indent: string, head: string, body: string) => {
      const nums = body
        .split("\n")
        .map((l) => l.trim().replace(/,$/, ""))
        .filter(Boolean);
      const one = `${indent}${head}[${nums.join(", ")}]`;
      if (one.length <= width) return one;
      const inner = `${indent}  `;
      const lines: string[] = [];
      let line = "";
      for (const n of nums) {
        const next = line ? `${line} ${n},` : `${n},`;
        if (inner.length + next.length > width && line) {
          lines.push(inner + line);
          line = `${n},`;
        } else line = next;
      }
      lines.push(inner + line.replace(/,$/, ""));
      return `${indent}${head}[\n${lines.join("\n")}\n${indent}]`;
    },
  );
}

/** File name (under test/vectors/protocol/) → JSON text. */
export function vectorFiles(note: string): Map<string, string> {
  const file = (content: object) =>
    `${formatJson({ note, protocol_version: PROTOCOL_VERSION, ...content })}\n`;
  return new Map([
    ["bodies.json", file({ vectors: bodies(), invalid: invalidBodies() })],
    ["frames.json", file({ vectors: frames(), invalid: invalidFrames() })],
    ["cobs.json", file({ vectors: cobs() })],
    ["crc32.json", file({ vectors: crcs() })],
  ]);
}
