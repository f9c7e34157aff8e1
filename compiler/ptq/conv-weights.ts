/**
 * Weights of one convolution, folded to its decoded input units, → integers, by the chosen method:
 * optional activation-loss compensation (ridge regression toward the float layer), then RTN or
 * second-order (GPTQ) rounding, then a bias that re-centres the mean output error. Compensation and
 * GPTQ share one Cholesky factorization of the damped input Hessian.
 */
import { defaultGemmBackend } from "../exec/float.js";
import { adaround } from "./adaround.js";
import { quantize } from "./codebook.js";
import { choleskyInPlace, lowerTriangularInverse } from "./linalg.js";
import type { ConvStats } from "./stats.js";
import { roundToNearest, type WeightBits, weightRange, weightScales } from "./weights.js";

export interface ConvWeightMethod {
  weightClip: "minmax" | "mse";
  /** gptq+kfac: GPTQ, then AdaRound refinement under the KFAC output Fisher (QuartDepth step 3). */
  rounding: "rtn" | "gptq" | "adaround" | "gptq+kfac";
  compensation: boolean;
}

export interface QuantizedConvWeights {
  /** o×k integer weights. */
  q: Int8Array;
  /** Per output channel: real weight per integer unit (= the accumulator scale). */
  scales: Float64Array;
  /** Real bias per output channel. */
  bias: Float64Array;
}

const DAMPING = 0.01;
/** Refinement steps after GPTQ: it starts near the optimum, so a short anneal suffices. */
const KFAC_ITERATIONS = 60;

/** Θ0 is (k+1)×o: rows 0..k−1 the folded weights, row k the bias. */
export async function quantizeConvWeights(
  theta0: Float64Array,
  o: number,
  k: number,
  bits: WeightBits,
  method: ConvWeightMethod,
  stats?: ConvStats,
  outputFisher?: Float64Array,
): Promise<QuantizedConvWeights> {
  const ka = k + 1;
  let theta = theta0;
  let factor: Float64Array | undefined;
  if (stats && (method.compensation || method.rounding === "gptq" || method.rounding === "gptq+kfac")) {
    factor = Float64Array.from(stats.h);
    let mean = 0;
    for (let i = 0; i < k; i++) mean += factor[i * ka + i]!;
    const lambda = DAMPING * (mean > 0 ? mean / k : 1);
    for (let i = 0; i < ka; i++) {
      // A never-active input (all-zero column) would make H singular; its weight does not matter.
      if (factor[i * ka + i] === 0) factor[i * ka + i] = 1;
      factor[i * ka + i]! += lambda;
    }
    if (!choleskyInPlace(factor, ka)) factor = undefined;
    else if (method.compensation) theta = await compensate(theta0, stats, factor, lambda, o, ka);
  }
  const w = new Float64Array(o * k);
  for (let oc = 0; oc < o; oc++) for (let j = 0; j < k; j++) w[oc * k + j] = theta[j * o + oc]!;
  const scales = weightScales(w, o, k, bits, method.weightClip);
  let q: Int8Array;
  if ((method.rounding === "gptq" || method.rounding === "gptq+kfac") && factor)
    q = gptqReverse(w, o, k, factor, ka, scales, bits);
  else if (method.rounding === "adaround" && stats)
    q = await adaround(w, o, k, leadingBlock(stats.h, ka, k), scales, bits);
  else q = roundToNearest(w, o, k, scales, bits);
  if (method.rounding === "gptq+kfac" && stats && outputFisher) {
    q = await adaround(w, o, k, leadingBlock(stats.h, ka, k), scales, bits, {
      outputFisher,
      init: q,
      iterations: KFAC_ITERATIONS,
    });
  }
  const bias = new Float64Array(o);
  for (let oc = 0; oc < o; oc++) bias[oc] = theta[k * o + oc]!;
  if (stats && method.compensation) recentreBias(bias, theta0, q, scales, stats, o, k);
  return { q, scales, bias };
}

function leadingBlock(a: Float64Array, n: number, k: number): Float64Array {
  const out = new Float64Array(k * k);
  for (let i = 0; i < k; i++) out.set(a.subarray(i * n, i * n + k), i * k);
  return out;
}

/** Solves (H + λI)·Θ = C·Θ0 + λ·Θ0 with H already factored as L·Lᵀ (ridge toward the float layer). */
async function compensate(
  theta0: Float64Array,
  stats: ConvStats,
  l: Float64Array,
  lambda: number,
  o: number,
  ka: number,
) {
  const c32 = Float32Array.from(stats.c);
  const t32 = Float32Array.from(theta0);
  const ct = await defaultGemmBackend().matmul(c32, t32, ka, ka, o);
  const b = new Float64Array(ka * o);
  for (let i = 0; i < b.length; i++) b[i] = ct[i]! + lambda * theta0[i]!;
  for (let i = 0; i < ka; i++) {
    const ri = i * o;
    for (let j = 0; j < i; j++) {
      const lij = l[i * ka + j]!;
      if (lij === 0) continue;
      const rj = j * o;
      for (let r = 0; r < o; r++) b[ri + r]! -= lij * b[rj + r]!;
    }
    const d = l[i * ka + i]!;
    for (let r = 0; r < o; r++) b[ri + r]! /= d;
  }
  for (let i = ka - 1; i >= 0; i--) {
    const ri = i * o;
    for (let j = i + 1; j < ka; j++) {
      const lji = l[j * ka + i]!;
      if (lji === 0) continue;
      const rj = j * o;
      for (let r = 0; r < o; r++) b[ri + r]! -= lji * b[rj + r]!;
    }
    const d = l[i * ka + i]!;
    for (let r = 0; r < o; r++) b[ri + r]! /= d;
  }
  return b;
}

/**
 * GPTQ with the columns taken last to first. For H = L·Lᵀ the upper Cholesky factor of the reversed
 * problem's inverse Hessian is L⁻¹ itself (reversed), so the Cholesky computed for compensation serves
 * here too: column i spreads its rounding error over columns j < i with weights L⁻¹[i,j] / L⁻¹[i,i].
 */
function gptqReverse(
  w: Float64Array,
  o: number,
  k: number,
  l: Float64Array,
  ka: number,
  scales: Float64Array,
  bits: WeightBits,
): Int8Array {
  const lk = new Float64Array(k * k);
  for (let i = 0; i < k; i++) for (let j = 0; j <= i; j++) lk[i * k + j] = l[i * ka + j]!;
  const inv = lowerTriangularInverse(lk, k);
  const { qmin, qmax } = weightRange(bits);
  const work = Float64Array.from(w);
  const q = new Int8Array(o * k);
  for (let i = k - 1; i >= 0; i--) {
    const d = inv[i * k + i]!;
    const ri = i * k;
    for (let r = 0; r < o; r++) {
      const row = r * k;
      const v = work[row + i]!;
      const qi = quantize(v, scales[r]!, 0, qmin, qmax);
      q[row + i] = qi;
      const err = (v - qi * scales[r]!) / d;
      if (err === 0) continue;
      for (let j = 0; j < i; j++) work[row + j]! -= err * inv[ri + j]!;
    }
  }
  return q;
}

/** Bias = float bias + mean over the sampled rows of (float layer output − quantized layer output). */
function recentreBias(
  bias: Float64Array,
  theta0: Float64Array,
  q: Int8Array,
  scales: Float64Array,
  stats: ConvStats,
  o: number,
  k: number,
) {
  const ka = stats.k;
  for (let oc = 0; oc < o; oc++) {
    let target = 0;
    let got = 0;
    for (let j = 0; j < k; j++) {
      target += theta0[j * o + oc]! * stats.c[k * ka + j]!;
      got += q[oc * k + j]! * scales[oc]! * stats.h[k * ka + j]!;
    }
    bias[oc] = theta0[k * o + oc]! + (target - got) / stats.n;
  }
}
