/** Depth Anything-shaped ViT + DPT models built in the channel-major IR: shapes, sizes and a float run. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { runGraph } from "../../../compiler/exec/float.js";
import { validateGraph } from "../../../compiler/ir/builder.js";
import type { Graph } from "../../../compiler/ir/graph.js";
import { floatTensor, sizeOf } from "../../../compiler/ir/tensor.js";
import { channelMajorTokens, foldLayerNormAffine } from "../../../compiler/ir/tokens.js";
import { buildVitDpt, VIT_DPT_PRESETS, vitDptCost } from "../../../compiler/zoo/vit-dpt.js";
import { seededRandom, uniform } from "../../helpers/onnx-random.js";

const ALLOWED = new Set(["Conv2d", "Relu", "Add", "Resize", "ChannelLayerNorm", "Attention", "Gelu"]);

function shapeOfNode(g: Graph, name: string): readonly number[] {
  const node = g.nodes.find((n) => n.name === name);
  assert.ok(node, `node ${name}`);
  return g.values.get(node.outputs[0]!)!.shape;
}

test("vits at 64×64 (patch 16, 2 blocks): shapes through encoder and DPT decoder", () => {
  const g = buildVitDpt("vits", { imageSize: 64, depth: 2 });
  validateGraph(g);
  assert.deepEqual(g.inputs, ["image"]);
  assert.deepEqual(g.outputs, ["depth"]);
  assert.deepEqual(g.values.get("depth")!.shape, [1, 1, 64, 64]);
  for (const n of g.nodes) assert.ok(ALLOWED.has(n.op), `${n.op} is an op the accelerator path knows`);
  assert.deepEqual(shapeOfNode(g, "pretrained.blocks.1.attn"), [1, 384, 4, 4]);
  assert.deepEqual(shapeOfNode(g, "pretrained.blocks.1.attn.qkv"), [1, 1152, 4, 4]);
  const rn = [1, 2, 3, 4].map((i) => shapeOfNode(g, `depth_head.scratch.layer${i}_rn`));
  assert.deepEqual(rn, [
    [1, 64, 16, 16],
    [1, 64, 8, 8],
    [1, 64, 4, 4],
    [1, 64, 2, 2],
  ]);
  assert.deepEqual(shapeOfNode(g, "depth_head.scratch.refinenet1.out_conv"), [1, 64, 32, 32]);
  const attn = g.nodes.find((n) => n.op === "Attention")!;
  assert.deepEqual(attn.attrs, { heads: 6, scale: 1 / 8 });
  assert.equal(channelMajorTokens(g), g, "already channel-major: nothing to rewrite");
});

test("patch 14 and non-square images follow the patch grid", () => {
  const g = buildVitDpt("vits", { imageSize: [56, 84], patchSize: 14, depth: 1, weights: "zeros" });
  assert.deepEqual(shapeOfNode(g, "pretrained.blocks.0.attn"), [1, 384, 4, 6]);
  assert.deepEqual(shapeOfNode(g, "depth_head.scratch.layer4_rn"), [1, 64, 2, 3]);
  assert.deepEqual(g.values.get("depth")!.shape, [1, 1, 56, 84]);
  assert.throws(() => buildVitDpt("vits", { imageSize: 64, patchSize: 14 }), /not a multiple of patch 14/);
  assert.ok(
    [...g.initializers.values()].every((t) => t.data.every((v) => v === 0)),
    "zero weights",
  );
});

test("parameter counts match ViT-S / ViT-L Depth Anything", () => {
  const s = vitDptCost(buildVitDpt("vits", { imageSize: 256, weights: "zeros" }));
  assert.ok(s.encoder.params > 21e6 && s.encoder.params < 22e6, `ViT-S encoder ${s.encoder.params}`);
  assert.ok(s.total.params > 24e6 && s.total.params < 25.5e6, `ViT-S + DPT ${s.total.params}`);
  // Per block at 256 tokens: 12·D² per token in the linears plus 2·T²·D in attention.
  const T = 256;
  const D = 384;
  const block = T * 12 * D * D + 2 * T * T * D;
  assert.equal(s.encoder.macs, 12 * block + T * D * 3 * 16 * 16);
  const l = vitDptCost(buildVitDpt("vitl", { imageSize: 256, weights: "zeros" }));
  assert.ok(l.encoder.params > 300e6 && l.encoder.params < 306e6, `ViT-L encoder ${l.encoder.params}`);
  assert.ok(l.total.params > 330e6 && l.total.params < 340e6, `ViT-L + DPT ${l.total.params}`);
  assert.equal(VIT_DPT_PRESETS.vitl.layers.at(-1), VIT_DPT_PRESETS.vitl.depth - 1);
});

test("vits at 64×64 runs in float; seeds matter; the norm fold keeps the function", async () => {
  const g = buildVitDpt("vits", { imageSize: 64, depth: 2, seed: 3 });
  const image = floatTensor([1, 3, 64, 64], uniform(seededRandom(1), 3 * 64 * 64));
  const probe = g.nodes.find((n) => n.name === "depth_head.scratch.output_conv2.2")!.outputs[0]!;
  const out = await runGraph(g, { image }, { keepAll: true });
  const pre = out[probe]!.data;
  assert.ok(pre.every(Number.isFinite), "finite");
  assert.ok(Math.max(...pre) - Math.min(...pre) > 1e-6, "not constant");
  assert.deepEqual(out.depth!.shape, [1, 1, 64, 64]);
  const other = buildVitDpt("vits", { imageSize: 64, depth: 2, seed: 4 });
  const out2 = (await runGraph(other, { image }, { keepAll: true }))[probe]!.data;
  assert.ok(
    out2.some((v, i) => v !== pre[i]),
    "another seed, another function",
  );
  const f = foldLayerNormAffine(g);
  assert.ok(f.nodes.filter((n) => n.op === "ChannelLayerNorm").every((n) => n.inputs.length === 1));
  const folded = (await runGraph(f, { image }, { keepAll: true }))[probe]!.data;
  const scale = Math.max(...pre.map(Math.abs));
  const worst = Math.max(...folded.map((v, i) => Math.abs(v - pre[i]!)));
  assert.ok(worst <= 1e-4 * scale, `folded differs by ${worst} (scale ${scale})`);
  assert.equal(sizeOf(out.depth!.shape), 64 * 64);
});
