/** Protobuf decoding of an ONNX file, with errors that say where the bytes stop making sense. */
import protobuf from "protobufjs";
import { GraphError } from "../ir/graph.js";
import { type Int64Like, type ModelProto, onnxType } from "./onnx-schema.js";

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

function toBigInt(v: Int64Like): bigint {
  if (typeof v === "bigint") return v;
  if (typeof v === "number") return BigInt(v);
  const bits = (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
  return v.unsigned ? bits : BigInt.asIntN(64, bits);
}

/**
 * A 64-bit integer as a JS number. Exporters write INT64_MAX / INT64_MIN as "unbounded"
 * (Slice ends, for instance); those become ±Infinity so clamping still works. Any other value
 * beyond 2^53 cannot be represented exactly and is refused.
 */
export function narrowInt64(v: Int64Like | undefined, what: string): number {
  if (v === undefined) return 0;
  if (typeof v === "number") {
    if (!Number.isSafeInteger(v)) throw new GraphError(`${what}: integer ${v} is out of the safe range`);
    return v;
  }
  if (
    typeof v === "object" &&
    ((v.high === 0 && v.low >= 0) || (v.high === -1 && v.low < 0 && !v.unsigned))
  ) {
    return v.low;
  }
  const big = toBigInt(v);
  if (big === INT64_MAX || (typeof v === "object" && v.unsigned && big === (1n << 64n) - 1n)) return Infinity;
  if (big === INT64_MIN) return -Infinity;
  if (big > BigInt(Number.MAX_SAFE_INTEGER) || big < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new GraphError(`${what}: integer ${big} is beyond ±2^53 and cannot be imported exactly`);
  }
  return Number(big);
}

/** A 64-bit integer that must be a finite count or index (dims, versions). */
export function finiteInt64(v: Int64Like | undefined, what: string): number {
  const n = narrowInt64(v, what);
  if (!Number.isFinite(n)) throw new GraphError(`${what}: integer is out of range`);
  return n;
}

function notOnnx(detail: string): GraphError {
  return new GraphError(`not a valid ONNX model: ${detail}`);
}

/**
 * Walks the wire format along the schema to find the first field whose bytes are broken; only
 * used after protobufjs failed, to turn "index out of range" into a field path.
 */
function locateDamage(type: protobuf.Type, bytes: Uint8Array, path: string): string | undefined {
  const reader = protobuf.Reader.create(bytes);
  const counts = new Map<number, number>();
  while (reader.pos < reader.len) {
    let tag: number;
    try {
      tag = reader.uint32();
    } catch {
      return `${path || "ModelProto"} (truncated field tag at byte ${reader.pos})`;
    }
    const id = tag >>> 3;
    const wire = tag & 7;
    const field = type.fieldsById[id];
    const k = counts.get(id) ?? 0;
    counts.set(id, k + 1);
    const here = field ? `${path ? `${path}.` : ""}${field.name}${field.repeated ? `[${k}]` : ""}` : path;
    if (id === 0 || wire > 5) return `${here || "ModelProto"} (invalid tag ${tag})`;
    if (wire === 2) {
      let len: number;
      try {
        len = reader.uint32();
      } catch {
        return `${here} (truncated length)`;
      }
      if (reader.pos + len > reader.len) {
        // Descend into what is there: the innermost cut field is the useful one to name.
        field?.resolve();
        if (field && field.resolvedType instanceof protobuf.Type) {
          const inner = locateDamage(field.resolvedType, bytes.subarray(reader.pos), here);
          if (inner) return inner;
        }
        return `${here} (declares ${len} bytes, only ${reader.len - reader.pos} remain: file truncated?)`;
      }
      const sub = bytes.subarray(reader.pos, reader.pos + len);
      reader.skip(len);
      field?.resolve();
      if (field && field.resolvedType instanceof protobuf.Type) {
        const inner = locateDamage(field.resolvedType, sub, here);
        if (inner) return inner;
      }
      continue;
    }
    if (field?.resolve().resolvedType instanceof protobuf.Type && wire !== 3) {
      return `${here} (expected a message, found wire type ${wire})`;
    }
    try {
      reader.skipType(wire);
    } catch {
      return `${here} (truncated value)`;
    }
  }
  return undefined;
}

/** Decodes ModelProto bytes; any failure is a GraphError saying the file is not a valid ONNX model. */
export function decodeOnnxModel(bytes: Uint8Array): ModelProto {
  if (!(bytes instanceof Uint8Array)) throw notOnnx("expected the file contents as a Uint8Array");
  if (bytes.length === 0) throw notOnnx("the file is empty");
  const type = onnxType("ModelProto");
  let model: ModelProto;
  try {
    model = type.decode(bytes) as unknown as ModelProto;
  } catch (e) {
    const where = locateDamage(type, bytes, "");
    throw notOnnx(`${(e as Error).message}${where ? ` at ${where}` : ""}`);
  }
  if (!model.graph) throw notOnnx("ModelProto.graph is missing (is this an ONNX file?)");
  return model;
}
