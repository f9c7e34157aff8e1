/**
 * Quantization of the transformer operators (docs/arithmetic.md §4–5): residual adds, channel
 * LayerNorm, multi-head attention with its qkv encoding, and GELU folded into a conv's output stage.
 * Each function turns float calibration tensors into integer parameters; the quantizer runs them in
 * graph order like the convolutions.
 */
import { gelu } from "../exec/elementwise.js";
import { GraphError } from "../ir/graph.js";
import type { Tensor } from "../ir/tensor.js";
import { chooseLevels, lin8Range, lin8Zero } from "./codebook.js";
import { fixedPoint, lin8Encoding, lut4Encoding, outputStageFor, sampleChannels } from "./encodings.js";
import {
  type Encoding,
  LUT_LEVELS,
  NORM_FRAC,
  type OutputStage,
  type QAdd,
  type QAttention,
  type QNorm,
  type QValue,
  SMAX_PROB_FRAC,
  THRESHOLDS,
} from "./qgraph.js";
import type { MethodConfig } from "./quantize-graph.js";

export interface TokenQuantContext {
  actBits: 4 | 8;
  method: MethodConfig;
  samplesPerChannel: number;
  rand: () => number;
}

const INT32_MAX = 2 ** 31 - 1;

/** The encoding of a tensor from its float calibration values (as convolution outputs get). */
export function activationEncoding(floats: readonly Tensor[], ctx: TokenQuantContext): Encoding {
  const samples: number[][] = [];
  for (const t of floats) sampleChannels(t, ctx.samplesPerChannel, ctx.rand, samples);
  return ctx.actBits === 4 ? lut4Encoding(samples, ctx.method) : lin8Encoding(samples, ctx.method);
}

function maxAbsPerChannel(floats: readonly Tensor[]): Float64Array {
  const [, c, h, w] = floats[0]!.shape as [number, number, number, number];
  const plane = h * w;
  const m = new Float64Array(c);
  for (const t of floats)
    for (let i = 0; i < t.data.length; i++) {
      const ch = Math.floor(i / plane) % c;
      m[ch] = Math.max(m[ch]!, Math.abs(t.data[i]!));
    }
  return m;
}

/**
 * The qkv tensor's encoding: symmetric uniform grids whose decoded value is the offset-binary code
 * (lut4: q − 8, lin8: q − 128), so k and v can be read as matrix-unit weights. q and k share one
 * scale per head (they are summed over channels); v has one per channel (its rows are output channels).
 */
export function qkvEncoding(floats: readonly Tensor[], heads: number, bits: 4 | 8): Encoding {
  const mx = maxAbsPerChannel(floats);
  const c3 = mx.length;
  const d = c3 / 3;
  const hd = d / heads;
  const top = bits === 4 ? 7 : 127;
  const scales = new Float64Array(c3);
  for (let part = 0; part < 3; part++) {
    for (let h = 0; h < heads; h++) {
      const c0 = part * d + h * hd;
      if (part < 2) {
        let m = 0;
        for (let e = 0; e < hd; e++) m = Math.max(m, mx[c0 + e]!);
        scales.fill((m || 1e-8) / top, c0, c0 + hd);
      } else for (let e = 0; e < hd; e++) scales[c0 + e] = (mx[c0 + e]! || 1e-8) / top;
    }
  }
  if (bits === 8) return { kind: "lin8", channels: c3, scales, zeros: new Int32Array(c3) };
  const lut = new Int8Array(c3 * LUT_LEVELS);
  for (let ch = 0; ch < c3; ch++) for (let k = 0; k < LUT_LEVELS; k++) lut[ch * LUT_LEVELS + k] = k - 8;
  return { kind: "lut4", channels: c3, lut, zeroCode: new Uint8Array(c3).fill(8), scales };
}

/** Real value of decoded unit 1, and the decoded value of a real 0, per channel. */
function unitAndZero(enc: Encoding): { unit: Float64Array; zero: Float64Array } {
  if (enc.kind === "acc32") throw new GraphError("raw accumulators cannot feed an integer add");
  const zero = new Float64Array(enc.channels);
  if (enc.kind === "lin8") for (let c = 0; c < enc.channels; c++) zero[c] = enc.zeros[c]!;
  return { unit: enc.scales, zero };
}

export function quantizeAdd(
  name: string,
  inputs: [string, string],
  output: string,
  va: QValue,
  vb: QValue,
  outEnc: Encoding,
): QAdd {
  const a = unitAndZero(va.enc);
  const b = unitAndZero(vb.enc);
  const c = va.shape[1]!;
  const ka = new Int8Array(c);
  const kb = new Int8Array(c);
  const bias = new Int32Array(c);
  const accScales = new Float64Array(c);
  for (let ch = 0; ch < c; ch++) {
    // The larger input unit gets the full 8-bit multiplier; the smaller is a ratio of it.
    const u = Math.max(a.unit[ch]!, b.unit[ch]!) / 127;
    ka[ch] = Math.round(a.unit[ch]! / u);
    kb[ch] = Math.round(b.unit[ch]! / u);
    bias[ch] = -(ka[ch]! * a.zero[ch]! + kb[ch]! * b.zero[ch]!);
    accScales[ch] = u;
  }
  return {
    op: "add",
    name,
    inputs,
    output,
    ka,
    kb,
    bias,
    stage: outputStageFor(outEnc, accScales, { kind: "none" }),
    accScales,
  };
}

/** The common decoded unit of a tensor whose channels are summed together, or an error. */
function uniformUnit(enc: Encoding, what: string): number {
  if (enc.kind === "acc32") throw new GraphError(`${what}: raw accumulators cannot be normalized`);
  const u = enc.scales[0]!;
  for (let c = 1; c < enc.channels; c++)
    if (Math.abs(enc.scales[c]! - u) > 1e-9 * u)
      throw new GraphError(`${what}: its input channels do not share one scale (set migration 0)`);
  return u;
}

export function quantizeNorm(
  name: string,
  input: string,
  output: string,
  inV: QValue,
  epsilon: number,
  outEnc: Encoding,
): QNorm {
  const c = inV.shape[1]!;
  const unit = uniformUnit(inV.enc, `LayerNorm "${name}"`);
  const eps = Math.min(INT32_MAX, Math.max(1, Math.round((epsilon * c * c) / (unit * unit))));
  const acc = new Float64Array(c).fill(2 ** -NORM_FRAC);
  return { op: "norm", name, input, output, eps, stage: outputStageFor(outEnc, acc, { kind: "none" }) };
}

/** Float softmax probabilities of a sample of query columns, for choosing the P grid. */
function probabilitySamples(
  floats: readonly Tensor[],
  heads: number,
  scale: number,
  rand: () => number,
  perImage: number,
): number[] {
  const out: number[] = [];
  for (const t of floats) {
    const [, c3, h, w] = t.shape as [number, number, number, number];
    const d = c3 / 3;
    const hd = d / heads;
    const n = h * w;
    const x = t.data;
    const row = new Float64Array(n);
    for (let s = 0; s < perImage; s++) {
      const head = Math.floor(rand() * heads);
      const i = Math.floor(rand() * n);
      let max = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let e = 0; e < hd; e++) acc += x[(head * hd + e) * n + i]! * x[(d + head * hd + e) * n + j]!;
        row[j] = acc * scale;
        max = Math.max(max, row[j]!);
      }
      let sum = 0;
      for (let j = 0; j < n; j++) {
        row[j] = Math.exp(row[j]! - max);
        sum += row[j]!;
      }
      for (let j = 0; j < n; j++) out.push(row[j]! / sum);
    }
  }
  return out;
}

/** P: probabilities ≥ 0 on one grid shared by every key (lut4 from the codebook, or 7-bit linear). */
function probabilityEncoding(samples: number[], ctx: TokenQuantContext): Encoding {
  if (ctx.actBits === 8)
    return { kind: "lin8", channels: 1, scales: new Float64Array([1 / 127]), zeros: new Int32Array(1) };
  const levels = chooseLevels(samples, { method: ctx.method.codebook });
  const top = Math.max(...levels) || 1;
  const unit = top / 127;
  const lut = new Int8Array(LUT_LEVELS);
  for (let k = 0; k < LUT_LEVELS; k++) lut[k] = Math.max(0, Math.min(127, Math.round(levels[k]! / unit)));
  for (let k = 1; k < LUT_LEVELS; k++) if (lut[k]! < lut[k - 1]!) lut[k] = lut[k - 1]!;
  lut[0] = 0;
  return { kind: "lut4", channels: 1, lut, zeroCode: new Uint8Array(1), scales: new Float64Array([unit]) };
}

export function quantizeAttention(
  name: string,
  input: string,
  output: string,
  inV: QValue,
  heads: number,
  scale: number,
  floatIn: readonly Tensor[],
  outEnc: Encoding,
  ctx: TokenQuantContext,
): QAttention {
  const enc = inV.enc;
  if (enc.kind === "acc32") throw new GraphError(`attention "${name}": raw accumulator input`);
  const c3 = inV.shape[1]!;
  const d = c3 / 3;
  const hd = d / heads;
  const smaxM = new Int32Array(heads);
  const smaxN = new Int32Array(heads);
  for (let h = 0; h < heads; h++) {
    const sq = enc.scales[h * hd]!;
    const sk = enc.scales[d + h * hd]!;
    // Score units → log2-domain distance in units of 2^−8.
    const [m, n] = fixedPoint(sq * sk * scale * Math.LOG2E * 256);
    smaxM[h] = m;
    smaxN[h] = n;
  }
  const pEnc = probabilityEncoding(probabilitySamples(floatIn, heads, scale, ctx.rand, 8), ctx);
  const pStage = outputStageFor(pEnc, new Float64Array([2 ** -SMAX_PROB_FRAC]), { kind: "none" });
  const accScales = new Float64Array(d);
  for (let ch = 0; ch < d; ch++) accScales[ch] = pEnc.scales[0]! * enc.scales[2 * d + ch]!;
  return {
    op: "attention",
    name,
    input,
    output,
    heads,
    scale,
    smaxM,
    smaxN,
    pEnc,
    pStage,
    kvBits: enc.kind === "lut4" ? 4 : 8,
    stage: outputStageFor(outEnc, accScales, { kind: "none" }),
    accScales,
  };
}

/**
 * GELU after a conv, folded into its output stage: the 4-bit path puts thresholds on a grid of the
 * pre-activation and GELU of each level into the decode table; the 8-bit path requantizes the
 * pre-activation to 8 bits and maps the codes through a 256-entry table.
 */
export function geluStageAndEncoding(
  pre: readonly Tensor[],
  accScales: Float64Array,
  ctx: TokenQuantContext,
): { stage: OutputStage; enc: Encoding } {
  const preSamples: number[][] = [];
  for (const t of pre) sampleChannels(t, ctx.samplesPerChannel, ctx.rand, preSamples);
  const c = preSamples.length;
  if (ctx.actBits === 4) {
    const levels = preSamples.map((s) => chooseLevels(s, { method: ctx.method.codebook }));
    const post = levels.map((l) => Float64Array.from(l, gelu));
    const unit = Math.max(...post.map((l) => l.reduce((m, v) => Math.max(m, Math.abs(v)), 0))) / 127 || 1e-8;
    const lut = new Int8Array(c * LUT_LEVELS);
    const zeroCode = new Uint8Array(c);
    const thresholds = new Int32Array(c * THRESHOLDS);
    for (let ch = 0; ch < c; ch++) {
      let zi = 0;
      for (let k = 0; k < LUT_LEVELS; k++) {
        lut[ch * LUT_LEVELS + k] = Math.max(-128, Math.min(127, Math.round(post[ch]![k]! / unit)));
        if (Math.abs(lut[ch * LUT_LEVELS + k]!) < Math.abs(lut[ch * LUT_LEVELS + zi]!)) zi = k;
      }
      lut[ch * LUT_LEVELS + zi] = 0;
      zeroCode[ch] = zi;
      for (let k = 0; k < THRESHOLDS; k++) {
        const t = (levels[ch]![k]! + levels[ch]![k + 1]!) / 2 / accScales[ch]!;
        thresholds[ch * THRESHOLDS + k] = Math.max(-(2 ** 31), Math.min(INT32_MAX, Math.ceil(t)));
      }
    }
    return {
      stage: { kind: "threshold", thresholds },
      enc: { kind: "lut4", channels: c, lut, zeroCode, scales: new Float64Array(c).fill(unit) },
    };
  }
  // One code table serves every channel, so the pre-activation grid is shared by the whole tensor.
  const ranges = preSamples.map((s) => lin8Range(s, { method: "minmax" }));
  const lo = Math.min(...ranges.map((r) => r.lo));
  const hi = Math.max(...ranges.map((r) => r.hi));
  const sPre = (hi - lo) / 255 || 1;
  const z = lin8Zero(lo, sPre);
  const postLo = Math.min(gelu(lo), -0.17);
  const sOut = (gelu(hi) - postLo) / 255 || 1;
  const zo = lin8Zero(postLo, sOut);
  const preStage = outputStageFor(
    { kind: "lin8", channels: c, scales: new Float64Array(c).fill(sPre), zeros: new Int32Array(c).fill(z) },
    accScales,
    { kind: "none" },
  );
  if (preStage.kind !== "requant") throw new Error("lin8 stage expected");
  const table = Uint8Array.from({ length: 256 }, (_, q) => {
    const y = gelu(sPre * (q - 128 - z));
    return Math.max(0, Math.min(255, Math.round(y / sOut) + zo + 128));
  });
  return {
    stage: { ...preStage, table },
    enc: {
      kind: "lin8",
      channels: c,
      scales: new Float64Array(c).fill(sOut),
      zeros: new Int32Array(c).fill(zo),
    },
  };
}
