import type { DepthDataset, DepthSample } from "./depth-dataset.js";
import { DataError } from "./errors.js";
import { type Alignment, alignDepth, computeDepthMetrics, type DepthMetrics } from "./metrics.js";
import { resizeBilinear } from "./resize.js";

export interface EvaluateOptions {
  align: Alignment;
  /** ground truth is valid where minDepth < gt < maxDepth (strict) */
  minDepth: number;
  maxDepth: number;
  /** extra mask at ground-truth resolution (e.g. an evaluation crop), 1 = evaluate */
  mask?: Uint8Array;
  /** what the prediction holds; default "inverseDepth" (relative-depth models) */
  predKind?: "inverseDepth" | "depth";
}

/**
 * 1 where the ground truth is finite, inside (minDepth, maxDepth) and allowed by the mask. The bounds
 * are rounded to float32 first, as numpy/PyTorch evaluation code compares a float32 map with a
 * Python float, so a stored 0.1 m is not "greater than 0.1".
 */
export function validDepthMask(
  gt: Float32Array,
  minDepth: number,
  maxDepth: number,
  mask?: Uint8Array,
): Uint8Array {
  if (mask && mask.length !== gt.length) {
    throw new DataError(`validDepthMask: mask has ${mask.length} entries, ground truth ${gt.length}`);
  }
  const lo = Math.fround(minDepth);
  const hi = Math.fround(maxDepth);
  const valid = new Uint8Array(gt.length);
  for (let i = 0; i < gt.length; i++) {
    const d = gt[i]!;
    valid[i] = d > lo && d < hi && (mask === undefined || mask[i] !== 0) ? 1 : 0;
  }
  return valid;
}

/**
 * Scores one predicted map against ground truth, following the shared evaluation protocol: the
 * prediction is resized bilinearly (align_corners=false) to the ground-truth size, pixels with
 * minDepth < gt < maxDepth (and inside `mask`) are kept, the prediction is aligned per image
 * (see alignDepth) and the per-image metrics are returned (n = 0 and NaN figures when no pixel
 * is valid).
 */
export function evaluateDepth(
  pred: Float32Array,
  predH: number,
  predW: number,
  gtDepth: Float32Array,
  gtH: number,
  gtW: number,
  options: EvaluateOptions,
): DepthMetrics {
  if (pred.length !== predH * predW) {
    throw new DataError(`evaluateDepth: prediction has ${pred.length} values, expected ${predH}×${predW}`);
  }
  if (gtDepth.length !== gtH * gtW) {
    throw new DataError(`evaluateDepth: ground truth has ${gtDepth.length} values, expected ${gtH}×${gtW}`);
  }
  const resized =
    predH === gtH && predW === gtW
      ? pred
      : resizeBilinear(pred, predH, predW, gtH, gtW, { alignCorners: false });
  const valid = validDepthMask(gtDepth, options.minDepth, options.maxDepth, options.mask);
  const alignOptions = { minDepth: options.minDepth, maxDepth: options.maxDepth, predKind: options.predKind };
  const aligned = alignDepth(resized, gtDepth, valid, options.align, alignOptions);
  return computeDepthMetrics(aligned, gtDepth, valid);
}

/**
 * Scores a prediction for one sample of a data set with the set's range and evaluation crop
 * (`useCrop: false` to skip the crop, e.g. for protocols that evaluate full frames).
 */
export function evaluateSample(
  dataset: DepthDataset,
  sample: DepthSample,
  pred: Float32Array,
  predH: number,
  predW: number,
  options: { align: Alignment; useCrop?: boolean; predKind?: "inverseDepth" | "depth" },
): DepthMetrics {
  const gt = dataset.loadDepthMap(sample);
  const evalOptions: EvaluateOptions = {
    align: options.align,
    minDepth: dataset.minDepth,
    maxDepth: dataset.maxDepth,
  };
  if (options.predKind) evalOptions.predKind = options.predKind;
  if (dataset.evalMask && options.useCrop !== false) evalOptions.mask = dataset.evalMask(gt.height, gt.width);
  return evaluateDepth(pred, predH, predW, gt.data, gt.height, gt.width, evalOptions);
}
