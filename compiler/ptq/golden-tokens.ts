/**
 * The transformer operators of the integer arithmetic (docs/arithmetic.md §4–5): elementwise add,
 * channel LayerNorm and multi-head attention. Every intermediate is an integer below 2^53, so float64
 * holds it exactly.
 */
import { allocCodes, decode, outputStage } from "./golden.js";
import {
  type Codes,
  EXP2_TABLE,
  LUT_LEVELS,
  NORM_FRAC,
  type QAdd,
  type QAttention,
  type QNorm,
  type QValue,
} from "./qgraph.js";

const NONE = { kind: "none" } as const;

export function runAdd(node: QAdd, a: Codes, b: Codes, va: QValue, vb: QValue, out: QValue): Codes {
  const [n, c, h, w] = out.shape as [number, number, number, number];
  const plane = h * w;
  const da = decode(a, va);
  const db = decode(b, vb);
  const res = allocCodes(out.enc, n * c * plane);
  const acc = new Float64Array(plane);
  for (let p = 0; p < n * c; p++) {
    const ch = p % c;
    const ka = node.ka[ch]!;
    const kb = node.kb[ch]!;
    const bias = node.bias[ch]!;
    const base = p * plane;
    for (let i = 0; i < plane; i++) acc[i] = bias + ka * da[base + i]! + kb * db[base + i]!;
    outputStage(acc, ch, NONE, node.stage, res, base);
  }
  return res;
}

/** ⌊√v⌋ for 0 ≤ v < 2^52, exact. */
export function isqrt(v: number): number {
  let r = Math.floor(Math.sqrt(v));
  while (r * r > v) r--;
  while ((r + 1) * (r + 1) <= v) r++;
  return r;
}

/** Reciprocal of the normalization: R = ⌊2^32 / σ'⌋ (σ' ≥ 1). */
export function normReciprocal(sigma: number): number {
  return Math.floor(2 ** 32 / sigma);
}

/** The normalized value of one channel, in units of 2^−NORM_FRAC (docs/arithmetic.md §4). */
export function normValue(centered: number, c: number, s1: number, r: number): number {
  return Math.floor(((c * centered - s1) * r + 2 ** (31 - NORM_FRAC)) / 2 ** (32 - NORM_FRAC));
}

export function runNorm(node: QNorm, input: Codes, inV: QValue, out: QValue): Codes {
  const [n, c, h, w] = inV.shape as [number, number, number, number];
  const plane = h * w;
  const v = decode(input, inV, true);
  const res = allocCodes(out.enc, n * c * plane);
  const acc = new Float64Array(plane * c);
  for (let b = 0; b < n; b++) {
    const base = b * c * plane;
    for (let p = 0; p < plane; p++) {
      let s1 = 0;
      let s2 = 0;
      for (let ch = 0; ch < c; ch++) {
        const x = v[base + ch * plane + p]!;
        s1 += x;
        s2 += x * x;
      }
      const r = normReciprocal(isqrt(c * s2 - s1 * s1 + node.eps));
      for (let ch = 0; ch < c; ch++) acc[ch * plane + p] = normValue(v[base + ch * plane + p]!, c, s1, r);
    }
    for (let ch = 0; ch < c; ch++)
      outputStage(acc.subarray(ch * plane, (ch + 1) * plane), ch, NONE, node.stage, res, base + ch * plane);
  }
  return res;
}

/** Offset-binary value of a code used as a matrix-unit weight: q − 8 (4-bit) or q − 128 (8-bit). */
export function offsetBinary(code: number, bits: 4 | 8): number {
  return code - (bits === 4 ? 8 : 128);
}

/** exp2 of a non-positive log2-domain distance u (units 2^−8) in units 2^−15. */
export function exp2Neg(u: number): number {
  const whole = Math.floor(u / 256);
  return whole >= 16 ? 0 : Math.floor(EXP2_TABLE[u & 255]! / 2 ** whole);
}

/**
 * Softmax of one column of scores into probabilities in units 2^−15: u = ((max − s)·m + 2^(n−1)) >> n,
 * e = exp2Neg(u), r = ⌊(2^46 − 1)/Σe⌋, p = (e·r + 2^30) >> 31.
 */
export function softmaxColumn(scores: Float64Array, m: number, n: number, out: Float64Array): void {
  let max = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < scores.length; j++) if (scores[j]! > max) max = scores[j]!;
  const round = n > 0 ? 2 ** (n - 1) : 0;
  let sum = 0;
  for (let j = 0; j < scores.length; j++) {
    const u = Math.floor(((max - scores[j]!) * m + round) / 2 ** n);
    out[j] = exp2Neg(u);
    sum += out[j]!;
  }
  const r = softmaxReciprocal(sum);
  for (let j = 0; j < scores.length; j++) out[j] = Math.floor((out[j]! * r + 2 ** 30) / 2 ** 31);
}

/** ⌊(2^46 − 1) / sum⌋, exact (sum ≥ 2^15). */
export function softmaxReciprocal(sum: number): number {
  const num = 2 ** 46 - 1;
  let r = Math.floor(num / sum);
  while (r * sum > num) r--;
  while ((r + 1) * sum <= num) r++;
  return r;
}

export function runAttention(node: QAttention, input: Codes, inV: QValue, out: QValue): Codes {
  const [n, c3, h, w] = inV.shape as [number, number, number, number];
  const d = c3 / 3;
  const hd = d / node.heads;
  const t = h * w;
  const dec = decode(input, inV);
  const bits = node.kvBits;
  const res = allocCodes(out.enc, n * d * t);
  const scores = new Float64Array(t);
  const probs = new Float64Array(t);
  const pCode = new Uint8Array(t);
  const pVal = new Float64Array(t * t);
  const acc = new Float64Array(t);
  const penc = node.pEnc;
  const decodeP = (q: number): number => (penc.kind === "lut4" ? penc.lut[q]! : q - 128);
  if (penc.kind === "lut4" && penc.lut.length < LUT_LEVELS) throw new Error("attention: P table too short");
  for (let b = 0; b < n; b++) {
    const base = b * c3 * t;
    for (let head = 0; head < node.heads; head++) {
      const q0 = base + head * hd * t;
      const k0 = base + (d + head * hd) * t;
      const v0 = base + (2 * d + head * hd) * t;
      for (let i = 0; i < t; i++) {
        for (let j = 0; j < t; j++) {
          let s = 0;
          for (let e = 0; e < hd; e++) s += offsetBinary(input[k0 + e * t + j]!, bits) * dec[q0 + e * t + i]!;
          scores[j] = s;
        }
        softmaxColumn(scores, node.smaxM[head]!, node.smaxN[head]!, probs);
        outputStage(probs, 0, NONE, node.pStage, pCode, 0);
        for (let j = 0; j < t; j++) pVal[j * t + i] = decodeP(pCode[j]!);
      }
      for (let e = 0; e < hd; e++) {
        const ch = head * hd + e;
        for (let i = 0; i < t; i++) {
          let s = 0;
          for (let j = 0; j < t; j++) s += offsetBinary(input[v0 + e * t + j]!, bits) * pVal[j * t + i]!;
          acc[i] = s;
        }
        outputStage(acc, ch, NONE, node.stage, res, (b * d + ch) * t);
      }
    }
  }
  return res;
}
