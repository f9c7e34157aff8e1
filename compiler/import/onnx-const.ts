/**
 * Constant tensors as the importer sees them before they become IR initializers. Integer data is kept
 * as exact JS numbers (Float64Array) so int64 shape math (and the ±Infinity "unbounded" sentinels)
 * folds without overflow; narrowing to int32 happens only when a constant reaches the IR.
 */
import { GraphError } from "../ir/graph.js";
import { type DType, formatShape, sizeOf, type Tensor, tensor } from "../ir/tensor.js";
import { finiteInt64, narrowInt64 } from "./onnx-decode.js";
import { dataTypeName, OnnxDataType, type TensorProto } from "./onnx-schema.js";

export type ConstKind = "float" | "int" | "bool";

export interface ConstTensor {
  readonly kind: ConstKind;
  /** The ONNX element type it came from (decides the IR dtype of integer tensors). */
  readonly dataType: number;
  readonly shape: readonly number[];
  /** float → Float32Array; int and bool → Float64Array of exact integers (bool: 0/1). */
  readonly data: Float32Array | Float64Array;
  /** Name to give the initializer when it is materialized. */
  readonly name?: string;
}

const FLOAT_TYPES: ReadonlySet<number> = new Set([
  OnnxDataType.FLOAT,
  OnnxDataType.FLOAT16,
  OnnxDataType.DOUBLE,
  OnnxDataType.BFLOAT16,
]);
const INT_TYPES: ReadonlySet<number> = new Set([
  OnnxDataType.UINT8,
  OnnxDataType.INT8,
  OnnxDataType.UINT16,
  OnnxDataType.INT16,
  OnnxDataType.INT32,
  OnnxDataType.INT64,
  OnnxDataType.UINT32,
  OnnxDataType.UINT64,
]);

export function kindOfDataType(code: number, what: string): ConstKind {
  if (FLOAT_TYPES.has(code)) return "float";
  if (INT_TYPES.has(code)) return "int";
  if (code === OnnxDataType.BOOL) return "bool";
  throw new GraphError(`${what}: element type ${dataTypeName(code)} is not supported`);
}

/** The IR dtype an ONNX element type maps to. */
export function irDTypeOf(code: number, what: string): DType {
  const kind = kindOfDataType(code, what);
  if (kind === "float") return "float32";
  if (kind === "bool") return "bool";
  if (code === OnnxDataType.INT8) return "int8";
  if (code === OnnxDataType.UINT8) return "uint8";
  return "int32";
}

/** A representative ONNX data type for an IR dtype (used for runtime values). */
export function dataTypeOfIr(dtype: DType): number {
  switch (dtype) {
    case "float32":
      return OnnxDataType.FLOAT;
    case "int8":
      return OnnxDataType.INT8;
    case "uint8":
      return OnnxDataType.UINT8;
    case "bool":
      return OnnxDataType.BOOL;
    case "int32":
      return OnnxDataType.INT64;
  }
}

function half(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? Number.NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function bfloat16(bits: number): number {
  const buf = new DataView(new ArrayBuffer(4));
  buf.setUint32(0, (bits & 0xffff) << 16);
  return buf.getFloat32(0);
}

/** Element size in bytes of raw_data for each supported type. */
const RAW_SIZE: Readonly<Record<number, number>> = {
  [OnnxDataType.FLOAT]: 4,
  [OnnxDataType.UINT8]: 1,
  [OnnxDataType.INT8]: 1,
  [OnnxDataType.UINT16]: 2,
  [OnnxDataType.INT16]: 2,
  [OnnxDataType.INT32]: 4,
  [OnnxDataType.INT64]: 8,
  [OnnxDataType.BOOL]: 1,
  [OnnxDataType.FLOAT16]: 2,
  [OnnxDataType.DOUBLE]: 8,
  [OnnxDataType.UINT32]: 4,
  [OnnxDataType.UINT64]: 8,
  [OnnxDataType.BFLOAT16]: 2,
};

const LITTLE_ENDIAN_HOST = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

function fromRaw(raw: Uint8Array, code: number, n: number, what: string): Float32Array | Float64Array {
  const size = RAW_SIZE[code]!;
  if (raw.length !== n * size) {
    throw new GraphError(
      `${what}: raw_data has ${raw.length} bytes, ${n} × ${dataTypeName(code)} needs ${n * size}`,
    );
  }
  if (code === OnnxDataType.FLOAT && LITTLE_ENDIAN_HOST) {
    // The bulk of every model: copy the bytes (also realigns them) instead of decoding one by one.
    return new Float32Array(new Uint8Array(raw).buffer);
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const isFloat = FLOAT_TYPES.has(code);
  const out = isFloat ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * size;
    switch (code) {
      case OnnxDataType.FLOAT:
        out[i] = view.getFloat32(o, true);
        break;
      case OnnxDataType.DOUBLE:
        out[i] = view.getFloat64(o, true);
        break;
      case OnnxDataType.FLOAT16:
        out[i] = half(view.getUint16(o, true));
        break;
      case OnnxDataType.BFLOAT16:
        out[i] = bfloat16(view.getUint16(o, true));
        break;
      case OnnxDataType.UINT8:
        out[i] = view.getUint8(o);
        break;
      case OnnxDataType.BOOL:
        out[i] = view.getUint8(o) ? 1 : 0;
        break;
      case OnnxDataType.INT8:
        out[i] = view.getInt8(o);
        break;
      case OnnxDataType.UINT16:
        out[i] = view.getUint16(o, true);
        break;
      case OnnxDataType.INT16:
        out[i] = view.getInt16(o, true);
        break;
      case OnnxDataType.INT32:
        out[i] = view.getInt32(o, true);
        break;
      case OnnxDataType.UINT32:
        out[i] = view.getUint32(o, true);
        break;
      case OnnxDataType.INT64:
        out[i] = narrowInt64(view.getBigInt64(o, true), `${what}[${i}]`);
        break;
      case OnnxDataType.UINT64:
        out[i] = narrowInt64(view.getBigUint64(o, true), `${what}[${i}]`);
        break;
    }
  }
  return out;
}

/** Decodes a TensorProto (initializer or attribute) into a constant. */
export function constFromTensorProto(t: TensorProto, what: string): ConstTensor {
  const name = t.name || undefined;
  const label = name ? `${what} "${name}"` : what;
  if (t.data_location === 1 || (t.external_data?.length ?? 0) > 0) {
    const loc = t.external_data?.find((e) => e.key === "location")?.value;
    throw new GraphError(
      `${label} keeps its data in an external file${loc ? ` ("${loc}")` : ""}; external data is not supported — ` +
        "re-save the model with all tensors embedded",
    );
  }
  if (t.segment) throw new GraphError(`${label} is a segmented tensor, which is not supported`);
  const code = t.data_type ?? 0;
  const kind = kindOfDataType(code, label);
  const shape = (t.dims ?? []).map((d, i) => {
    const v = finiteInt64(d, `${label} dims[${i}]`);
    if (v < 0) throw new GraphError(`${label}: negative dimension ${v}`);
    return v;
  });
  const n = sizeOf(shape);
  let data: Float32Array | Float64Array;
  const raw = t.raw_data;
  if (raw && raw.length > 0) data = fromRaw(raw, code, n, label);
  else if (code === OnnxDataType.FLOAT) data = Float32Array.from(t.float_data ?? []);
  else if (code === OnnxDataType.DOUBLE) data = Float32Array.from(t.double_data ?? []);
  else if (code === OnnxDataType.FLOAT16) data = Float32Array.from(t.int32_data ?? [], half);
  else if (code === OnnxDataType.BFLOAT16) data = Float32Array.from(t.int32_data ?? [], bfloat16);
  else if (code === OnnxDataType.INT64) {
    data = Float64Array.from(t.int64_data ?? [], (v, i) => narrowInt64(v, `${label}[${i}]`));
  } else if (code === OnnxDataType.UINT32 || code === OnnxDataType.UINT64) {
    data = Float64Array.from(t.uint64_data ?? [], (v, i) => narrowInt64(v, `${label}[${i}]`));
  } else if (code === OnnxDataType.BOOL) data = Float64Array.from(t.int32_data ?? [], (v) => (v ? 1 : 0));
  else data = Float64Array.from(t.int32_data ?? []);
  if (data.length !== n) {
    throw new GraphError(`${label} has ${data.length} values but its shape ${formatShape(shape)} needs ${n}`);
  }
  return { kind, dataType: code, shape, data, ...(name ? { name } : {}) };
}

export function makeConst(
  kind: ConstKind,
  shape: readonly number[],
  values: ArrayLike<number>,
  dataType?: number,
): ConstTensor {
  const code =
    dataType ??
    (kind === "float" ? OnnxDataType.FLOAT : kind === "int" ? OnnxDataType.INT64 : OnnxDataType.BOOL);
  const data = kind === "float" ? Float32Array.from(values) : Float64Array.from(values);
  if (data.length !== sizeOf(shape)) {
    throw new GraphError(
      `constant has ${data.length} values but shape ${formatShape(shape)} needs ${sizeOf(shape)}`,
    );
  }
  return { kind, dataType: code, shape: [...shape], data };
}

export function floatConst(shape: readonly number[], values: ArrayLike<number>): ConstTensor {
  return makeConst("float", shape, values);
}

export function intConst(shape: readonly number[], values: ArrayLike<number>): ConstTensor {
  return makeConst("int", shape, values);
}

/** The constant as an IR tensor; integers must fit the IR's int32 storage. */
export function constToTensor(c: ConstTensor, what: string): Tensor {
  const dtype = irDTypeOf(c.dataType, what);
  if (dtype === "float32")
    return tensor("float32", c.shape, c.data instanceof Float32Array ? c.data : Float32Array.from(c.data));
  const out = new Int32Array(c.data.length);
  for (let i = 0; i < c.data.length; i++) {
    const v = c.data[i]!;
    if (!Number.isInteger(v) || v > 0x7fffffff || v < -0x80000000) {
      throw new GraphError(`${what}: value ${v} at index ${i} does not fit the IR's 32-bit integers`);
    }
    out[i] = v;
  }
  return tensor(dtype, c.shape, out);
}

/** The values of a constant as plain integers (shape inputs, axes, pads...). */
export function constInts(c: ConstTensor, what: string): number[] {
  if (c.kind === "float") throw new GraphError(`${what} must be an integer tensor, got floats`);
  return Array.from(c.data);
}

export function constScalar(c: ConstTensor, what: string): number {
  if (c.data.length !== 1)
    throw new GraphError(`${what} must be a single value, got shape ${formatShape(c.shape)}`);
  return c.data[0]!;
}
