/** A ViT encoder + DPT decoder exported the PyTorch way imports into a compact, runnable IR graph. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { runGraph } from "../../../compiler/exec/float.js";
import { importOnnx } from "../../../compiler/import/onnx.js";
import { validateGraph } from "../../../compiler/ir/builder.js";
import { floatTensor, type Tensor } from "../../../compiler/ir/tensor.js";
import { nodesOf, outputShape } from "../../helpers/onnx-graph-queries.js";
import { seededRandom, uniform } from "../../helpers/onnx-random.js";
import { buildVitDptOnnx, type VitDptOptions } from "../../helpers/onnx-vit-dpt.js";

function counts(ops: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const op of ops) out[op] = (out[op] ?? 0) + 1;
  return out;
}

async function depthOf(opts: VitDptOptions, image: Tensor): Promise<Tensor> {
  const m = buildVitDptOnnx(opts);
  const g = importOnnx(m.bytes);
  return (await runGraph(g, { [m.inputName]: image }))[m.outputName]!;
}

const image64 = floatTensor([1, 3, 64, 64], uniform(seededRandom(5), 3 * 64 * 64));

test("the ViT-DPT export imports with static shapes and no shape arithmetic left", () => {
  const m = buildVitDptOnnx();
  const g = importOnnx(m.bytes, { name: "vit" });
  validateGraph(g);
  assert.equal(g.name, "vit");
  assert.deepEqual(g.inputs, ["image"]);
  assert.deepEqual(g.values.get("image")?.shape, [1, 3, 64, 64], "dynamic batch defaults to 1");
  assert.deepEqual(g.outputs, ["depth"]);
  assert.deepEqual(outputShape(g), m.outputShape);
  assert.equal(g.metadata.format, "onnx");
  assert.equal(g.metadata.opset, "17");
  const c = counts(g.nodes.map((n) => n.op));
  assert.equal(c.Conv2d, 6, "patch embed, project, three fusion/head 3×3, final 1×1");
  assert.equal(c.ConvTranspose2d, 2);
  assert.equal(c.LayerNorm, 5, "2 per block + final");
  assert.equal(c.Softmax, 2);
  assert.equal(c.Gelu, 2, "the decomposed erf Gelu is recognized");
  assert.equal(c.MatMul, 12, "per block: qkv, q·kᵀ, attn·v, proj, fc1, fc2");
  assert.equal(c.Erf, undefined);
  assert.equal(c.Cast, undefined, "no shape math survives");
  const resizes = nodesOf(g, "Resize").map((n) => [n.attrs.coordinateTransform, n.attrs.size.join("x")]);
  assert.deepEqual(resizes, [
    ["align_corners", "32x32"],
    ["half_pixel", "64x64"],
  ]);
  const patch = nodesOf(g, "Conv2d")[0]!;
  assert.deepEqual(patch.attrs.strides, [16, 16]);
  assert.deepEqual(g.values.get(patch.outputs[0]!)?.shape, [1, 32, 4, 4]);
  // Attention scores per head: [batch, heads, tokens, tokens].
  assert.deepEqual(g.values.get(nodesOf(g, "Softmax")[0]!.outputs[0]!)?.shape, [1, 2, 16, 16]);
  assert.ok(g.initializers.has("blocks.0.attn.qkv.weight"), "initializer names are kept");
});

test("inputShapes with batch 2 and a non-square image propagate through the folded shape chains", async () => {
  const m = buildVitDptOnnx({ imageSize: [32, 48], seed: 3 });
  const g = importOnnx(m.bytes, { inputShapes: { image: [2, 3, 32, 48] } });
  assert.deepEqual(outputShape(g), [2, 1, 32, 48]);
  const x = floatTensor([2, 3, 32, 48], uniform(seededRandom(8), 2 * 3 * 32 * 48));
  const out = (await runGraph(g, { image: x }))[m.outputName]!;
  assert.deepEqual(out.shape, [2, 1, 32, 48]);
  // Batch items are independent: running the first image alone gives the first half of the batch.
  const single = importOnnx(m.bytes);
  const first = floatTensor([1, 3, 32, 48], x.data.subarray(0, 3 * 32 * 48));
  const one = (await runGraph(single, { image: first }))[m.outputName]!;
  const half = out.data.subarray(0, one.data.length);
  for (let i = 0; i < one.data.length; i++)
    assert.ok(Math.abs(half[i]! - one.data[i]!) < 1e-5, `batch item 0 at ${i}`);
});

test("fused and decomposed LayerNorm/Gelu exports (opsets 17, 18, 20) compute the same depth", async () => {
  const reference = await depthOf({}, image64);
  const data = reference.data;
  assert.ok(data.every(Number.isFinite), "finite output");
  const spread = Math.max(...data) - Math.min(...data);
  assert.ok(spread > 1e-3, "the output is not constant");
  for (const variant of [
    { layerNorm: "decomposed" },
    { opset: 18, layerNorm: "decomposed" },
    { opset: 20, gelu: "fused" },
  ] as const) {
    const out = await depthOf(variant, image64);
    let worst = 0;
    for (let i = 0; i < data.length; i++) worst = Math.max(worst, Math.abs(out.data[i]! - data[i]!));
    assert.ok(worst < 1e-5 * spread + 1e-6, `${JSON.stringify(variant)} differs by ${worst}`);
  }
});

test("a different seed gives different weights and a different output", async () => {
  const a = await depthOf({ seed: 1 }, image64);
  const b = await depthOf({ seed: 2 }, image64);
  assert.ok(a.data.some((v, i) => Math.abs(v - b.data[i]!) > 1e-4));
});

test("a position embedding interpolated with bicubic Resize (DINOv2 at a new size) folds to one constant", async () => {
  const m = buildVitDptOnnx({ posEmbedGrid: 3 });
  const g = importOnnx(m.bytes);
  const add = g.nodes.find((n) => n.name === "pos_embed/Add");
  assert.ok(add, "the position-embedding Add is kept");
  const pos = g.initializers.get(add.inputs[1]!);
  assert.deepEqual(pos?.shape, [1, m.tokens, 32]);
  assert.equal(nodesOf(g, "Resize").length, 2, "only the two decoder resizes remain");
  const out = (await runGraph(g, { image: image64 }))[m.outputName]!;
  assert.ok(out.data.every(Number.isFinite));
});
