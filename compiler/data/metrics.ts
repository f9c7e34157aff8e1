import { DataError } from "./errors.js";

/**
 * Per-image depth metrics over the valid pixels (d̂ = prediction, d = ground truth, both in the
 * same unit, logs natural unless noted):
 *   absRel = mean(|d̂ − d| / d)            sqRel = mean((d̂ − d)² / d)
 *   rmse = sqrt(mean((d̂ − d)²))           rmseLog = sqrt(mean((ln d̂ − ln d)²))
 *   log10 = mean(|log10 d̂ − log10 d|)
 *   silog = 100 · sqrt(mean(e²) − mean(e)²) with e = ln d̂ − ln d (the scale-invariant log error
 *           with λ = 1, i.e. the standard deviation of the log error, in percent)
 *   deltaK = fraction of pixels with max(d̂/d, d/d̂) < 1.25^K
 * When no pixel is valid every figure is NaN and n = 0 (the image carries no information; dataset
 * means skip it).
 */
export interface DepthMetrics {
  absRel: number;
  sqRel: number;
  rmse: number;
  rmseLog: number;
  log10: number;
  silog: number;
  delta1: number;
  delta2: number;
  delta3: number;
  /** number of valid pixels scored */
  n: number;
}

/** Mean of per-image metrics over a data set, as the evaluation protocol defines it. */
export interface DatasetMetrics extends DepthMetrics {
  /** images that contributed (had at least one valid pixel) */
  images: number;
  /** images skipped because they had no valid pixel */
  skipped: number;
}

export type Alignment = "none" | "median" | "lstsqInverse";

export const METRIC_NAMES = [
  "absRel",
  "sqRel",
  "rmse",
  "rmseLog",
  "log10",
  "silog",
  "delta1",
  "delta2",
  "delta3",
] as const;

type Numbers = ArrayLike<number>;

function checkSameLength(a: Numbers, b: Numbers, what: string): void {
  if (a.length !== b.length) throw new DataError(`${what}: lengths differ (${a.length} vs ${b.length})`);
}

function isValid(valid: Uint8Array | undefined, i: number): boolean {
  return valid === undefined || valid[i] !== 0;
}

function nanMetrics(): DepthMetrics {
  return {
    absRel: Number.NaN,
    sqRel: Number.NaN,
    rmse: Number.NaN,
    rmseLog: Number.NaN,
    log10: Number.NaN,
    silog: Number.NaN,
    delta1: Number.NaN,
    delta2: Number.NaN,
    delta3: Number.NaN,
    n: 0,
  };
}

/**
 * Metrics of a predicted depth map against ground truth. A pixel is scored when the mask allows it
 * (all pixels when no mask is given) and its ground truth is finite and > 0. Scored predictions must
 * be finite and > 0 (align/clamp first): anything else is an error naming the pixel.
 */
export function computeDepthMetrics(pred: Numbers, gt: Numbers, valid?: Uint8Array): DepthMetrics {
  checkSameLength(pred, gt, "computeDepthMetrics: prediction and ground truth");
  if (valid) checkSameLength(valid, gt, "computeDepthMetrics: mask and ground truth");
  let n = 0;
  let absRel = 0;
  let sqRel = 0;
  let sq = 0;
  let sqLog = 0;
  let log10 = 0;
  let sumLog = 0;
  const within = [0, 0, 0];
  const thresholds = [1.25, 1.25 ** 2, 1.25 ** 3];
  for (let i = 0; i < gt.length; i++) {
    const d = gt[i]!;
    if (!isValid(valid, i) || !(d > 0) || !Number.isFinite(d)) continue;
    const p = pred[i]!;
    if (!(p > 0) || !Number.isFinite(p)) {
      throw new DataError(
        `computeDepthMetrics: prediction at pixel ${i} is ${p}; it must be a positive depth`,
      );
    }
    n++;
    const diff = p - d;
    absRel += Math.abs(diff) / d;
    sqRel += (diff * diff) / d;
    sq += diff * diff;
    const e = Math.log(p) - Math.log(d);
    sqLog += e * e;
    sumLog += e;
    log10 += Math.abs(Math.log10(p) - Math.log10(d));
    const ratio = Math.max(p / d, d / p);
    for (let k = 0; k < 3; k++) if (ratio < thresholds[k]!) within[k]!++;
  }
  if (n === 0) return nanMetrics();
  const meanLog = sumLog / n;
  return {
    absRel: absRel / n,
    sqRel: sqRel / n,
    rmse: Math.sqrt(sq / n),
    rmseLog: Math.sqrt(sqLog / n),
    log10: log10 / n,
    // rounding can push the variance a hair below zero for a constant log error
    silog: 100 * Math.sqrt(Math.max(0, sqLog / n - meanLog * meanLog)),
    delta1: within[0]! / n,
    delta2: within[1]! / n,
    delta3: within[2]! / n,
    n,
  };
}

/** Dataset figure = mean of the per-image figures; images with no valid pixel are skipped. */
export function meanDepthMetrics(perImage: readonly DepthMetrics[]): DatasetMetrics {
  const used = perImage.filter((m) => m.n > 0);
  const out: DatasetMetrics = {
    ...nanMetrics(),
    images: used.length,
    skipped: perImage.length - used.length,
  };
  out.n = used.reduce((a, m) => a + m.n, 0);
  if (used.length === 0) return out;
  for (const key of METRIC_NAMES) out[key] = used.reduce((a, m) => a + m[key], 0) / used.length;
  return out;
}

export interface ScaleShift {
  scale: number;
  shift: number;
  /** points used in the fit */
  n: number;
}

/**
 * Least-squares fit y ≈ scale·x + shift over the valid entries (float64, centred sums).
 * Constant x gives scale 0 and shift = mean(y) (the minimum-norm solution); no valid entry gives
 * NaN scale and shift with n = 0.
 */
export function fitScaleShift(x: Numbers, y: Numbers, valid?: Uint8Array): ScaleShift {
  checkSameLength(x, y, "fitScaleShift: x and y");
  if (valid) checkSameLength(valid, y, "fitScaleShift: mask and y");
  let n = 0;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < y.length; i++) {
    if (!isValid(valid, i)) continue;
    n++;
    sx += x[i]!;
    sy += y[i]!;
  }
  if (n === 0) return { scale: Number.NaN, shift: Number.NaN, n };
  const mx = sx / n;
  const my = sy / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < y.length; i++) {
    if (!isValid(valid, i)) continue;
    const dx = x[i]! - mx;
    sxx += dx * dx;
    sxy += dx * (y[i]! - my);
  }
  const scale = sxx > 0 ? sxy / sxx : 0;
  return { scale, shift: my - scale * mx, n };
}

function median(values: Float64Array): number {
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export interface AlignOptions {
  /** clamp range of the aligned depth (see alignDepth) */
  minDepth: number;
  maxDepth: number;
  /** what the prediction holds; default "inverseDepth" (relative models output inverse depth) */
  predKind?: "inverseDepth" | "depth";
}

function clampRange(gt: Numbers, valid: Uint8Array | undefined, minDepth: number, maxDepth: number) {
  let lo = minDepth > 0 && Number.isFinite(minDepth) ? minDepth : Number.POSITIVE_INFINITY;
  let hi = Number.isFinite(maxDepth) && maxDepth > 0 ? maxDepth : 0;
  if (lo === Number.POSITIVE_INFINITY || hi === 0) {
    // no usable range given (e.g. a disparity set without one): fall back to the ground truth's range
    for (let i = 0; i < gt.length; i++) {
      const d = gt[i]!;
      if (!isValid(valid, i) || !(d > 0) || !Number.isFinite(d)) continue;
      if (!(minDepth > 0)) lo = Math.min(lo, d);
      if (!(Number.isFinite(maxDepth) && maxDepth > 0)) hi = Math.max(hi, d);
    }
  }
  return { lo, hi };
}

/**
 * Turns a prediction into depth aligned to the ground truth over the valid pixels:
 *  - "none": the prediction as depth (1/pred for inverse depth);
 *  - "median": that depth times median(gt)/median(depth) (Monodepth-style median scaling);
 *  - "lstsqInverse": least-squares scale s and shift t with s·x + t ≈ 1/gt, x the predicted
 *    (relative) inverse depth (1/pred for a depth prediction); depth = 1/(s·x + t).
 * Every mode clamps the result to [minDepth, maxDepth] (for lstsqInverse: the aligned inverse depth
 * to [1/maxDepth, 1/minDepth] before inverting, so negative or tiny aligned values become the far
 * limit instead of infinities). Without a finite positive range the clamp uses the valid ground
 * truth's range. Returns NaN everywhere when no pixel is valid.
 */
export function alignDepth(
  pred: Numbers,
  gt: Numbers,
  valid: Uint8Array | undefined,
  align: Alignment,
  options: AlignOptions,
): Float64Array {
  checkSameLength(pred, gt, "alignDepth: prediction and ground truth");
  if (valid) checkSameLength(valid, gt, "alignDepth: mask and ground truth");
  const scored = new Uint8Array(gt.length);
  let count = 0;
  for (let i = 0; i < gt.length; i++) {
    const d = gt[i]!;
    if (isValid(valid, i) && d > 0 && Number.isFinite(d) && Number.isFinite(pred[i]!)) {
      scored[i] = 1;
      count++;
    }
  }
  const out = new Float64Array(gt.length);
  if (count === 0) return out.fill(Number.NaN);
  const { lo, hi } = clampRange(gt, scored, options.minDepth, options.maxDepth);
  const inverseInput = (options.predKind ?? "inverseDepth") === "inverseDepth";
  const clampInverse = (inv: number) => 1 / Math.min(Math.max(inv, 1 / hi), 1 / lo);
  switch (align) {
    case "none":
    case "median": {
      for (let i = 0; i < out.length; i++) out[i] = inverseInput ? 1 / pred[i]! : pred[i]!;
      let scale = 1;
      if (align === "median") {
        const predValid = new Float64Array(count);
        const gtValid = new Float64Array(count);
        for (let i = 0, k = 0; i < out.length; i++) {
          if (!scored[i]) continue;
          predValid[k] = out[i]!;
          gtValid[k++] = gt[i]!;
        }
        scale = median(gtValid) / median(predValid);
      }
      for (let i = 0; i < out.length; i++) {
        const d = out[i]! * scale;
        // NaN (e.g. 0/0) stays NaN; a non-positive depth means "behind the camera": clamp far
        out[i] = Number.isNaN(d) ? d : d > 0 ? Math.min(Math.max(d, lo), hi) : hi;
      }
      return out;
    }
    case "lstsqInverse": {
      const x = new Float64Array(gt.length);
      const target = new Float64Array(gt.length);
      for (let i = 0; i < gt.length; i++) {
        x[i] = inverseInput ? pred[i]! : 1 / pred[i]!;
        target[i] = scored[i] ? 1 / gt[i]! : 0;
      }
      const { scale, shift } = fitScaleShift(x, target, scored);
      for (let i = 0; i < out.length; i++) out[i] = clampInverse(scale * x[i]! + shift);
      return out;
    }
    default:
      throw new DataError(
        `alignDepth: unknown alignment "${String(align)}" (use none, median or lstsqInverse)`,
      );
  }
}

/**
 * Fidelity of a quantized output to the float output of the same model on the same input:
 * fit float ≈ a·quant + b by least squares, then RMSE of the residual divided by the (population)
 * standard deviation of the float output. 0 = identical up to scale and shift, 1 = no better than a
 * constant. NaN when there is no element or the float output is constant.
 */
export function nrmseVsFloat(quant: Numbers, float: Numbers, valid?: Uint8Array): number {
  checkSameLength(quant, float, "nrmseVsFloat: quantized and float outputs");
  const { scale, shift, n } = fitScaleShift(quant, float, valid);
  if (n === 0) return Number.NaN;
  let mean = 0;
  for (let i = 0; i < float.length; i++) if (isValid(valid, i)) mean += float[i]!;
  mean /= n;
  let residual = 0;
  let spread = 0;
  for (let i = 0; i < float.length; i++) {
    if (!isValid(valid, i)) continue;
    const r = float[i]! - (scale * quant[i]! + shift);
    residual += r * r;
    spread += (float[i]! - mean) ** 2;
  }
  if (!(spread > 0)) return Number.NaN;
  return Math.sqrt(residual / n) / Math.sqrt(spread / n);
}
