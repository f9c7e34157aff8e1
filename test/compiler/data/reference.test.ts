import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { openDataset } from "../../../compiler/data/datasets.js";
import { evaluateSample } from "../../../compiler/data/evaluate.js";
import { toFloatCHW } from "../../../compiler/data/image.js";
import { meanDepthMetrics, nrmseVsFloat } from "../../../compiler/data/metrics.js";
import { readNpy } from "../../../compiler/data/npy.js";
import { sharedDir } from "../../helpers/data-fixtures.js";

// Checks against the shared pydnet-mobile reference files and the mosd-learn frames they were made from.
const modelDir = join(sharedDir(), "models", "pydnet-mobile");
const learnDir = join(sharedDir(), "data", "mosd-learn");
const available =
  existsSync(join(modelDir, "reference_inputs.npy")) &&
  existsSync(join(modelDir, "reference_outputs_float.npy")) &&
  existsSync(join(learnDir, "manifest.json"));
const missing = `shared reference data not found under ${sharedDir()}`;

function referenceIds(): string[] {
  return readFileSync(join(modelDir, "reference_ids.txt"), "utf8").split(/\s+/).filter(Boolean);
}

test("toFloatCHW reproduces the reference network inputs bit for bit", (t) => {
  if (!available) return t.skip(missing);
  const inputs = readNpy(join(modelDir, "reference_inputs.npy"));
  const ds = openDataset(learnDir);
  const frame = 3 * 192 * 640;
  referenceIds().forEach((id, k) => {
    const sample = ds.samples.find((s) => s.id === id)!;
    const mine = toFloatCHW(ds.loadRgb(sample), { width: 640, height: 192 });
    const ref = inputs.data.subarray(k * frame, (k + 1) * frame);
    let mismatches = 0;
    for (let i = 0; i < frame; i++) if (mine[i] !== ref[i]) mismatches++;
    assert.equal(mismatches, 0, `${id}: ${mismatches} values differ`);
  });
});

test("aligned float reference outputs score plausibly on their mosd-learn frames", (t) => {
  if (!available) return t.skip(missing);
  const outputs = readNpy(join(modelDir, "reference_outputs_float.npy"));
  assert.deepEqual(outputs.shape, [4, 1, 96, 320]);
  const ds = openDataset(learnDir);
  const plane = 96 * 320;
  const perImage = referenceIds().map((id, k) => {
    const sample = ds.samples.find((s) => s.id === id)!;
    const pred = Float32Array.from(outputs.data.subarray(k * plane, (k + 1) * plane));
    return evaluateSample(ds, sample, pred, 96, 320, { align: "lstsqInverse" });
  });
  const mean = meanDepthMetrics(perImage);
  assert.equal(mean.images, 4);
  assert.ok(mean.absRel > 0.05 && mean.absRel < 0.25, `AbsRel ${mean.absRel}`);
  assert.ok(mean.delta1 > 0.6 && mean.delta1 < 0.95, `δ1 ${mean.delta1}`);
  // an unaligned relative output would be meaningless: alignment must beat "none" by far
  const sample = ds.samples.find((s) => s.id === referenceIds()[0])!;
  const raw = evaluateSample(ds, sample, Float32Array.from(outputs.data.subarray(0, plane)), 96, 320, {
    align: "none",
  });
  assert.ok(raw.absRel > perImage[0]!.absRel * 2);
});

test("hybrid-kernel reference is within 0.08 std of the pure-float one", (t) => {
  if (!available) return t.skip(missing);
  const float = readNpy(join(modelDir, "reference_outputs_float.npy"));
  const hybrid = readNpy(join(modelDir, "reference_outputs.npy"));
  const plane = 96 * 320;
  for (let k = 0; k < 4; k++) {
    const f = float.data.subarray(k * plane, (k + 1) * plane);
    const q = hybrid.data.subarray(k * plane, (k + 1) * plane);
    const nrmse = nrmseVsFloat(q, f);
    assert.ok(nrmse > 0 && nrmse < 0.08, `frame ${k}: nrmse ${nrmse}`);
  }
});
