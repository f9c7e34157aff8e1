/**
 * Byte encoding of a QGraph: MessagePack (msgpackr) with every typed array stored as
 * `{ t: <type>, b: <bytes> }` so the encoding is explicit and independent of msgpackr extensions.
 * The model blob carries this as its graph section; `.qgraph` files wrap it with a small header.
 */
import { createHash } from "node:crypto";
import { pack, unpack } from "msgpackr";
import { GraphError } from "../ir/graph.js";
import type { QGraph } from "./qgraph.js";

export const QGRAPH_CODEC_VERSION = 1;
const MAGIC = "QUARTQG\0";

type Typed = Int8Array | Uint8Array | Int32Array | Float64Array;
const TYPES: Record<string, new (b: ArrayBuffer) => Typed> = {
  i8: Int8Array,
  u8: Uint8Array,
  i32: Int32Array,
  f64: Float64Array,
};

function typeTag(v: Typed): string {
  if (v instanceof Int8Array) return "i8";
  if (v instanceof Uint8Array) return "u8";
  if (v instanceof Int32Array) return "i32";
  return "f64";
}

function toPlain(v: unknown): unknown {
  if (
    v instanceof Int8Array ||
    v instanceof Uint8Array ||
    v instanceof Int32Array ||
    v instanceof Float64Array
  ) {
    return { t: typeTag(v), b: new Uint8Array(v.buffer, v.byteOffset, v.byteLength).slice() };
  }
  if (v instanceof Map) return { t: "map", e: [...v.entries()].map(([k, x]) => [k, toPlain(x)]) };
  if (Array.isArray(v)) return v.map(toPlain);
  if (v && typeof v === "object")
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toPlain(x)]));
  return v;
}

function fromPlain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(fromPlain);
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if (typeof o.t === "string" && o.b instanceof Uint8Array) {
      const ctor = TYPES[o.t];
      if (!ctor) throw new GraphError(`quantized graph: unknown array type "${o.t}"`);
      const copy = o.b.slice();
      return new ctor(copy.buffer);
    }
    if (o.t === "map" && Array.isArray(o.e))
      return new Map((o.e as [string, unknown][]).map(([k, x]) => [k, fromPlain(x)]));
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, fromPlain(x)]));
  }
  return v;
}

export function encodeQGraph(g: QGraph): Uint8Array {
  return pack({ version: QGRAPH_CODEC_VERSION, graph: toPlain(g) });
}

export function decodeQGraph(bytes: Uint8Array): QGraph {
  let doc: { version?: number; graph?: unknown };
  try {
    doc = unpack(bytes) as typeof doc;
  } catch (e) {
    throw new GraphError(`quantized graph section is not valid MessagePack (${(e as Error).message})`);
  }
  if (doc?.version !== QGRAPH_CODEC_VERSION) {
    throw new GraphError(
      `quantized graph encoding version ${doc?.version} is not supported (expected ${QGRAPH_CODEC_VERSION})`,
    );
  }
  const g = fromPlain(doc.graph) as QGraph;
  if (!g || !(g.values instanceof Map) || !Array.isArray(g.nodes) || typeof g.input !== "string") {
    throw new GraphError("quantized graph section is missing its values, nodes or input");
  }
  return g;
}

/** `.qgraph` file: magic, SHA-256 of the payload, payload. */
export function encodeQGraphFile(g: QGraph): Uint8Array {
  const payload = encodeQGraph(g);
  const digest = createHash("sha256").update(payload).digest();
  const out = new Uint8Array(MAGIC.length + 32 + payload.length);
  out.set(Buffer.from(MAGIC, "latin1"), 0);
  out.set(digest, MAGIC.length);
  out.set(payload, MAGIC.length + 32);
  return out;
}

export function isQGraphFile(bytes: Uint8Array): boolean {
  return (
    bytes.length >= MAGIC.length && Buffer.from(bytes.subarray(0, MAGIC.length)).toString("latin1") === MAGIC
  );
}

export function decodeQGraphFile(bytes: Uint8Array, name = "quantized graph"): QGraph {
  if (!isQGraphFile(bytes)) throw new GraphError(`${name}: not a quart quantized graph (bad magic)`);
  if (bytes.length < MAGIC.length + 32) throw new GraphError(`${name}: truncated header`);
  const digest = bytes.subarray(MAGIC.length, MAGIC.length + 32);
  const payload = bytes.subarray(MAGIC.length + 32);
  const actual = createHash("sha256").update(payload).digest();
  if (!actual.equals(Buffer.from(digest)))
    throw new GraphError(`${name}: SHA-256 mismatch (file corrupted or truncated)`);
  return decodeQGraph(payload);
}
