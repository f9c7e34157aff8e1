import assert from "node:assert/strict";
import { test } from "node:test";
import {
  alignDepth,
  computeDepthMetrics,
  fitScaleShift,
  meanDepthMetrics,
  nrmseVsFloat,
} from "../../../compiler/data/metrics.js";

function near(actual: number, expected: number, tol = 1e-12): void {
  assert.ok(Math.abs(actual - expected) <= tol, `${actual} vs ${expected}`);
}

test("metrics on a hand-worked example", () => {
  const pred = [1.5, 1, 4, 3.8];
  const gt = [1, 2, 4, 2];
  const m = computeDepthMetrics(pred, gt);
  assert.equal(m.n, 4);
  // |d̂−d|/d = 0.5, 0.5, 0, 0.9
  near(m.absRel, 1.9 / 4);
  // (d̂−d)²/d = 0.25, 0.5, 0, 1.62
  near(m.sqRel, 2.37 / 4);
  near(m.rmse, Math.sqrt((0.25 + 1 + 0 + 3.24) / 4));
  const e = [Math.log(1.5), Math.log(0.5), 0, Math.log(1.9)];
  const meanE = (e[0]! + e[1]! + e[2]! + e[3]!) / 4;
  const meanE2 = (e[0]! ** 2 + e[1]! ** 2 + e[2]! ** 2 + e[3]! ** 2) / 4;
  near(m.rmseLog, Math.sqrt(meanE2));
  near(m.silog, 100 * Math.sqrt(meanE2 - meanE ** 2), 1e-10);
  near(m.log10, (Math.log10(1.5) + Math.log10(2) + 0 + Math.log10(1.9)) / 4);
  // ratios 1.5, 2, 1, 1.9 against 1.25, 1.5625, 1.953125
  assert.equal(m.delta1, 1 / 4);
  assert.equal(m.delta2, 2 / 4);
  assert.equal(m.delta3, 3 / 4);
});

test("a pure scale error has zero SILog but non-zero RMSE-log", () => {
  const gt = [1, 2, 3, 5];
  const m = computeDepthMetrics(
    gt.map((d) => d * 2),
    gt,
  );
  near(m.silog, 0, 1e-6);
  near(m.rmseLog, Math.log(2));
  near(m.absRel, 1);
});

test("mask and invalid ground truth exclude pixels", () => {
  const pred = [1, 100, 2, -5];
  const gt = [1, 1, 0, 2];
  // pixel 1 masked out, pixel 2 has no ground truth, pixel 3 masked out (its prediction is invalid)
  const m = computeDepthMetrics(pred, gt, Uint8Array.from([1, 0, 1, 0]));
  assert.equal(m.n, 1);
  assert.equal(m.absRel, 0);
  assert.equal(m.delta1, 1);
});

test("no valid pixel gives NaN figures and n = 0; bad predictions are errors", () => {
  const m = computeDepthMetrics([1, 2], [0, 0]);
  assert.equal(m.n, 0);
  assert.ok(Number.isNaN(m.absRel) && Number.isNaN(m.delta1) && Number.isNaN(m.silog));
  assert.throws(
    () => computeDepthMetrics([1, 0], [1, 1]),
    /prediction at pixel 1 is 0; it must be a positive depth/,
  );
  assert.throws(() => computeDepthMetrics([1], [1, 1]), /lengths differ \(1 vs 2\)/);
});

test("dataset figure is the mean of per-image figures, skipping empty images", () => {
  const a = computeDepthMetrics([2], [1]); // absRel 1
  const b = computeDepthMetrics([1, 1], [1, 1]); // absRel 0
  const empty = computeDepthMetrics([1], [0]);
  const mean = meanDepthMetrics([a, b, empty]);
  assert.equal(mean.absRel, 0.5, "per-image mean, not pixel-weighted (which would be 1/3)");
  assert.equal(mean.images, 2);
  assert.equal(mean.skipped, 1);
  assert.equal(mean.n, 3);
  assert.ok(Number.isNaN(meanDepthMetrics([empty]).absRel));
});

test("least-squares scale and shift", () => {
  // x = 0, 1, 2; y = 1, 2, 6: Sxx = 2, Sxy = 5 → s = 2.5, t = 3 − 2.5 = 0.5
  const fit = fitScaleShift([0, 1, 2], [1, 2, 6]);
  near(fit.scale, 2.5);
  near(fit.shift, 0.5);
  assert.equal(fit.n, 3);
  const masked = fitScaleShift([0, 1, 2, 50], [1, 3, 5, -7], Uint8Array.from([1, 1, 1, 0]));
  near(masked.scale, 2);
  near(masked.shift, 1);
  const flat = fitScaleShift([4, 4, 4], [1, 2, 6]);
  assert.equal(flat.scale, 0);
  near(flat.shift, 3);
  assert.ok(Number.isNaN(fitScaleShift([1], [1], Uint8Array.from([0])).scale));
});

test("lstsqInverse recovers depth from a sign-flipped, shifted inverse depth", () => {
  const gt = Float32Array.from([0.5, 1, 2, 4, 8]);
  const pred = Float32Array.from(gt, (d) => -3 / d + 7);
  const aligned = alignDepth(pred, gt, undefined, "lstsqInverse", { minDepth: 0.1, maxDepth: 10 });
  for (let i = 0; i < gt.length; i++) near(aligned[i]!, gt[i]!, 1e-5);
  const m = computeDepthMetrics(aligned, gt);
  near(m.absRel, 0, 1e-5);
  assert.equal(m.delta1, 1);
});

test("lstsqInverse clamps the aligned inverse depth to [1/maxDepth, 1/minDepth]", () => {
  // valid pixels fit exactly 1/gt = 0.5·x + 0.5; the two others fall outside the range
  const gt = [1, 2, 0, 0];
  const pred = [1, 0, -3, 10];
  const aligned = alignDepth(pred, gt, Uint8Array.from([1, 1, 0, 0]), "lstsqInverse", {
    minDepth: 0.5,
    maxDepth: 10,
  });
  near(aligned[0]!, 1);
  near(aligned[1]!, 2);
  near(aligned[2]!, 10, 1e-9); // aligned inverse −1 → 1/maxDepth
  near(aligned[3]!, 0.5, 1e-9); // aligned inverse 5.5 → 1/minDepth
});

test("median scaling and no alignment", () => {
  const gt = [1, 2, 3];
  const inverse = [1 / 2, 1 / 4, 1 / 6]; // depth 2, 4, 6: twice too far
  const median = alignDepth(inverse, gt, undefined, "median", { minDepth: 0.1, maxDepth: 10 });
  assert.deepEqual(Array.from(median), [1, 2, 3]);
  const none = alignDepth(inverse, gt, undefined, "none", { minDepth: 0.1, maxDepth: 5 });
  assert.deepEqual(Array.from(none), [2, 4, 5], "clamped to maxDepth");
  const depthKind = alignDepth([2, 4, 0], gt, undefined, "none", {
    minDepth: 0.1,
    maxDepth: 5,
    predKind: "depth",
  });
  assert.deepEqual(Array.from(depthKind), [2, 4, 5], "non-positive depth clamps far");
  assert.ok(alignDepth([1], [0], undefined, "median", { minDepth: 0.1, maxDepth: 5 }).every(Number.isNaN));
});

test("without a finite range the clamp falls back to the ground truth's range", () => {
  const gt = [1, 4];
  const aligned = alignDepth([0, 3, 100], [...gt, 0], undefined, "lstsqInverse", {
    minDepth: 0,
    maxDepth: Number.POSITIVE_INFINITY,
  });
  near(aligned[0]!, 1);
  near(aligned[1]!, 4);
  near(aligned[2]!, 4, 1e-9); // aligned inverse 1 − 25 < 0 → far end of the ground truth
});

test("nrmseVsFloat: hand-worked value, invariance to scale and shift, degenerate cases", () => {
  const float = [0, 1, 2, 3];
  const quant = [0, 1, 3, 3];
  // Sqq = 6.75, Sff = 5, Sqf = 5.5 → nrmse² = 1 − Sqf²/(Sqq·Sff)
  near(nrmseVsFloat(quant, float), Math.sqrt(1 - 30.25 / 33.75));
  near(
    nrmseVsFloat(
      quant.map((q) => -4 * q + 9),
      float,
    ),
    Math.sqrt(1 - 30.25 / 33.75),
  );
  near(
    nrmseVsFloat(
      float.map((f) => 2 * f - 1),
      float,
    ),
    0,
  );
  assert.ok(Number.isNaN(nrmseVsFloat([1, 2], [3, 3])), "constant float output");
  assert.ok(Number.isNaN(nrmseVsFloat([1], [2], Uint8Array.from([0]))), "nothing selected");
  near(nrmseVsFloat([0, 1, 9], [0, 1, 0], Uint8Array.from([1, 1, 0])), 0);
});
