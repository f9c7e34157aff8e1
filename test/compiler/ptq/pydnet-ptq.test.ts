import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { openDataset } from "../../../compiler/data/datasets.js";
import { evaluateModel, floatExecutor } from "../../../compiler/eval/evaluate-model.js";
import { fakeQuantExecutor, goldenExecutor } from "../../../compiler/eval/quantized-executors.js";
import { importTflite } from "../../../compiler/import/tflite.js";
import { missingShared, pydnetModelPath, sharedPath } from "../../../compiler/paths.js";
import { loadCalibration } from "../../../compiler/ptq/calibration.js";
import type { QGraph } from "../../../compiler/ptq/qgraph.js";
import { decodeQGraphFile, encodeQGraphFile } from "../../../compiler/ptq/qgraph-codec.js";
import { METHODS, quantizeGraph } from "../../../compiler/ptq/quantize-graph.js";

const learn = sharedPath("data", "mosd-learn");
const testSet = sharedPath("data", "mosd-test");
const missing = missingShared([pydnetModelPath(), learn, testSet]);
const FRAMES = 3;

async function compile(recipe: "w4a4" | "w8a8", method: string, images: number): Promise<QGraph> {
  const g = importTflite(new Uint8Array(readFileSync(pydnetModelPath())));
  const calib = loadCalibration(learn, { width: 640, height: 192 }, images);
  const { qgraph } = await quantizeGraph(g, {
    recipe,
    method: METHODS[method]!,
    methodName: method,
    calibration: calib.inputs,
  });
  return qgraph;
}

/** Every operator is integer: int weights in range, int32 biases, integer output stages, no float op. */
function assertAllInteger(q: QGraph, weightBits: number): void {
  const lim = 2 ** (weightBits - 1);
  for (const node of q.nodes) {
    assert.ok(["conv", "resize", "concat"].includes(node.op), `unexpected op ${node.op}`);
    if (node.op !== "conv") continue;
    assert.ok(node.weights instanceof Int8Array);
    assert.equal(node.weightBits, weightBits);
    for (const w of node.weights)
      assert.ok(w >= -lim && w < lim, `${node.name}: weight ${w} outside ${weightBits} bits`);
    assert.ok(node.bias instanceof Int32Array);
    if (node.stage.kind === "threshold") {
      const t = node.stage.thresholds;
      for (let i = 0; i < t.length; i++)
        if (i % 15) assert.ok(t[i]! >= t[i - 1]!, `${node.name}: thresholds must not decrease`);
    }
    if (node.stage.kind === "requant")
      for (const m of node.stage.multiplier) assert.ok(m >= 2 ** 14 && m < 2 ** 15);
  }
  for (const v of q.values.values()) {
    if (v.enc.kind !== "lut4") continue;
    for (let c = 0; c < v.enc.channels; c++)
      assert.equal(v.enc.lut[c * 16 + v.enc.zeroCode[c]!], 0, `${v.name}: zero code`);
  }
}

test("W4A4 QuartDepth: integer-only graph, golden ≈ fake-quant, far closer to float than RTN", {
  skip: missing,
  timeout: 600_000,
}, async () => {
  const g = importTflite(new Uint8Array(readFileSync(pydnetModelPath())));
  const data = openDataset(testSet);
  const float = floatExecutor(g);
  const qd = await compile("w4a4", "quartdepth", 4);
  assertAllInteger(qd, 4);
  assert.equal(qd.values.get(qd.output)!.enc.kind, "acc32");
  const rtn = await compile("w4a4", "rtn", 4);
  const golden = await evaluateModel(goldenExecutor(qd), data, { limit: FRAMES, reference: float });
  const fake = await evaluateModel(fakeQuantExecutor(qd), data, { limit: FRAMES, reference: float });
  const rtnScore = await evaluateModel(goldenExecutor(rtn), data, { limit: FRAMES, reference: float });
  assert.ok(
    Math.abs(golden.delta1 - fake.delta1) <= 0.002,
    `golden δ1 ${golden.delta1} vs fake-quant ${fake.delta1}`,
  );
  assert.ok(golden.nrmse_vs_float! < 0.25, `QuartDepth nRMSE ${golden.nrmse_vs_float}`);
  assert.ok(
    golden.nrmse_vs_float! < 0.9 * rtnScore.nrmse_vs_float!,
    `QuartDepth ${golden.nrmse_vs_float} vs RTN ${rtnScore.nrmse_vs_float}`,
  );
  // The codec keeps every bit: the decoded graph computes the same outputs.
  const again = decodeQGraphFile(encodeQGraphFile(qd));
  const reread = await evaluateModel(goldenExecutor(again), data, { limit: 1 });
  const first = await evaluateModel(goldenExecutor(qd), data, { limit: 1 });
  assert.equal(reread.outputs_sha256, first.outputs_sha256);
});

test("W8A8 is nearly lossless", { skip: missing, timeout: 600_000 }, async () => {
  const g = importTflite(new Uint8Array(readFileSync(pydnetModelPath())));
  const q = await compile("w8a8", "rtn", 8);
  assertAllInteger(q, 8);
  const r = await evaluateModel(goldenExecutor(q), openDataset(testSet), {
    limit: 2,
    reference: floatExecutor(g),
  });
  assert.ok(r.nrmse_vs_float! < 0.05, `W8A8 nRMSE ${r.nrmse_vs_float}`);
});

test("a corrupted quantized-graph file is refused", () => {
  const bytes = encodeQGraphFile({
    name: "t",
    input: "x",
    output: "x",
    values: new Map(),
    nodes: [],
    metadata: {},
  });
  const bad = Uint8Array.from(bytes);
  bad[bad.length - 1]! ^= 0xff;
  assert.throws(() => decodeQGraphFile(bad, "t.qgraph"), /SHA-256 mismatch/);
  assert.throws(() => decodeQGraphFile(bytes.subarray(0, 20), "t.qgraph"), /truncated|SHA-256/);
  assert.throws(() => decodeQGraphFile(new Uint8Array(64), "t.qgraph"), /bad magic/);
});
