/** A fully convolutional graph re-sized to another input resolution computes what it would if built there. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { runGraph } from "../../../compiler/exec/float.js";
import { loadModel } from "../../../compiler/import/index.js";
import { GraphBuilder } from "../../../compiler/ir/builder.js";
import { type Graph, GraphError } from "../../../compiler/ir/graph.js";
import { inputStride, parseInputSize, withInputSize } from "../../../compiler/ir/input-size.js";
import { floatTensor, sizeOf } from "../../../compiler/ir/tensor.js";
import { missingShared, pydnetModelPath } from "../../../compiler/paths.js";
import { seededRandom, uniform } from "../../helpers/onnx-random.js";

const conv = (stride: number) => ({
  strides: [stride, stride] as const,
  pads: [1, 1, 1, 1] as const,
  dilations: [1, 1] as const,
  group: 1,
});

/** Encoder (two stride-2 convs) and a decoder that upsamples ×2 and concatenates the skip, at h×w. */
function unet(h: number, w: number, reshapeTail = false): Graph {
  const rnd = seededRandom(7);
  const b = new GraphBuilder("unet");
  const weight = (o: number, i: number) =>
    b.addInitializer("w", floatTensor([o, i, 3, 3], uniform(rnd, o * i * 9)));
  const x = b.addInput("x", { dtype: "float32", shape: [1, 3, h, w] });
  const e1 = b.add("Conv2d", [x, weight(4, 3)], conv(2));
  const e2 = b.add("Conv2d", [e1, weight(6, 4)], conv(2));
  const up = b.add("Resize", [e2], {
    mode: "bilinear",
    coordinateTransform: "align_corners",
    size: [h / 2, w / 2],
  });
  const cat = b.add("Concat", [e1, up], { axis: 1 });
  let y = b.add("Conv2d", [cat, weight(1, 10)], conv(1));
  if (reshapeTail) y = b.add("Reshape", [y], { shape: [1, (h / 2) * (w / 2)] });
  b.setOutputs([y]);
  return b.build();
}

test("a resized graph computes what the graph built at that size computes", async () => {
  const small = unet(16, 24);
  const resized = withInputSize(small, { height: 32, width: 40 });
  const direct = unet(32, 40);
  assert.deepEqual(resized.values.get(resized.outputs[0]!)!.shape, [1, 1, 16, 20]);
  const input = floatTensor([1, 3, 32, 40], uniform(seededRandom(3), sizeOf([1, 3, 32, 40])));
  const a = (await runGraph(resized, { x: input }))[resized.outputs[0]!]!;
  const b = (await runGraph(direct, { x: input }))[direct.outputs[0]!]!;
  assert.deepEqual([...a.data], [...b.data]);
  assert.equal(resized.metadata.inputSize, "32x40");
  // the original is untouched
  assert.deepEqual(small.values.get("x")!.shape, [1, 3, 16, 24]);
});

test("a size the strides do not divide is refused at the node where the branches meet, with the sizes that work", () => {
  const g = unet(16, 24);
  assert.deepEqual(inputStride(g), { height: 4, width: 4 });
  assert.throws(
    () => withInputSize(g, { height: 18, width: 24 }),
    (e: Error) => e instanceof GraphError && /Concat/.test(e.message) && /multiples of 4×4/.test(e.message),
  );
});

test("a node that fixes a spatial shape makes the graph unresizable, by name", () => {
  assert.throws(
    () => withInputSize(unet(16, 24, true), { height: 32, width: 48 }),
    (e: Error) => /Reshape .*fixes a shape/.test(e.message),
  );
});

test("input sizes parse as HEIGHTxWIDTH and bad text is named", () => {
  assert.deepEqual(parseInputSize("128x384"), { height: 128, width: 384 });
  assert.deepEqual(parseInputSize("64×64"), { height: 64, width: 64 });
  for (const bad of ["96", "0x10", "ax3", "128x384x3"])
    assert.throws(() => parseInputSize(bad), new RegExp(bad));
});

const missing = missingShared([pydnetModelPath()]);

test("PyDNet-mobile runs at 128×384 and refuses 96×320 (not a multiple of its 64-pixel stride)", {
  skip: missing,
}, async () => {
  const g = loadModel(pydnetModelPath());
  assert.deepEqual(inputStride(g), { height: 64, width: 64 });
  const r = withInputSize(g, parseInputSize("128x384"));
  const out = r.values.get(r.outputs[0]!)!;
  assert.deepEqual(out.shape.slice(2), [64, 192]);
  const input = floatTensor([1, 3, 128, 384], uniform(seededRandom(5), 3 * 128 * 384));
  const y = (await runGraph(r, { [r.inputs[0]!]: input }))[r.outputs[0]!]!;
  assert.ok(y.data.every(Number.isFinite));
  assert.throws(() => withInputSize(g, parseInputSize("96x320")), /multiples of 64×64/);
});
