/**
 * Weight quantization per output channel, symmetric: w ≈ s[o]·q, q ∈ [−2^(b−1), 2^(b−1)−1].
 * Round-to-nearest with min-max or MSE-searched clipping, and GPTQ-style second-order rounding.
 */
import { quantize } from "./codebook.js";
import { upperCholeskyOfInverse } from "./linalg.js";

export type WeightBits = 4 | 8;

export function weightRange(bits: WeightBits): { qmin: number; qmax: number } {
  return { qmin: -(2 ** (bits - 1)), qmax: 2 ** (bits - 1) - 1 };
}

const CLIPS = [1, 0.97, 0.94, 0.91, 0.88, 0.85, 0.82, 0.79, 0.76, 0.73, 0.7, 0.65, 0.6];

/** Per-row scales of an o×k matrix: `minmax` uses max|w|/qmax, `mse` searches the clip per row. */
export function weightScales(
  w: Float64Array,
  o: number,
  k: number,
  bits: WeightBits,
  method: "minmax" | "mse",
): Float64Array {
  const { qmin, qmax } = weightRange(bits);
  const scales = new Float64Array(o);
  for (let r = 0; r < o; r++) {
    let max = 0;
    for (let i = 0; i < k; i++) max = Math.max(max, Math.abs(w[r * k + i]!));
    if (max === 0) {
      scales[r] = 1;
      continue;
    }
    let best = max / qmax;
    if (method === "mse") {
      let bestErr = Number.POSITIVE_INFINITY;
      for (const c of CLIPS) {
        const s = (c * max) / qmax;
        let err = 0;
        for (let i = 0; i < k; i++) {
          const v = w[r * k + i]!;
          const d = v - s * quantize(v, s, 0, qmin, qmax);
          err += d * d;
        }
        if (err < bestErr) {
          bestErr = err;
          best = s;
        }
      }
    }
    scales[r] = best;
  }
  return scales;
}

export function roundToNearest(
  w: Float64Array,
  o: number,
  k: number,
  scales: Float64Array,
  bits: WeightBits,
): Int8Array {
  const { qmin, qmax } = weightRange(bits);
  const q = new Int8Array(o * k);
  for (let r = 0; r < o; r++)
    for (let i = 0; i < k; i++) q[r * k + i] = quantize(w[r * k + i]!, scales[r]!, 0, qmin, qmax);
  return q;
}

/**
 * GPTQ: quantizes columns in order and spreads each column's rounding error over the columns not
 * yet quantized, weighted by the inverse Hessian H = Σ x·xᵀ of the layer's (quantized) inputs, so the
 * layer output error Σ‖(W − Ŵ)x‖² is minimized greedily. `h` must be damped (positive definite).
 */
export function gptq(
  w: Float64Array,
  o: number,
  k: number,
  h: Float64Array,
  scales: Float64Array,
  bits: WeightBits,
): Int8Array {
  const { qmin, qmax } = weightRange(bits);
  const u = upperCholeskyOfInverse(h, k);
  const work = Float64Array.from(w);
  const q = new Int8Array(o * k);
  for (let i = 0; i < k; i++) {
    const d = u[i * k + i]!;
    for (let r = 0; r < o; r++) {
      const row = r * k;
      const v = work[row + i]!;
      const qi = quantize(v, scales[r]!, 0, qmin, qmax);
      q[row + i] = qi;
      const err = (v - qi * scales[r]!) / d;
      if (err === 0) continue;
      for (let j = i + 1; j < k; j++) work[row + j]! -= err * u[i * k + j]!;
    }
  }
  return q;
}
