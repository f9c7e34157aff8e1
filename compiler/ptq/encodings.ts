/**
 * Activation encodings from calibration samples and the output stages that produce them
 * (docs/arithmetic.md §1, §3).
 */
import type { Tensor } from "../ir/tensor.js";
import { chooseLevels, lin8Range, lin8Zero } from "./codebook.js";
import { type Activation, type Encoding, LUT_LEVELS, type OutputStage, THRESHOLDS } from "./qgraph.js";
import type { MethodConfig } from "./quantize-graph.js";

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** Per-channel samples of an NCHW tensor (n = 1), up to `count` per channel. */
export function sampleChannels(t: Tensor, count: number, rand: () => number, into: number[][]): void {
  const [, c, h, w] = t.shape as [number, number, number, number];
  const plane = h * w;
  for (let ch = 0; ch < c; ch++) {
    into[ch] ??= [];
    const list = into[ch];
    const base = ch * plane;
    if (plane <= count) for (let i = 0; i < plane; i++) list.push(t.data[base + i]!);
    else for (let i = 0; i < count; i++) list.push(t.data[base + Math.floor(rand() * plane)]!);
  }
}

/** lut4 encoding from per-channel samples: levels → int8 table in per-channel units. */
export function lut4Encoding(samples: number[][], method: MethodConfig): Encoding {
  const c = samples.length;
  const levels = samples.map((s) => chooseLevels(s, { method: method.codebook }));
  const maxAbs = levels.map((l) => l.reduce((m, v) => Math.max(m, Math.abs(v)), 0) || 1e-8);
  const ref = Math.max(...maxAbs);
  const lut = new Int8Array(c * LUT_LEVELS);
  const zeroCode = new Uint8Array(c);
  const scales = new Float64Array(c);
  for (let ch = 0; ch < c; ch++) {
    const unit = (maxAbs[ch]! ** method.migration * ref ** (1 - method.migration)) / 127;
    scales[ch] = unit;
    let zi = 0;
    for (let k = 0; k < LUT_LEVELS; k++) {
      const v = Math.max(-128, Math.min(127, Math.round(levels[ch]![k]! / unit)));
      lut[ch * LUT_LEVELS + k] = v;
      if (Math.abs(v) < Math.abs(lut[ch * LUT_LEVELS + zi]!)) zi = k;
    }
    lut[ch * LUT_LEVELS + zi] = 0;
    zeroCode[ch] = zi;
  }
  return { kind: "lut4", channels: c, lut, zeroCode, scales };
}

/**
 * lin8 encoding: one scale for the whole tensor and a zero point per channel. 8 bits leave enough
 * resolution that per-channel scales would only push their spread into the (4-bit) weights of the
 * consumer, where it costs more than it saves.
 */
export function lin8Encoding(samples: number[][], method: MethodConfig): Encoding {
  const c = samples.length;
  const ranges = samples.map((s) =>
    lin8Range(s, { method: method.codebook === "percentile" ? "percentile" : "minmax" }),
  );
  const scale = Math.max(...ranges.map((r) => (r.hi - r.lo) / 255)) || 1;
  return {
    kind: "lin8",
    channels: c,
    scales: new Float64Array(c).fill(scale),
    zeros: Int32Array.from(ranges, (r) => lin8Zero(r.lo, scale)),
  };
}

function inverseActivation(t: number, act: Activation): number {
  if (act.kind === "leaky" && t < 0) return t / act.alpha;
  if (act.kind === "relu" && t <= 0) return Number.NEGATIVE_INFINITY;
  return t;
}

/** Output stage for an accumulator of real scale `accScale[o]` into encoding `out`. */
export function outputStageFor(out: Encoding, accScale: Float64Array, act: Activation): OutputStage {
  const c = accScale.length;
  if (out.kind === "acc32") return { kind: "acc32" };
  if (out.kind === "lut4") {
    const thresholds = new Int32Array(c * THRESHOLDS);
    for (let o = 0; o < c; o++) {
      const lut = out.lut.subarray(o * LUT_LEVELS, (o + 1) * LUT_LEVELS);
      for (let k = 0; k < THRESHOLDS; k++) {
        const t = (out.scales[o]! * (lut[k]! + lut[k + 1]!)) / 2;
        const pre = inverseActivation(t, act) / accScale[o]!;
        thresholds[o * THRESHOLDS + k] = Math.max(INT32_MIN, Math.min(INT32_MAX, Math.ceil(pre)));
      }
      // Rounding can only make neighbours equal, never reorder them; keep them non-decreasing anyway.
      for (let k = 1; k < THRESHOLDS; k++) {
        const i = o * THRESHOLDS + k;
        if (thresholds[i]! < thresholds[i - 1]!) thresholds[i] = thresholds[i - 1]!;
      }
    }
    return { kind: "threshold", thresholds };
  }
  const multiplier = new Int32Array(c);
  const shift = new Int32Array(c);
  for (let o = 0; o < c; o++) {
    const [m, n] = fixedPoint(accScale[o]! / out.scales[o]!);
    multiplier[o] = m;
    shift[o] = n;
  }
  return { kind: "requant", multiplier, shift, zeros: Int32Array.from(out.zeros) };
}

/** ratio ≈ m·2^−n with 2^14 ≤ m < 2^15 (docs/arithmetic.md §3). */
export function fixedPoint(ratio: number): [number, number] {
  if (!(ratio > 0) || !Number.isFinite(ratio)) throw new Error(`cannot requantize by a ratio of ${ratio}`);
  let e = Math.floor(Math.log2(ratio));
  let m = Math.round(ratio * 2 ** (14 - e));
  if (m >= 2 ** 15) {
    m = Math.round(m / 2);
    e += 1;
  }
  const n = 14 - e;
  if (n < 0 || n > 47) throw new Error(`requantization ratio ${ratio} is out of the fixed-point range`);
  return [m, n];
}
