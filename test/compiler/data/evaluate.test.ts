import assert from "node:assert/strict";
import { test } from "node:test";
import { openDataset } from "../../../compiler/data/datasets.js";
import { evaluateDepth, evaluateSample, validDepthMask } from "../../../compiler/data/evaluate.js";
import { buildKitti, buildRgbdFolder, tempDir } from "../../helpers/data-fixtures.js";

const range = { minDepth: 0.1, maxDepth: 10 };

test("prediction is resized with half-pixel bilinear before alignment", () => {
  // [0, 4] → [0, 1, 3, 4] with align_corners=false; ground truth has 1/gt = 0.1·x + 0.2 on that
  const gt = Float32Array.from([0.2, 0.3, 0.5, 0.6], (inv) => 1 / inv);
  const m = evaluateDepth(Float32Array.from([0, 4]), 1, 2, gt, 1, 4, { align: "lstsqInverse", ...range });
  assert.equal(m.n, 4);
  assert.ok(m.absRel < 1e-6, `absRel ${m.absRel}`);
  // the same ground truth against an align-corners style upsampling ([0, 4/3, 8/3, 4]) is not exact
  const corners = evaluateDepth(Float32Array.from([0, 4 / 3, 8 / 3, 4]), 1, 4, gt, 1, 4, {
    align: "lstsqInverse",
    ...range,
  });
  assert.ok(corners.absRel > 1e-3);
});

test("valid pixels are strictly inside the range and inside the mask", () => {
  const gt = Float32Array.from([0.1, 0.5, 1, 10, 2, 0]);
  assert.deepEqual(Array.from(validDepthMask(gt, 0.1, 10)), [0, 1, 1, 0, 1, 0]);
  assert.deepEqual(
    Array.from(validDepthMask(gt, 0.1, 10, Uint8Array.from([1, 1, 0, 1, 1, 1]))),
    [0, 1, 0, 0, 1, 0],
  );
  // a wrong prediction on a pixel outside the mask does not count
  const pred = Float32Array.from(gt, (d) => (d > 0 ? 1 / d : 0));
  pred[2] = 50;
  const masked = evaluateDepth(pred, 2, 3, gt, 2, 3, {
    align: "none",
    ...range,
    mask: Uint8Array.from([1, 1, 0, 1, 1, 1]),
  });
  assert.equal(masked.n, 2);
  assert.ok(masked.absRel < 1e-6);
  const unmasked = evaluateDepth(pred, 2, 3, gt, 2, 3, { align: "none", ...range });
  assert.equal(unmasked.n, 3);
  assert.ok(unmasked.absRel > 0.2);
});

test("an image with no valid pixel scores NaN with n = 0", () => {
  const m = evaluateDepth(new Float32Array(4), 2, 2, new Float32Array(4), 2, 2, {
    align: "lstsqInverse",
    ...range,
  });
  assert.equal(m.n, 0);
  assert.ok(Number.isNaN(m.absRel));
});

test("size mismatches are reported", () => {
  assert.throws(
    () => evaluateDepth(new Float32Array(3), 2, 2, new Float32Array(4), 2, 2, { align: "none", ...range }),
    /prediction has 3 values, expected 2×2/,
  );
  assert.throws(
    () => evaluateDepth(new Float32Array(4), 2, 2, new Float32Array(4), 1, 2, { align: "none", ...range }),
    /ground truth has 4 values, expected 1×2/,
  );
});

test("evaluateSample uses the data set's range and crop", (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  buildRgbdFolder(dir, { count: 1, width: 6, height: 4 });
  const ds = openDataset(dir);
  const sample = ds.samples[0]!;
  const gt = ds.loadDepth(sample);
  const pred = Float32Array.from(gt, (d) => (d > 0 ? 2 / d + 1 : 0));
  const m = evaluateSample(ds, sample, pred, 4, 6, { align: "lstsqInverse" });
  assert.equal(m.n, 23, "every pixel but the zero one");
  assert.ok(m.absRel < 1e-5);

  const kitti = tempDir();
  t.after(kitti.cleanup);
  buildKitti(kitti.dir, 40, 20);
  const kds = openDataset(kitti.dir);
  const ks = kds.samples[0]!;
  const kgt = kds.loadDepth(ks);
  // perfect inside the Garg crop, garbage outside it
  const crop = kds.evalMask!(20, 40);
  const kpred = Float32Array.from(kgt, (d, i) => (crop[i] ? 1 / d : 1000));
  const cropped = evaluateSample(kds, ks, kpred, 20, 40, { align: "none" });
  const expectedN = Array.from(crop).filter((v, i) => v && kgt[i]! > 1e-3 && kgt[i]! < 80).length;
  assert.equal(cropped.n, expectedN);
  assert.ok(cropped.absRel < 1e-5);
  const full = evaluateSample(kds, ks, kpred, 20, 40, { align: "none", useCrop: false });
  assert.ok(full.n > cropped.n && full.absRel > 0.1);
});
