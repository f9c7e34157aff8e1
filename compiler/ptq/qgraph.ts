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
  /**
   * q = clamp(((f(acc)·multiplier[c] + 2^(shift[c]−1)) >> shift[c]) + zeros[c] + 128, 0, 255) → lin8
   * codes; with `table`, q := table[q] afterwards (a 256-entry code map: GELU and other non-monotone
   * functions of an 8-bit pre-activation, docs/arithmetic.md §3).
   */
  | { kind: "requant"; multiplier: Int32Array; shift: Int32Array; zeros: Int32Array; table?: Uint8Array }
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
  /** int32 added per output element [o][y][x] before the stage (a position embedding). */
  pixelBias?: Int32Array;
  /** A non-monotone function the stage applies after `act` (its thresholds or code table hold it). */
  fn?: "gelu";
}

/**
 * Elementwise sum of two tensors of the same shape: acc = bias[c] + ka[c]·v_a + kb[c]·v_b with the
 * decoded values v (lin8: q − 128), then the stage (docs/arithmetic.md §4).
 */
export interface QAdd {
  op: "add";
  name: string;
  inputs: [string, string];
  output: string;
  ka: Int8Array;
  kb: Int8Array;
  bias: Int32Array;
  stage: OutputStage;
  accScales: Float64Array;
}

/**
 * LayerNorm over channels at every pixel, without affine (folded into the next linear layer):
 * a = round((C·v_c − Σv) · 2^NORM_FRAC / isqrt(C·Σv² − (Σv)² + eps)), then the stage.
 */
export interface QNorm {
  op: "norm";
  name: string;
  input: string;
  output: string;
  /** eps in the integer variance domain (C²·eps / s²), ≥ 1. */
  eps: number;
  stage: OutputStage;
}

/**
 * Multi-head self-attention on a channel-major qkv tensor (docs/arithmetic.md §5): scores on the
 * matrix unit with k as transposed offset-binary weights, integer softmax on the vector unit, then
 * P·V with v as offset-binary weights.
 */
export interface QAttention {
  op: "attention";
  name: string;
  input: string;
  output: string;
  heads: number;
  /** The float model's logit scale (compile-time; folded into smaxM/smaxN). */
  scale: number;
  /** Softmax multiplier per head: log2-domain distance u = (max − s)·m >> n, units 2^−8. */
  smaxM: Int32Array;
  smaxN: Int32Array;
  /** Encoding of the probabilities (one channel, shared by every key); its stage reads p in units 2^−15. */
  pEnc: Encoding;
  pStage: OutputStage;
  /** Weight bits of k and v as matrix-unit operands (4: lut4 codes, 8: lin8 codes). */
  kvBits: 4 | 8;
  /** Output stage per output channel (head-major, as the output tensor). */
  stage: OutputStage;
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

export type QNode = QConv | QResize | QConcat | QAdd | QNorm | QAttention;

/** The tensors a node reads. */
export function nodeInputs(node: QNode): readonly string[] {
  return node.op === "concat" || node.op === "add" ? node.inputs : [node.input];
}

/** Fraction bits of the normalized values QNorm hands its stage. */
export const NORM_FRAC = 12;
/** Fraction bits of the softmax probabilities handed to the P stage. */
export const SMAX_PROB_FRAC = 15;

/** 2^15 · 2^(−f/256) rounded, f ∈ 0..255: the vector unit's exp2 ROM. */
export const EXP2_TABLE: Uint16Array = Uint16Array.from({ length: 256 }, (_, f) =>
  Math.round(32768 * 2 ** (-f / 256)),
);

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
