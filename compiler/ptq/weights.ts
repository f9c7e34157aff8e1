/**
 * Weight quantization per output channel, symmetric: w ≈ s[o]·q, q ∈ [−2^(b−1), 2^(b−1)−1].
 * Round-to-nearest with min-max or MSE-searched clipping (second-order rounding: conv-weights.ts).
 */
import { quantize } from "./codebook.js";

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
