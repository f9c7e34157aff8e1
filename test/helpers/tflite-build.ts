/**
 * A small TFLite flatbuffer writer for tests: builds schema "TFL3" models op by op so importer tests
 * need no binary fixtures. Field slots and enum values follow tensorflow/lite/schema/schema.fbs and are
 * written down here independently of the importer's reader, so a wrong slot on either side shows up as
 * a failing test instead of cancelling out.
 *
 *   const m = new TfliteModelBuilder();
 *   const x = m.input("x", [1, 8, 8, 3]);
 *   const w = m.constant("w", [4, 3, 3, 3], codes, { type: "int8", scale: [...], zeroPoint: [...], dim: 0 });
 *   const y = m.op("CONV_2D", [x, w, b], [1, 8, 8, 4], { padding: "SAME", activation: "RELU" });
 *   m.output(y);
 *   const bytes = m.finish();
 */
import { Builder } from "flatbuffers";

/** Tensor index inside the (single) subgraph; -1 marks an omitted optional operator input. */
export type TensorRef = number;

export type TensorTypeName = "float32" | "float16" | "int32" | "uint8" | "int64" | "bool" | "int16" | "int8";

/** TensorType enum (schema.fbs). */
export const TENSOR_TYPES: Readonly<Record<TensorTypeName, number>> = {
  float32: 0,
  float16: 1,
  int32: 2,
  uint8: 3,
  int64: 4,
  bool: 6,
  int16: 7,
  int8: 9,
};

/** BuiltinOperator codes (schema.fbs) of the operators the tests write. */
export const BUILTIN_CODES = {
  ADD: 0,
  AVERAGE_POOL_2D: 1,
  CONCATENATION: 2,
  CONV_2D: 3,
  DEPTHWISE_CONV_2D: 4,
  DEQUANTIZE: 6,
  FULLY_CONNECTED: 9,
  LOGISTIC: 14,
  LSTM: 16,
  MAX_POOL_2D: 17,
  MUL: 18,
  RELU: 19,
  RELU_N1_TO_1: 20,
  RELU6: 21,
  RESHAPE: 22,
  RESIZE_BILINEAR: 23,
  SOFTMAX: 25,
  TANH: 28,
  CUSTOM: 32,
  PAD: 34,
  TRANSPOSE: 39,
  MEAN: 40,
  SUB: 41,
  DIV: 42,
  SQUEEZE: 43,
  STRIDED_SLICE: 45,
  SPLIT: 49,
  CAST: 53,
  PADV2: 60,
  TRANSPOSE_CONV: 67,
  SUM: 74,
  SHAPE: 77,
  REDUCE_MAX: 82,
  RESIZE_NEAREST_NEIGHBOR: 97,
  LEAKY_RELU: 98,
  QUANTIZE: 114,
  GELU: 150,
} as const;

export type OpName = keyof typeof BUILTIN_CODES;

/** BuiltinOptions union type indices (schema.fbs). */
export const BUILTIN_OPTIONS = {
  Conv2DOptions: 1,
  DepthwiseConv2DOptions: 2,
  Pool2DOptions: 5,
  FullyConnectedOptions: 8,
  SoftmaxOptions: 9,
  ConcatenationOptions: 10,
  AddOptions: 11,
  ResizeBilinearOptions: 15,
  ReshapeOptions: 17,
  MulOptions: 21,
  ReducerOptions: 27,
  SubOptions: 28,
  DivOptions: 29,
  StridedSliceOptions: 32,
  SplitOptions: 35,
  TransposeConvOptions: 49,
  ResizeNearestNeighborOptions: 74,
  LeakyReluOptions: 75,
} as const;

export type Padding = "SAME" | "VALID";
export type Activation = "NONE" | "RELU" | "RELU_N1_TO_1" | "RELU6" | "TANH";

const PADDING: Readonly<Record<Padding, number>> = { SAME: 0, VALID: 1 };
const ACTIVATION: Readonly<Record<Activation, number>> = {
  NONE: 0,
  RELU: 1,
  RELU_N1_TO_1: 2,
  RELU6: 3,
  TANH: 4,
};

export interface Conv2DOptions {
  padding?: Padding;
  strideW?: number;
  strideH?: number;
  activation?: Activation;
  dilationW?: number;
  dilationH?: number;
}

export interface DepthwiseConv2DOptions extends Conv2DOptions {
  depthMultiplier?: number;
}

export interface TransposeConvOptions {
  padding?: Padding;
  strideW?: number;
  strideH?: number;
  activation?: Activation;
}

export interface Pool2DOptions {
  padding?: Padding;
  strideW?: number;
  strideH?: number;
  filterWidth: number;
  filterHeight: number;
  activation?: Activation;
}

export interface FullyConnectedOptions {
  activation?: Activation;
  keepNumDims?: boolean;
}

export interface SoftmaxOptions {
  beta: number;
}

export interface ConcatenationOptions {
  axis: number;
  activation?: Activation;
}

/** AddOptions / SubOptions / MulOptions / DivOptions. */
export interface ArithmeticOptions {
  activation?: Activation;
}

export interface ReshapeOptions {
  newShape?: readonly number[];
}

export interface ReducerOptions {
  keepDims?: boolean;
}

export interface ResizeOptions {
  alignCorners?: boolean;
  halfPixelCenters?: boolean;
}

export interface LeakyReluOptions {
  alpha: number;
}

export interface StridedSliceOptions {
  beginMask?: number;
  endMask?: number;
  ellipsisMask?: number;
  newAxisMask?: number;
  shrinkAxisMask?: number;
}

export interface SplitOptions {
  numSplits: number;
}

/** The options table each builtin operator takes (operators not listed take none). */
export interface OpOptionsMap {
  CONV_2D: Conv2DOptions;
  DEPTHWISE_CONV_2D: DepthwiseConv2DOptions;
  TRANSPOSE_CONV: TransposeConvOptions;
  AVERAGE_POOL_2D: Pool2DOptions;
  MAX_POOL_2D: Pool2DOptions;
  FULLY_CONNECTED: FullyConnectedOptions;
  SOFTMAX: SoftmaxOptions;
  CONCATENATION: ConcatenationOptions;
  ADD: ArithmeticOptions;
  SUB: ArithmeticOptions;
  MUL: ArithmeticOptions;
  DIV: ArithmeticOptions;
  RESHAPE: ReshapeOptions;
  MEAN: ReducerOptions;
  SUM: ReducerOptions;
  REDUCE_MAX: ReducerOptions;
  RESIZE_BILINEAR: ResizeOptions;
  RESIZE_NEAREST_NEIGHBOR: ResizeOptions;
  LEAKY_RELU: LeakyReluOptions;
  STRIDED_SLICE: StridedSliceOptions;
  SPLIT: SplitOptions;
}

export type OptionsOf<K extends OpName> = K extends keyof OpOptionsMap ? OpOptionsMap[K] : undefined;

export interface QuantSpec {
  scale: readonly number[];
  zeroPoint: readonly number[];
  /** quantized_dimension (per-channel quantization axis). */
  dim?: number;
}

export interface TensorSpec {
  shape: readonly number[];
  type?: TensorTypeName;
  name?: string;
  quant?: QuantSpec;
}

export interface ConstantOptions extends Partial<QuantSpec> {
  type?: TensorTypeName;
  /** Raw buffer contents, written as-is instead of encoding `data` (for corrupt-file tests). */
  bytes?: Uint8Array;
  /** Buffer index the tensor refers to, instead of its own new buffer (for corrupt-file tests). */
  bufferIndex?: number;
}

/** Writes one options table; returns its offset. */
type OptionsWriter = (b: Builder) => number;

export interface OptionsEntry {
  type: number;
  write: OptionsWriter;
}

interface TensorDef {
  name: string;
  shape: readonly number[];
  type: number;
  buffer: number;
  quant?: QuantSpec;
}

interface OperatorDef {
  opcodeIndex: number;
  inputs: readonly number[];
  outputs: readonly number[];
  options?: OptionsEntry;
}

interface OpcodeDef {
  builtin: number;
  custom?: string;
}

/** IEEE 754 binary16 bits of `v`, rounding to nearest even. */
export function floatToHalf(v: number): number {
  const f = new Float32Array([v]);
  const bits = new Uint32Array(f.buffer)[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let h = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    if (rest > half || (rest === half && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && h & 1)) h++;
  return sign | h;
}

/** Little-endian bytes of `data` stored as TFLite type `type`. */
export function encodeTensorData(type: TensorTypeName, data: ArrayLike<number>): Uint8Array {
  const n = data.length;
  const size = { float32: 4, float16: 2, int32: 4, uint8: 1, int64: 8, bool: 1, int16: 2, int8: 1 }[type];
  const out = new Uint8Array(n * size);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < n; i++) {
    const v = data[i]!;
    switch (type) {
      case "float32":
        dv.setFloat32(4 * i, v, true);
        break;
      case "float16":
        dv.setUint16(2 * i, floatToHalf(v), true);
        break;
      case "int32":
        dv.setInt32(4 * i, v, true);
        break;
      case "int64":
        dv.setBigInt64(8 * i, BigInt(v), true);
        break;
      case "int16":
        dv.setInt16(2 * i, v, true);
        break;
      case "int8":
        dv.setInt8(i, v);
        break;
      case "uint8":
        dv.setUint8(i, v);
        break;
      case "bool":
        dv.setUint8(i, v ? 1 : 0);
        break;
    }
  }
  return out;
}

function activation(a: Activation | undefined): number {
  return ACTIVATION[a ?? "NONE"];
}

function table(b: Builder, fields: number, body: () => void): number {
  b.startObject(fields);
  body();
  return b.endObject();
}

function int32Vector(b: Builder, v: readonly number[]): number {
  b.startVector(4, v.length, 4);
  for (let i = v.length - 1; i >= 0; i--) b.addInt32(v[i]!);
  return b.endVector();
}

function float32Vector(b: Builder, v: readonly number[]): number {
  b.startVector(4, v.length, 4);
  for (let i = v.length - 1; i >= 0; i--) b.addFloat32(v[i]!);
  return b.endVector();
}

function int64Vector(b: Builder, v: readonly number[]): number {
  b.startVector(8, v.length, 8);
  for (let i = v.length - 1; i >= 0; i--) b.addInt64(BigInt(v[i]!));
  return b.endVector();
}

function offsetVector(b: Builder, v: readonly number[]): number {
  b.startVector(4, v.length, 4);
  for (let i = v.length - 1; i >= 0; i--) b.addOffset(v[i]!);
  return b.endVector();
}

/** Builds the options union entry of a builtin operator from its typed options. */
function optionsEntry(name: OpName, opts: unknown): OptionsEntry | undefined {
  const T = BUILTIN_OPTIONS;
  switch (name) {
    case "CONV_2D": {
      const o = (opts ?? {}) as Conv2DOptions;
      // Conv2DOptions: padding, stride_w, stride_h, fused_activation_function, dilation_w_factor, dilation_h_factor
      return {
        type: T.Conv2DOptions,
        write: (b) =>
          table(b, 6, () => {
            b.addFieldInt8(0, PADDING[o.padding ?? "SAME"], 0);
            b.addFieldInt32(1, o.strideW ?? 1, 0);
            b.addFieldInt32(2, o.strideH ?? 1, 0);
            b.addFieldInt8(3, activation(o.activation), 0);
            b.addFieldInt32(4, o.dilationW ?? 1, 1);
            b.addFieldInt32(5, o.dilationH ?? 1, 1);
          }),
      };
    }
    case "DEPTHWISE_CONV_2D": {
      const o = (opts ?? {}) as DepthwiseConv2DOptions;
      // DepthwiseConv2DOptions: padding, stride_w, stride_h, depth_multiplier, fused_activation_function,
      // dilation_w_factor, dilation_h_factor
      return {
        type: T.DepthwiseConv2DOptions,
        write: (b) =>
          table(b, 7, () => {
            b.addFieldInt8(0, PADDING[o.padding ?? "SAME"], 0);
            b.addFieldInt32(1, o.strideW ?? 1, 0);
            b.addFieldInt32(2, o.strideH ?? 1, 0);
            b.addFieldInt32(3, o.depthMultiplier ?? 1, 0);
            b.addFieldInt8(4, activation(o.activation), 0);
            b.addFieldInt32(5, o.dilationW ?? 1, 1);
            b.addFieldInt32(6, o.dilationH ?? 1, 1);
          }),
      };
    }
    case "TRANSPOSE_CONV": {
      const o = (opts ?? {}) as TransposeConvOptions;
      // TransposeConvOptions: padding, stride_w, stride_h, fused_activation_function
      return {
        type: T.TransposeConvOptions,
        write: (b) =>
          table(b, 4, () => {
            b.addFieldInt8(0, PADDING[o.padding ?? "SAME"], 0);
            b.addFieldInt32(1, o.strideW ?? 1, 0);
            b.addFieldInt32(2, o.strideH ?? 1, 0);
            b.addFieldInt8(3, activation(o.activation), 0);
          }),
      };
    }
    case "AVERAGE_POOL_2D":
    case "MAX_POOL_2D": {
      const o = opts as Pool2DOptions;
      // Pool2DOptions: padding, stride_w, stride_h, filter_width, filter_height, fused_activation_function
      return {
        type: T.Pool2DOptions,
        write: (b) =>
          table(b, 6, () => {
            b.addFieldInt8(0, PADDING[o.padding ?? "SAME"], 0);
            b.addFieldInt32(1, o.strideW ?? 1, 0);
            b.addFieldInt32(2, o.strideH ?? 1, 0);
            b.addFieldInt32(3, o.filterWidth, 0);
            b.addFieldInt32(4, o.filterHeight, 0);
            b.addFieldInt8(5, activation(o.activation), 0);
          }),
      };
    }
    case "FULLY_CONNECTED": {
      const o = (opts ?? {}) as FullyConnectedOptions;
      // FullyConnectedOptions: fused_activation_function, weights_format, keep_num_dims, asymmetric_quantize_inputs
      return {
        type: T.FullyConnectedOptions,
        write: (b) =>
          table(b, 4, () => {
            b.addFieldInt8(0, activation(o.activation), 0);
            b.addFieldInt8(2, o.keepNumDims ? 1 : 0, 0);
          }),
      };
    }
    case "SOFTMAX": {
      const o = opts as SoftmaxOptions;
      return { type: T.SoftmaxOptions, write: (b) => table(b, 1, () => b.addFieldFloat32(0, o.beta, 0)) };
    }
    case "CONCATENATION": {
      const o = opts as ConcatenationOptions;
      return {
        type: T.ConcatenationOptions,
        write: (b) =>
          table(b, 2, () => {
            b.addFieldInt32(0, o.axis, 0);
            b.addFieldInt8(1, activation(o.activation), 0);
          }),
      };
    }
    case "ADD":
    case "SUB":
    case "MUL":
    case "DIV": {
      const o = (opts ?? {}) as ArithmeticOptions;
      const type = { ADD: T.AddOptions, SUB: T.SubOptions, MUL: T.MulOptions, DIV: T.DivOptions }[name];
      return { type, write: (b) => table(b, 1, () => b.addFieldInt8(0, activation(o.activation), 0)) };
    }
    case "RESHAPE": {
      const o = opts as ReshapeOptions | undefined;
      if (!o?.newShape) return undefined;
      const shape = o.newShape;
      return {
        type: T.ReshapeOptions,
        write: (b) => {
          const v = int32Vector(b, shape);
          return table(b, 1, () => b.addFieldOffset(0, v, 0));
        },
      };
    }
    case "MEAN":
    case "SUM":
    case "REDUCE_MAX": {
      const o = (opts ?? {}) as ReducerOptions;
      return {
        type: T.ReducerOptions,
        write: (b) => table(b, 1, () => b.addFieldInt8(0, o.keepDims ? 1 : 0, 0)),
      };
    }
    case "RESIZE_BILINEAR": {
      const o = (opts ?? {}) as ResizeOptions;
      // ResizeBilinearOptions: new_height (deprecated), new_width (deprecated), align_corners, half_pixel_centers
      return {
        type: T.ResizeBilinearOptions,
        write: (b) =>
          table(b, 4, () => {
            b.addFieldInt8(2, o.alignCorners ? 1 : 0, 0);
            b.addFieldInt8(3, o.halfPixelCenters ? 1 : 0, 0);
          }),
      };
    }
    case "RESIZE_NEAREST_NEIGHBOR": {
      const o = (opts ?? {}) as ResizeOptions;
      // ResizeNearestNeighborOptions: align_corners, half_pixel_centers (no deprecated size fields)
      return {
        type: T.ResizeNearestNeighborOptions,
        write: (b) =>
          table(b, 2, () => {
            b.addFieldInt8(0, o.alignCorners ? 1 : 0, 0);
            b.addFieldInt8(1, o.halfPixelCenters ? 1 : 0, 0);
          }),
      };
    }
    case "LEAKY_RELU": {
      const o = opts as LeakyReluOptions;
      return { type: T.LeakyReluOptions, write: (b) => table(b, 1, () => b.addFieldFloat32(0, o.alpha, 0)) };
    }
    case "STRIDED_SLICE": {
      const o = (opts ?? {}) as StridedSliceOptions;
      // StridedSliceOptions: begin_mask, end_mask, ellipsis_mask, new_axis_mask, shrink_axis_mask
      return {
        type: T.StridedSliceOptions,
        write: (b) =>
          table(b, 5, () => {
            b.addFieldInt32(0, o.beginMask ?? 0, 0);
            b.addFieldInt32(1, o.endMask ?? 0, 0);
            b.addFieldInt32(2, o.ellipsisMask ?? 0, 0);
            b.addFieldInt32(3, o.newAxisMask ?? 0, 0);
            b.addFieldInt32(4, o.shrinkAxisMask ?? 0, 0);
          }),
      };
    }
    case "SPLIT": {
      const o = opts as SplitOptions;
      return { type: T.SplitOptions, write: (b) => table(b, 1, () => b.addFieldInt32(0, o.numSplits, 0)) };
    }
    default:
      return undefined;
  }
}

export class TfliteModelBuilder {
  private readonly tensors: TensorDef[] = [];
  /** Buffer contents by index; buffer 0 is the empty sentinel every TFLite file has. */
  private readonly buffers: (Uint8Array | undefined)[] = [undefined];
  private readonly opcodes: OpcodeDef[] = [];
  private readonly operators: OperatorDef[] = [];
  private readonly inputs: number[] = [];
  private readonly outputs: number[] = [];

  constructor(
    private readonly subgraphName = "main",
    private readonly description = "quart test model",
  ) {}

  /** Adds a tensor without data (an activation) and returns its index. */
  tensor(spec: TensorSpec): TensorRef {
    this.tensors.push({
      name: spec.name ?? `t${this.tensors.length}`,
      shape: [...spec.shape],
      type: TENSOR_TYPES[spec.type ?? "float32"],
      buffer: 0,
      ...(spec.quant ? { quant: spec.quant } : {}),
    });
    return this.tensors.length - 1;
  }

  /** A subgraph input. */
  input(name: string, shape: readonly number[], type: TensorTypeName = "float32"): TensorRef {
    const t = this.tensor({ name, shape, type });
    this.inputs.push(t);
    return t;
  }

  /** A constant tensor backed by its own buffer. Integer types take the stored codes as `data`. */
  constant(
    name: string,
    shape: readonly number[],
    data: ArrayLike<number>,
    opts: ConstantOptions = {},
  ): TensorRef {
    const type = opts.type ?? "float32";
    let buffer = opts.bufferIndex;
    if (buffer === undefined) {
      this.buffers.push(opts.bytes ?? encodeTensorData(type, data));
      buffer = this.buffers.length - 1;
    }
    const quant =
      opts.scale && opts.zeroPoint
        ? { scale: opts.scale, zeroPoint: opts.zeroPoint, dim: opts.dim ?? 0 }
        : undefined;
    this.tensors.push({
      name,
      shape: [...shape],
      type: TENSOR_TYPES[type],
      buffer,
      ...(quant ? { quant } : {}),
    });
    return this.tensors.length - 1;
  }

  /** Marks tensors as subgraph outputs. */
  output(...ts: TensorRef[]): void {
    this.outputs.push(...ts);
  }

  /** The operator_codes index for a builtin (by name or code) or a custom operator, added once. */
  opcode(builtin: OpName | number, custom?: string): number {
    const code = typeof builtin === "number" ? builtin : BUILTIN_CODES[builtin];
    const found = this.opcodes.findIndex((o) => o.builtin === code && o.custom === custom);
    if (found >= 0) return found;
    this.opcodes.push({ builtin: code, ...(custom !== undefined ? { custom } : {}) });
    return this.opcodes.length - 1;
  }

  /** Low-level operator: any opcode index (even out of range) and tensor indices, written as given. */
  operator(
    opcodeIndex: number,
    inputs: readonly number[],
    outputs: readonly number[],
    options?: OptionsEntry,
  ): void {
    this.operators.push({
      opcodeIndex,
      inputs: [...inputs],
      outputs: [...outputs],
      ...(options ? { options } : {}),
    });
  }

  /** A builtin operator with one output of the given shape (or spec); returns the output tensor. */
  op<K extends OpName>(
    name: K,
    inputs: readonly TensorRef[],
    out: readonly number[] | TensorSpec,
    options?: OptionsOf<K>,
  ): TensorRef {
    return this.opMulti(name, inputs, [out], options)[0]!;
  }

  /** A builtin operator with several outputs (SPLIT); returns the output tensors. */
  opMulti<K extends OpName>(
    name: K,
    inputs: readonly TensorRef[],
    outs: readonly (readonly number[] | TensorSpec)[],
    options?: OptionsOf<K>,
  ): TensorRef[] {
    const outputs = outs.map((o, k) =>
      this.tensor(
        isSpec(o)
          ? { name: `${name.toLowerCase()}_${this.operators.length}_${k}`, ...o }
          : { name: `${name.toLowerCase()}_${this.operators.length}_${k}`, shape: o },
      ),
    );
    this.operator(this.opcode(name), inputs, outputs, optionsEntry(name, options));
    return outputs;
  }

  /** A CUSTOM operator with the given custom_code. */
  customOp(code: string, inputs: readonly TensorRef[], out: readonly number[] | TensorSpec): TensorRef {
    const t = this.tensor(isSpec(out) ? out : { shape: out });
    this.operator(this.opcode("CUSTOM", code), inputs, [t]);
    return t;
  }

  /** Serializes the model (schema TFL3). */
  finish(): Uint8Array {
    const b = new Builder(1024);

    const buffers = this.buffers.map((data) => {
      let vec = 0;
      if (data) {
        // TFLite aligns buffer data to 16 bytes.
        b.startVector(1, data.length, 16);
        for (let i = data.length - 1; i >= 0; i--) b.addInt8(data[i]!);
        vec = b.endVector();
      }
      return table(b, 3, () => {
        if (vec) b.addFieldOffset(0, vec, 0);
      });
    });

    const tensors = this.tensors.map((t) => {
      const shape = int32Vector(b, t.shape);
      const name = b.createString(t.name);
      let quant = 0;
      if (t.quant) {
        const scale = float32Vector(b, t.quant.scale);
        const zp = int64Vector(b, t.quant.zeroPoint);
        // QuantizationParameters: min, max, scale, zero_point, details_type, details, quantized_dimension
        quant = table(b, 7, () => {
          b.addFieldOffset(2, scale, 0);
          b.addFieldOffset(3, zp, 0);
          b.addFieldInt32(6, t.quant!.dim ?? 0, 0);
        });
      }
      // Tensor: shape, type, buffer, name, quantization
      return table(b, 5, () => {
        b.addFieldOffset(0, shape, 0);
        b.addFieldInt8(1, t.type, 0);
        b.addFieldInt32(2, t.buffer, 0);
        b.addFieldOffset(3, name, 0);
        if (quant) b.addFieldOffset(4, quant, 0);
      });
    });

    const operators = this.operators.map((op) => {
      const inputs = int32Vector(b, op.inputs);
      const outputs = int32Vector(b, op.outputs);
      const options = op.options ? op.options.write(b) : 0;
      // Operator: opcode_index, inputs, outputs, builtin_options_type, builtin_options
      return table(b, 5, () => {
        b.addFieldInt32(0, op.opcodeIndex, 0);
        b.addFieldOffset(1, inputs, 0);
        b.addFieldOffset(2, outputs, 0);
        if (op.options) {
          b.addFieldInt8(3, op.options.type, 0);
          b.addFieldOffset(4, options, 0);
        }
      });
    });

    const opcodes = this.opcodes.map((oc) => {
      const custom = oc.custom !== undefined ? b.createString(oc.custom) : 0;
      // OperatorCode: deprecated_builtin_code (int8), custom_code, version, builtin_code (int32)
      return table(b, 4, () => {
        b.addFieldInt8(0, Math.min(oc.builtin, 127), 0);
        if (custom) b.addFieldOffset(1, custom, 0);
        b.addFieldInt32(2, 1, 1);
        b.addFieldInt32(3, oc.builtin, 0);
      });
    });

    const tensorVec = offsetVector(b, tensors);
    const inputVec = int32Vector(b, this.inputs);
    const outputVec = int32Vector(b, this.outputs);
    const operatorVec = offsetVector(b, operators);
    const sgName = b.createString(this.subgraphName);
    // SubGraph: tensors, inputs, outputs, operators, name
    const subgraph = table(b, 5, () => {
      b.addFieldOffset(0, tensorVec, 0);
      b.addFieldOffset(1, inputVec, 0);
      b.addFieldOffset(2, outputVec, 0);
      b.addFieldOffset(3, operatorVec, 0);
      b.addFieldOffset(4, sgName, 0);
    });

    const opcodeVec = offsetVector(b, opcodes);
    const subgraphVec = offsetVector(b, [subgraph]);
    const description = b.createString(this.description);
    const bufferVec = offsetVector(b, buffers);
    // Model: version, operator_codes, subgraphs, description, buffers
    const model = table(b, 5, () => {
      b.addFieldInt32(0, 3, 0);
      b.addFieldOffset(1, opcodeVec, 0);
      b.addFieldOffset(2, subgraphVec, 0);
      b.addFieldOffset(3, description, 0);
      b.addFieldOffset(4, bufferVec, 0);
    });
    b.finish(model, "TFL3");
    return b.asUint8Array().slice();
  }
}

function isSpec(o: readonly number[] | TensorSpec): o is TensorSpec {
  return !Array.isArray(o);
}
