/**
 * Per-channel 16-level activation codebooks (the levels of a lut4 tensor) and the scalar quantizers
 * shared by every method. Pure functions over calibration samples.
 */

export type CodebookMethod = "minmax" | "percentile" | "mse" | "lognp" | "lloyd";

export interface CodebookOptions {
  method: CodebookMethod;
  /** Percentile clipping (two-sided) for "percentile", e.g. 99.99. */
  percentile?: number;
  /** LogNP ω as a percentile of |x| (paper: 95). */
  lognpPercentile?: number;
}

/** Round-half-away-from-zero clamp quantizer: the one uniform quantizer of the project. */
export function quantize(x: number, scale: number, zero: number, qmin: number, qmax: number): number {
  const q = Math.round(x / scale) + zero;
  return q < qmin ? qmin : Math.min(q, qmax);
}

export function sortedCopy(x: ArrayLike<number>): Float64Array {
  return Float64Array.from(x).sort();
}

export function percentileOf(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.round((p / 100) * (sorted.length - 1))));
  return sorted[idx]!;
}

/** Uniform grid of `n` levels covering [lo, hi] with 0 exactly on the grid. */
export function uniformGrid(lo: number, hi: number, n: number): Float64Array {
  lo = Math.min(lo, 0);
  hi = Math.max(hi, 0);
  if (hi - lo <= 0) return new Float64Array(n);
  const step = (hi - lo) / (n - 1);
  const zero = Math.round(-lo / step);
  return Float64Array.from({ length: n }, (_, k) => step * (k - zero));
}

/** Mean squared error of nearest-level quantization of sorted samples onto ascending levels. */
export function codebookMse(sorted: Float64Array, levels: Float64Array): number {
  let err = 0;
  let k = 0;
  for (let i = 0; i < sorted.length; i++) {
    const x = sorted[i]!;
    while (k < levels.length - 1 && Math.abs(levels[k + 1]! - x) <= Math.abs(levels[k]! - x)) k++;
    const d = x - levels[k]!;
    err += d * d;
  }
  return sorted.length ? err / sorted.length : 0;
}

/** Φ(x) = sign(x)·log2(1 + |x|/ω) and its inverse (QuartDepth's LogNP polishing). */
export function polish(x: number, omega: number): number {
  return Math.sign(x) * Math.log2(1 + Math.abs(x) / omega);
}

export function unpolish(y: number, omega: number): number {
  return Math.sign(y) * omega * (2 ** Math.abs(y) - 1);
}

function logGrid(lo: number, hi: number, omega: number, n: number): Float64Array {
  const g = uniformGrid(polish(lo, omega), polish(hi, omega), n);
  return g.map((y) => unpolish(y, omega));
}

const CLIP_STEPS = [1, 0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.65, 0.6, 0.55, 0.5, 0.45, 0.4];

/** The clip of [lo, hi] (scaled toward 0) whose grid gives the lowest MSE on the samples. */
function bestClip(sorted: Float64Array, grid: (lo: number, hi: number) => Float64Array): Float64Array {
  const lo = sorted[0] ?? 0;
  const hi = sorted[sorted.length - 1] ?? 0;
  let best = grid(lo, hi);
  let bestErr = codebookMse(sorted, best);
  for (const c of CLIP_STEPS.slice(1)) {
    const levels = grid(lo * c, hi * c);
    const err = codebookMse(sorted, levels);
    if (err < bestErr) {
      best = levels;
      bestErr = err;
    }
  }
  return best;
}

/** Lloyd-Max refinement with the level nearest 0 pinned at exactly 0 (padding must be exact). */
function lloyd(sorted: Float64Array, init: Float64Array, iterations = 20): Float64Array {
  const levels = Float64Array.from(init);
  const n = levels.length;
  for (let it = 0; it < iterations; it++) {
    const sum = new Float64Array(n);
    const cnt = new Float64Array(n);
    let k = 0;
    for (let i = 0; i < sorted.length; i++) {
      const x = sorted[i]!;
      while (k < n - 1 && Math.abs(levels[k + 1]! - x) <= Math.abs(levels[k]! - x)) k++;
      sum[k]! += x;
      cnt[k]!++;
    }
    let zeroIdx = 0;
    for (let j = 1; j < n; j++) if (Math.abs(levels[j]!) < Math.abs(levels[zeroIdx]!)) zeroIdx = j;
    for (let j = 0; j < n; j++) if (cnt[j]! > 0 && j !== zeroIdx) levels[j] = sum[j]! / cnt[j]!;
    levels[zeroIdx] = 0;
    levels.sort();
  }
  return levels;
}

/** 16 ascending real levels for one channel's samples; one level is exactly 0. */
export function chooseLevels(samples: ArrayLike<number>, opts: CodebookOptions, n = 16): Float64Array {
  const sorted = sortedCopy(samples);
  if (sorted.length === 0) return new Float64Array(n);
  const lo = sorted[0]!;
  const hi = sorted[sorted.length - 1]!;
  switch (opts.method) {
    case "minmax":
      return uniformGrid(lo, hi, n);
    case "percentile": {
      const p = opts.percentile ?? 99.99;
      return uniformGrid(percentileOf(sorted, 100 - p), percentileOf(sorted, p), n);
    }
    case "mse":
      return bestClip(sorted, (a, b) => uniformGrid(a, b, n));
    case "lognp": {
      const abs = sortedCopy(Array.from(sorted, Math.abs));
      const omega = Math.max(percentileOf(abs, opts.lognpPercentile ?? 95), 1e-8);
      return bestClip(sorted, (a, b) => logGrid(a, b, omega, n));
    }
    case "lloyd":
      return lloyd(
        sorted,
        bestClip(sorted, (a, b) => uniformGrid(a, b, n)),
      );
  }
}

/** Range [lo, hi] (containing 0) an 8-bit grid must cover for one channel's samples. */
export function lin8Range(samples: ArrayLike<number>, opts: CodebookOptions): { lo: number; hi: number } {
  const sorted = sortedCopy(samples);
  let lo = sorted[0] ?? 0;
  let hi = sorted[sorted.length - 1] ?? 0;
  if (opts.method === "percentile") {
    const p = opts.percentile ?? 99.99;
    lo = percentileOf(sorted, 100 - p);
    hi = percentileOf(sorted, p);
  }
  return { lo: Math.min(lo, 0), hi: Math.max(hi, 0) };
}

/** Zero point placing [lo, hi] on the grid real = scale·(v − zero), v ∈ [−128, 127]. */
export function lin8Zero(lo: number, scale: number): number {
  return Math.min(127, Math.max(-128, Math.round(-128 - lo / scale)));
}
