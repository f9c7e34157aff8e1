import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { readNpy } from "../../../compiler/data/npy.js";
import { runGraph } from "../../../compiler/exec/float.js";
import { importTflite } from "../../../compiler/import/tflite.js";
import { readTflite } from "../../../compiler/import/tflite-schema.js";
import { graphStats } from "../../../compiler/ir/printer.js";
import { missingShared, pydnetModelPath, sharedPath } from "../../../compiler/paths.js";

const model = pydnetModelPath();
const inputs = sharedPath("models", "pydnet-mobile", "reference_inputs.npy");
const floatRef = sharedPath("models", "pydnet-mobile", "reference_outputs_float.npy");
const hybridRef = sharedPath("models", "pydnet-mobile", "reference_outputs.npy");
const missing = missingShared([model, inputs, floatRef, hybridRef]);

function std(a: ArrayLike<number>): number {
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < a.length; i++) {
    s += a[i]!;
    s2 += a[i]! * a[i]!;
  }
  return Math.sqrt(s2 / a.length - (s / a.length) ** 2);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

test("PyDNet-mobile imports as a pure NCHW graph with the documented structure", { skip: missing }, () => {
  const g = importTflite(new Uint8Array(readFileSync(model)));
  const s = graphStats(g);
  assert.equal(s.ops.Conv2d, 42);
  assert.equal(s.ops.LeakyRelu, 30);
  assert.equal(s.ops.Resize, 5);
  assert.equal(s.ops.Transpose ?? 0, 0, "every NHWC↔NCHW transpose must cancel");
  assert.ok(Math.abs(s.macs - 4.62e9) < 0.01e9, `MACs ${s.macs}`);
  assert.ok(Math.abs(s.weights - 1.97e6) < 0.01e6, `weights ${s.weights}`);
  assert.ok(Math.abs(s.zeroWeights / s.weights - 0.35) < 0.005);
  assert.deepEqual(s.inputs[0]!.shape, [1, 3, 192, 640]);
  assert.deepEqual(s.outputs[0]!.shape, [1, 1, 96, 320]);
  for (const node of g.nodes) {
    if (node.op === "Resize") assert.equal(node.attrs.coordinateTransform, "align_corners");
  }
});

test("float executor reproduces the reference outputs of PyDNet-mobile", { skip: missing }, async () => {
  const g = importTflite(new Uint8Array(readFileSync(model)));
  const x = readNpy(inputs);
  const ref = readNpy(floatRef);
  const hyb = readNpy(hybridRef);
  const per = 3 * 192 * 640;
  const outPer = 96 * 320;
  for (const frame of [0, 3]) {
    const data = Float32Array.from(x.data.subarray(frame * per, (frame + 1) * per));
    const out = await runGraph(g, { [g.inputs[0]!]: { dtype: "float32", shape: [1, 3, 192, 640], data } });
    const y = out[g.outputs[0]!]!.data;
    const r = ref.data.subarray(frame * outPer, (frame + 1) * outPer);
    const h = hyb.data.subarray(frame * outPer, (frame + 1) * outPer);
    const sd = std(r);
    assert.ok(
      maxAbsDiff(y, r) <= 1e-3 * sd,
      `frame ${frame}: float max error ${maxAbsDiff(y, r) / sd} × std`,
    );
    assert.ok(
      maxAbsDiff(y, h) <= 0.08 * std(h),
      `frame ${frame}: hybrid max error ${maxAbsDiff(y, h) / std(h)} × std`,
    );
  }
});

test("a truncated or foreign file is refused with the reason", () => {
  assert.throws(
    () => readTflite(new Uint8Array([1, 2, 3])),
    /not a valid TFLite model: file is only 3 bytes/,
  );
  const fake = new Uint8Array(64);
  fake.set([0x54, 0x46, 0x4c, 0x34], 4);
  assert.throws(() => readTflite(fake), /file identifier is "TFL4"/);
});

test("truncating the real model gives a format error, not a crash", { skip: missing }, () => {
  const bytes = new Uint8Array(readFileSync(model));
  assert.throws(
    () => importTflite(bytes.subarray(0, 4096)),
    (e: Error) => /not a valid TFLite model|past the end|bytes, shape/.test(e.message),
  );
});
