/** Exported ViT encoders rewritten to channel-major tokens compute the same function as imported. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { runGraph, type TensorMap } from "../../../compiler/exec/float.js";
import { importOnnx } from "../../../compiler/import/onnx.js";
import { GraphBuilder, validateGraph } from "../../../compiler/ir/builder.js";
import { type Graph, GraphError, type OpKind } from "../../../compiler/ir/graph.js";
import { floatTensor, sizeOf, type Tensor } from "../../../compiler/ir/tensor.js";
import { channelMajorTokens, foldLayerNormAffine } from "../../../compiler/ir/tokens.js";
import { nodesOf } from "../../helpers/onnx-graph-queries.js";
import { seededRandom, uniform } from "../../helpers/onnx-random.js";
import { buildVitDptOnnx, type VitDptOptions } from "../../helpers/onnx-vit-dpt.js";

function opCount(g: Graph, op: OpKind): number {
  return g.nodes.filter((n) => n.op === op).length;
}

function randomInput(shape: readonly number[], seed: number): Tensor {
  return floatTensor(shape, uniform(seededRandom(seed), sizeOf(shape)));
}

/**
 * Max |a − b| within 1e-4 of the reference's magnitude; the reference must not be all zero unless
 * `floor` gives the magnitude (a ReLU output may be all zero at random weights).
 */
function assertClose(actual: Tensor, expected: Tensor, what: string, floor = 0): void {
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  let worst = 0;
  let scale = floor;
  for (let i = 0; i < expected.data.length; i++) {
    worst = Math.max(worst, Math.abs(actual.data[i]! - expected.data[i]!));
    scale = Math.max(scale, Math.abs(expected.data[i]!));
  }
  assert.ok(scale > 0, `${what}: the reference is all zero, the comparison would prove nothing`);
  assert.ok(worst <= 1e-4 * scale, `${what}: differs by ${worst} (scale ${scale})`);
}

async function runAll(g: Graph, feeds: TensorMap): Promise<TensorMap> {
  return runGraph(g, feeds, { keepAll: true });
}

/** Two graphs agree on the probes (values named alike in both) and on the graph outputs. */
async function assertEquivalent(
  before: Graph,
  after: Graph,
  image: Tensor,
  what: string,
  probes: readonly string[],
): Promise<void> {
  const a = await runAll(before, { image });
  const b = await runAll(after, { image });
  let scale = 0;
  for (const name of probes) {
    assertClose(b[name]!, a[name]!, `${what} ${name}`);
    for (const v of a[name]!.data) scale = Math.max(scale, Math.abs(v));
  }
  for (const name of before.outputs) assertClose(b[name]!, a[name]!, `${what} ${name}`, scale);
}

/** The outputs of the decoder's first and last convs: named alike before and after the rewrite. */
function probes(g: Graph): string[] {
  return ["reassemble.project", "head.conv2"].map((prefix) => {
    const conv = g.nodes.find((n) => n.name.startsWith(prefix));
    assert.ok(conv, `the decoder's ${prefix} conv is there`);
    return conv.outputs[0]!;
  });
}

const variants: readonly VitDptOptions[] = [
  {},
  { layerNorm: "decomposed" },
  { opset: 13 },
  { opset: 18, layerNorm: "decomposed", depth: 3 },
  { opset: 20, gelu: "fused", layerNorm: "fused" },
  { posEmbedGrid: 3 },
  { imageSize: [32, 48], seed: 4 },
  { imageSize: [48, 32], posEmbedGrid: 5, layerNorm: "decomposed", seed: 6 },
];

for (const opts of variants) {
  test(`channelMajorTokens keeps the function of the ViT-DPT export ${JSON.stringify(opts)}`, async () => {
    const m = buildVitDptOnnx(opts);
    const g = importOnnx(m.bytes);
    const r = channelMajorTokens(g);
    validateGraph(r);
    const depth = opts.depth ?? 2;
    for (const op of ["MatMul", "Transpose", "Reshape", "Softmax", "LayerNorm", "Slice", "Split"] as const)
      assert.equal(opCount(r, op), 0, `no ${op} left`);
    assert.equal(opCount(r, "Attention"), depth);
    assert.equal(opCount(r, "ChannelLayerNorm"), 2 * depth + 1);
    assert.equal(opCount(r, "Gelu"), depth);
    assert.equal(opCount(r, "Conv2d"), 6 + 4 * depth, "4 linears per block became 1×1 convs");
    for (const a of nodesOf(r, "Attention")) {
      assert.deepEqual(a.attrs, { heads: 2, scale: 0.25 });
      const [, , gh, gw] = r.values.get(a.outputs[0]!)!.shape;
      assert.deepEqual([gh! * 16, gw! * 16], [...m.inputShape.slice(2)], "tokens sit on the patch grid");
    }
    for (const node of r.nodes)
      for (const o of node.outputs) assert.equal(r.values.get(o)!.shape.length, 4, `${o} is NCHW`);
    await assertEquivalent(g, r, randomInput(m.inputShape, 5), JSON.stringify(opts), probes(g));
  });
}

test("batch 2 rewrites and matches the imported graph", async () => {
  const m = buildVitDptOnnx({ imageSize: [32, 48], seed: 3 });
  const g = importOnnx(m.bytes, { inputShapes: { image: [2, 3, 32, 48] } });
  const r = channelMajorTokens(g);
  assert.deepEqual(r.values.get(nodesOf(r, "Attention")[0]!.outputs[0]!)!.shape, [2, 32, 2, 3]);
  await assertEquivalent(g, r, randomInput([2, 3, 32, 48], 9), "batch 2", probes(g));
});

test("the position embedding becomes a channel-major constant", () => {
  const m = buildVitDptOnnx({ posEmbedGrid: 3, imageSize: [32, 48] });
  const g = importOnnx(m.bytes);
  const before = g.initializers.get(g.nodes.find((n) => n.name === "pos_embed/Add")!.inputs[1]!)!;
  const r = channelMajorTokens(g);
  const add = r.nodes.find((n) => n.name === "pos_embed/Add")!;
  const after = r.initializers.get(add.inputs[1]!)!;
  assert.deepEqual(before.shape, [1, 6, 32]);
  assert.deepEqual(after.shape, [1, 32, 2, 3]);
  // Token t = y·gw + x, feature c → [0, c, y, x].
  for (const [t, c] of [
    [0, 0],
    [4, 7],
    [5, 31],
  ] as const)
    assert.equal(after.data[c * 6 + t], before.data[t * 32 + c]);
});

/** input [1, 8, 2, 2] → tokens [1, 4, 8] → `use` → back to [1, 8, 2, 2]. */
function tokenGraph(use: (b: GraphBuilder, tokens: string) => string): Graph {
  const b = new GraphBuilder("tokens");
  const x = b.addInput("x", { dtype: "float32", shape: [1, 8, 2, 2] });
  const flat = b.add("Reshape", [x], { shape: [1, 8, 4] });
  const tokens = b.add("Transpose", [flat], { perm: [0, 2, 1] });
  const y = use(b, tokens);
  const back = b.add("Transpose", [y], { perm: [0, 2, 1] });
  b.setOutputs([b.add("Reshape", [back], { shape: [1, 8, 2, 2] })]);
  return b.build();
}

test("a token tensor used by an op the rewrite does not map is an error naming the node", () => {
  const softmax = tokenGraph((b, t) => b.add("Softmax", [t], { axis: 2 }, { name: "odd_softmax" }));
  assert.throws(
    () => channelMajorTokens(softmax),
    (e: unknown) => e instanceof GraphError && /Softmax "odd_softmax"/.test(e.message),
  );
  const gram = tokenGraph((b, t) => {
    const tt = b.add("Transpose", [t], { perm: [0, 2, 1] });
    return b.add("MatMul", [b.add("MatMul", [t, tt], {}, { name: "gram" }), t], {});
  });
  assert.throws(
    () => channelMajorTokens(gram),
    (e: unknown) => e instanceof GraphError && /MatMul "gram"/.test(e.message),
  );
});

test("token-space elementwise ops and a bias-less linear map one to one", async () => {
  const rand = seededRandom(2);
  const g = tokenGraph((b, t) => {
    const w = b.addInitializer("w", floatTensor([8, 8], uniform(rand, 64)));
    const gamma = b.addInitializer("ls", floatTensor([8], uniform(rand, 8)));
    const lin = b.add("MatMul", [t, w], {});
    return b.add("Mul", [b.add("Relu", [lin], {}), gamma], {});
  });
  const r = channelMajorTokens(g);
  assert.deepEqual(
    r.nodes.map((n) => n.op),
    ["Conv2d", "Relu", "Mul", "Identity"],
    "the graph output keeps its name through an Identity",
  );
  const x = randomInput([1, 8, 2, 2], 4);
  const a = (await runGraph(g, { x }))[g.outputs[0]!]!;
  const b = (await runGraph(r, { x }))[r.outputs[0]!]!;
  assertClose(b, a, "linear + relu + layer scale");
});

test("a graph without token tensors is returned unchanged", () => {
  const b = new GraphBuilder("cnn");
  const x = b.addInput("x", { dtype: "float32", shape: [1, 3, 8, 8] });
  const w = b.addInitializer("w", floatTensor([4, 3, 1, 1]));
  const y = b.add("Conv2d", [x, w], { strides: [1, 1], pads: [0, 0, 0, 0], dilations: [1, 1], group: 1 });
  b.setOutputs([b.add("Reshape", [y], { shape: [1, 4, 64] })]);
  const g = b.build();
  assert.equal(channelMajorTokens(g), g);
});

test("foldLayerNormAffine moves every norm's γ/β of the rewritten ViT into its 1×1 convs", async () => {
  const m = buildVitDptOnnx({ depth: 2, seed: 7 });
  const g = importOnnx(m.bytes);
  const r = channelMajorTokens(g);
  const f = foldLayerNormAffine(r);
  validateGraph(f);
  const norms = nodesOf(f, "ChannelLayerNorm");
  assert.equal(norms.length, 5);
  for (const n of norms) assert.equal(n.inputs.length, 1, `${n.name} keeps only x`);
  assert.ok(
    nodesOf(r, "ChannelLayerNorm").every((n) => n.inputs.length === 3),
    "the input graph is untouched",
  );
  await assertEquivalent(r, f, randomInput(m.inputShape, 11), "folded", probes(g));
});

function conv(
  b: GraphBuilder,
  x: string,
  w: string,
  bias?: string,
  pads: readonly [number, number, number, number] = [0, 0, 0, 0],
): string {
  return b.add("Conv2d", bias ? [x, w, bias] : [x, w], {
    strides: [1, 1],
    pads,
    dilations: [1, 1],
    group: 1,
  });
}

test("foldLayerNormAffine folds into shared and bias-less weights and leaves unfoldable norms", async () => {
  const rand = seededRandom(3);
  const param = (b: GraphBuilder, name: string, shape: number[], offset = 0) =>
    b.addInitializer(
      name,
      floatTensor(
        shape,
        uniform(rand, sizeOf(shape)).map((v) => v + offset),
      ),
    );
  const b = new GraphBuilder("norms");
  const x = b.addInput("x", { dtype: "float32", shape: [1, 6, 3, 3] });
  const ln = (name: string) =>
    b.add("ChannelLayerNorm", [x, param(b, `${name}.g`, [6], 1), param(b, `${name}.b`, [6])], {
      epsilon: 1e-5,
    });
  const shared = param(b, "shared.w", [5, 6, 1, 1]);
  // Two norms feed convs sharing one weight: each fold needs its own copy.
  const a1 = conv(b, ln("n1"), shared, param(b, "c1.b", [5]));
  const a2 = conv(b, ln("n2"), shared);
  // Not foldable: a padded conv, and a norm also read by a Relu.
  const a3 = conv(b, ln("n3"), param(b, "c3.w", [5, 6, 1, 1]), undefined, [1, 1, 1, 1]);
  const n4 = ln("n4");
  const a4 = b.add("Add", [conv(b, n4, param(b, "c4.w", [6, 6, 1, 1])), b.add("Relu", [n4], {})], {});
  b.setOutputs([a1, a2, a3, a4]);
  const g = b.build();
  const f = foldLayerNormAffine(g);
  validateGraph(f);
  assert.deepEqual(
    nodesOf(f, "ChannelLayerNorm").map((n) => n.inputs.length),
    [1, 1, 3, 3],
  );
  const convs = nodesOf(f, "Conv2d");
  assert.notEqual(convs[0]!.inputs[1], convs[1]!.inputs[1], "the shared weight was copied");
  assert.equal(convs[1]!.inputs.length, 3, "a bias-less conv gains the β bias");
  const input = randomInput([1, 6, 3, 3], 12);
  const before = await runGraph(g, { x: input });
  const after = await runGraph(f, { x: input });
  for (const o of g.outputs) assertClose(after[o]!, before[o]!, o);
  const nothing = new GraphBuilder("plain");
  const y = nothing.addInput("y", { dtype: "float32", shape: [1, 6, 2, 2] });
  nothing.setOutputs([nothing.add("ChannelLayerNorm", [y], { epsilon: 1e-5 })]);
  const plain = nothing.build();
  assert.equal(foldLayerNormAffine(plain), plain);
});

test("a position embedding computed at run time (resized, then flattened to tokens) joins the token stream", async () => {
  const b = new GraphBuilder("pos");
  const x = b.addInput("x", { dtype: "float32", shape: [1, 8, 2, 3] });
  const tokens = b.add("Transpose", [b.add("Reshape", [x], { shape: [1, 8, 6] })], { perm: [0, 2, 1] });
  const stored = b.addInitializer("pos", floatTensor([1, 8, 2, 2], uniform(seededRandom(5), 32)));
  const grid = b.add("Resize", [stored], {
    mode: "bilinear",
    coordinateTransform: "half_pixel",
    size: [2, 3],
  });
  const pos = b.add("Reshape", [b.add("Transpose", [grid], { perm: [0, 2, 3, 1] })], { shape: [1, 6, 8] });
  const y = b.add("Gelu", [b.add("Add", [tokens, pos], {})], { approximate: "none" });
  b.setOutputs([b.add("Reshape", [b.add("Transpose", [y], { perm: [0, 2, 1] })], { shape: [1, 8, 2, 3] })]);
  const g = b.build();
  const r = channelMajorTokens(g);
  assert.deepEqual(
    r.nodes.map((n) => n.op),
    ["Resize", "Add", "Gelu", "Identity"],
  );
  const input = randomInput([1, 8, 2, 3], 6);
  assertClose(
    (await runGraph(r, { x: input }))[r.outputs[0]!]!,
    (await runGraph(g, { x: input }))[g.outputs[0]!]!,
    "computed position embedding",
  );
});
