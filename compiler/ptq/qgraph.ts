/**
 * The quantized graph: what the quantizer produces and every integer executor (golden model, ISA
 * simulator, RTL) runs. Its arithmetic is specified in docs/arithmetic.md; the field names follow it.
 */
import type { Pads2d } from "../ir/graph.js";

/** 4-bit codes decoded by a per-channel table of 16 int8 values (`lut[c*16 + q]`). */
export interface Lut4Encoding {
  kind: "lut4";
  channels: number;
  lut: Int8Array;
  /** Per channel, the code whose table entry is 0 (written by padding). */
  zeroCode: Uint8Array;
  /** Per channel, the real value of one decoded unit (compile-time only). */
  scales: Float64Array;
}

/** 8-bit codes: decoded v = q − 128, real = scales[c]·(v − zeros[c]). */
export interface Lin8Encoding {
  kind: "lin8";
  channels: number;
  scales: Float64Array;
  zeros: Int32Array;
}

/** Raw int32 accumulators (network outputs): real = scales[c]·acc. */
export interface Acc32Encoding {
  kind: "acc32";
  channels: number;
  scales: Float64Array;
}

export type Encoding = Lut4Encoding | Lin8Encoding | Acc32Encoding;

export interface QValue {
  name: string;
  /** NCHW. */
  shape: number[];
  enc: Encoding;
}

export type Activation =
  | { kind: "none" }
  | { kind: "relu" }
  | { kind: "leaky"; alpha: number; alphaQ16: number };

export type OutputStage =
  /** q = #{k : acc ≥ thresholds[c*15 + k]} → lut4 codes. */
  | { kind: "threshold"; thresholds: Int32Array }
  /** q = clamp(((f(acc)·multiplier[c] + 2^(shift[c]−1)) >> shift[c]) + zeros[c] + 128, 0, 255) → lin8 codes. */
  | { kind: "requant"; multiplier: Int32Array; shift: Int32Array; zeros: Int32Array }
  /** The accumulator is the output. */
  | { kind: "acc32" };

export interface QConv {
  op: "conv";
  name: string;
  input: string;
  output: string;
  weightBits: 4 | 8;
  /** O × C/group × kh × kw, signed. */
  weights: Int8Array;
  weightShape: [number, number, number, number];
  bias: Int32Array;
  strides: [number, number];
  pads: Pads2d;
  dilations: [number, number];
  group: number;
  act: Activation;
  stage: OutputStage;
  /** Real value of one accumulator unit per output channel (compile-time information). */
  accScales: Float64Array;
}

/** Bilinear align_corners resize in the decoded domain with 8-bit fixed-point weights. */
export interface QResize {
  op: "resize";
  name: string;
  input: string;
  output: string;
  size: [number, number];
  stage: OutputStage;
}

/** Channel concatenation of lut4 tensors: codes and tables are carried over unchanged. */
export interface QConcat {
  op: "concat";
  name: string;
  inputs: string[];
  output: string;
}

export type QNode = QConv | QResize | QConcat;

export interface QGraph {
  name: string;
  input: string;
  output: string;
  values: Map<string, QValue>;
  nodes: QNode[];
  metadata: Record<string, string | number>;
}

/** Codes of a tensor: one byte per element (4-bit codes unpacked) or int32 for acc32. */
export type Codes = Uint8Array | Int32Array;

export const LUT_LEVELS = 16;
export const THRESHOLDS = LUT_LEVELS - 1;
