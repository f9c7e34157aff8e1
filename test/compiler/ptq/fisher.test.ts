import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { openDataset } from "../../../compiler/data/datasets.js";
import { imageToInput } from "../../../compiler/eval/preprocess.js";
import { runNode, syncBackend, type TensorMap } from "../../../compiler/exec/float.js";
import { conv2dGeometry } from "../../../compiler/exec/kernels/conv-params.js";
import { resize } from "../../../compiler/exec/resize.js";
import { importTflite } from "../../../compiler/import/tflite.js";
import { GraphBuilder } from "../../../compiler/ir/builder.js";
import type { CoordinateTransform, Graph, Pads2d } from "../../../compiler/ir/graph.js";
import { foldZeroPads, removeIdentities } from "../../../compiler/ir/passes.js";
import { floatTensor, sizeOf, type Tensor } from "../../../compiler/ir/tensor.js";
import { missingShared, pydnetModelPath, sharedPath } from "../../../compiler/paths.js";
import {
  backpropagate,
  conv2dInputGradient,
  conv2dInputGradientLoop,
  resizeAdjoint,
} from "../../../compiler/ptq/backward.js";
import { outputFisher } from "../../../compiler/ptq/fisher.js";
import { prng } from "../../../compiler/ptq/stats.js";

function randn(n: number, rand: () => number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const r = Math.sqrt(-2 * Math.log(1 - rand()));
    out[i] = scale * r * Math.cos(2 * Math.PI * rand());
  }
  return out;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** conv(3×3, stride 1, asym pads) → leaky → conv(stride 2, asym pads) → leaky → resize ×2 → concat skip → conv. */
function tinyGraph(seed: number): { graph: Graph; convs: string[] } {
  const rand = prng(seed);
  const b = new GraphBuilder("tiny");
  const x = b.addInput("x", { dtype: "float32", shape: [1, 3, 10, 12] });
  const conv = (input: string, c: number, o: number, stride: number, pads: Pads2d, name: string) => {
    const w = b.addInitializer(`${name}_w`, floatTensor([o, c, 3, 3], randn(o * c * 9, rand, 0.4)));
    const bias = b.addInitializer(`${name}_b`, floatTensor([o], randn(o, rand, 0.1)));
    return b.add(
      "Conv2d",
      [input, w, bias],
      { strides: [stride, stride], pads, dilations: [1, 1], group: 1 },
      { outputs: [name] },
    );
  };
  const a = conv(x, 3, 4, 1, [0, 1, 2, 1], "convA");
  const aAct = b.add("LeakyRelu", [a], { alpha: 0.2 });
  const bOut = conv(aAct, 4, 5, 2, [1, 0, 1, 2], "convB");
  const bAct = b.add("LeakyRelu", [bOut], { alpha: 0.2 });
  assert.deepEqual(b.info(bAct).shape, [1, 5, 5, 6]);
  const up = b.add("Resize", [bAct], {
    mode: "bilinear",
    coordinateTransform: "align_corners",
    size: [10, 12],
  });
  const cat = b.add("Concat", [up, aAct], { axis: 1 });
  const c = conv(cat, 9, 2, 1, [1, 1, 1, 1], "convC");
  b.setOutputs([c]);
  return { graph: b.build(), convs: ["convA", "convB", "convC"] };
}

/** Runs the graph, adding `delta` to tensor `at` right after it is produced (or to the input). */
async function forward(graph: Graph, x: Float32Array, at?: string, delta?: Float32Array): Promise<TensorMap> {
  const values: TensorMap = {};
  const input = graph.inputs[0]!;
  const bump = (t: Tensor): Tensor => {
    if (!delta) return t;
    const d = Float32Array.from(t.data as Float32Array);
    for (let i = 0; i < d.length; i++) d[i]! += delta[i]!;
    return floatTensor(t.shape, d);
  };
  const xt = floatTensor(graph.values.get(input)!.shape, x);
  values[input] = at === input ? bump(xt) : xt;
  for (const node of graph.nodes) {
    const ins = node.inputs.map((n) => values[n] ?? graph.initializers.get(n));
    const outs = await runNode(node, ins, syncBackend);
    node.outputs.forEach((o, k) => {
      values[o] = o === at ? bump(outs[k]!) : outs[k]!;
    });
  }
  return values;
}

/** Checks ⟨∂(uᵀy)/∂t, d⟩ against a central difference for every tensor in `at`. */
async function checkDirectional(graph: Graph, at: readonly string[], seed: number): Promise<void> {
  const rand = prng(seed);
  const input = graph.inputs[0]!;
  const x = randn(sizeOf(graph.values.get(input)!.shape), rand);
  const out = graph.outputs[0]!;
  const u = randn(sizeOf(graph.values.get(out)!.shape), rand);
  const values = await forward(graph, x);
  const grads = await backpropagate(graph, values, u, at, { backend: syncBackend });
  // The graph is piecewise linear: the central difference is exact except where a step crosses a
  // LeakyRelu kink, and float32 rounding limits how small the step can be; 1e-3 keeps both below 1%.
  const eps = 1e-3;
  for (const name of at) {
    const g = grads.get(name)!;
    assert.equal(g.length, sizeOf(graph.values.get(name)!.shape), name);
    const d = randn(g.length, rand);
    const plus = await forward(
      graph,
      x,
      name,
      d.map((v) => v * eps),
    );
    const minus = await forward(
      graph,
      x,
      name,
      d.map((v) => -v * eps),
    );
    const fd = (dot(u, plus[out]!.data) - dot(u, minus[out]!.data)) / (2 * eps);
    const an = dot(g, d);
    assert.ok(Math.abs(an) > 1e-2, `${name}: directional derivative ${an} too small to be a test`);
    assert.ok(
      Math.abs(fd - an) <= 1e-2 * Math.abs(an) + 1e-3,
      `${name}: analytic ${an} vs finite difference ${fd}`,
    );
  }
}

test("backward pass matches finite differences (input and intermediate conv outputs)", async () => {
  for (const seed of [1, 2, 3]) {
    const { graph } = tinyGraph(seed);
    await checkDirectional(graph, [graph.inputs[0]!, "convA", "convB", "convC"], seed + 100);
  }
});

test("backward pass through Add/Mul broadcasting, Split, Reshape, Resize half_pixel matches finite differences", async () => {
  const rand = prng(7);
  // conv → Mul per channel → Split → resizes of one part; Add broadcasts the other over channels.
  const b2 = new GraphBuilder("ops2");
  const x2 = b2.addInput("x", { dtype: "float32", shape: [1, 4, 5, 6] });
  const w2 = b2.addInitializer("w", floatTensor([5, 4, 3, 3], randn(5 * 4 * 9, rand, 0.4)));
  const c2 = b2.add(
    "Conv2d",
    [x2, w2],
    { strides: [2, 1], pads: [0, 2, 1, 0], dilations: [1, 1], group: 1 },
    { outputs: ["conv"] },
  );
  const s2 = b2.addInitializer("s", floatTensor([1, 5, 1, 1], randn(5, rand)));
  const m2 = b2.add("Mul", [c2, s2], {});
  const [p2, q2] = b2.addNode("Split", [m2], { axis: 1, sizes: [1, 4] }, { outputCount: 2 });
  const up = b2.add("Resize", [q2!], { mode: "bilinear", coordinateTransform: "half_pixel", size: [5, 11] });
  const down = b2.add("Resize", [up], { mode: "nearest", coordinateTransform: "asymmetric", size: [2, 6] });
  const shape = b2.info(down).shape;
  assert.deepEqual(
    shape,
    b2.info(p2!).shape.map((d, i) => (i === 1 ? 4 : d)),
  );
  const added = b2.add("Add", [down, p2!], {}); // broadcasts p2 over channels
  const prod = b2.add("Mul", [added, down], {}); // the same tensor on two paths: gradients accumulate
  const flat = b2.add("Reshape", [prod], { shape: [1, 4, 12] });
  b2.setOutputs([flat]);
  const g2 = b2.build();
  await checkDirectional(g2, ["x", "conv", m2], 11);
});

test("the backend's transposed convolution gives the conv input gradient (stride, asymmetric pads, dilation, groups)", async () => {
  const rand = prng(3);
  const cases = [
    { c: 3, o: 5, h: 9, w: 7, k: [3, 3], s: [2, 2], p: [1, 0, 0, 2], d: [1, 1], g: 1 },
    { c: 4, o: 6, h: 8, w: 10, k: [3, 2], s: [2, 3], p: [0, 1, 2, 0], d: [2, 1], g: 2 },
    { c: 2, o: 3, h: 5, w: 5, k: [1, 1], s: [1, 1], p: [0, 0, 0, 0], d: [1, 1], g: 1 },
  ] as const;
  for (const t of cases) {
    const geo = conv2dGeometry([1, t.c, t.h, t.w], [t.o, t.c / t.g, t.k[0], t.k[1]], {
      strides: t.s,
      pads: t.p,
      dilations: t.d,
      group: t.g,
    });
    const w = randn(t.o * (t.c / t.g) * t.k[0] * t.k[1], rand);
    const dy = randn(geo.o * geo.oh * geo.ow, rand);
    const fast = await conv2dInputGradient(dy, w, geo, syncBackend);
    const loop = conv2dInputGradientLoop(dy, w, geo);
    assert.equal(fast.length, t.c * t.h * t.w);
    for (let i = 0; i < fast.length; i++) assert.ok(Math.abs(fast[i]! - loop[i]!) < 1e-4, `${i}`);
    // Adjoint identity ⟨conv(x), dy⟩ = ⟨x, conv*(dy)⟩.
    const x = randn(t.c * t.h * t.w, rand);
    const y = await syncBackend.conv2d(x, w, undefined, geo);
    assert.ok(Math.abs(dot(y, dy) - dot(x, fast)) < 1e-3 * (1 + Math.abs(dot(y, dy))));
  }
});

test("resizeAdjoint is the adjoint of resize for every coordinate transform", () => {
  const rand = prng(5);
  const cts: CoordinateTransform[] = ["align_corners", "half_pixel", "pytorch_half_pixel", "asymmetric"];
  for (const ct of cts) {
    for (const mode of ["bilinear", "nearest"] as const) {
      for (const size of [
        [7, 13],
        [2, 3],
        [1, 5],
      ] as const) {
        const x = floatTensor([1, 2, 4, 6], randn(48, rand));
        const y = resize(x, mode, ct, size);
        const dy = randn(y.data.length, rand);
        const dx = resizeAdjoint(dy, x.shape, mode, ct, size);
        const lhs = dot(y.data, dy);
        const rhs = dot(x.data, dx);
        assert.ok(
          Math.abs(lhs - rhs) < 1e-4 * (1 + Math.abs(lhs)),
          `${mode} ${ct} ${size}: ${lhs} vs ${rhs}`,
        );
      }
    }
  }
});

function assertSymmetricPsd(name: string, m: Float64Array, o: number, rand: () => number): void {
  assert.equal(m.length, o * o, `${name}: shape`);
  for (let i = 0; i < o; i++)
    for (let j = 0; j < o; j++) assert.equal(m[i * o + j], m[j * o + i], `${name}: symmetric at ${i},${j}`);
  for (let t = 0; t < 20; t++) {
    const v = randn(o, rand);
    let q = 0;
    for (let i = 0; i < o; i++) for (let j = 0; j < o; j++) q += v[i]! * m[i * o + j]! * v[j]!;
    assert.ok(q >= -1e-9, `${name}: xᵀGx = ${q}`);
  }
  let trace = 0;
  for (let i = 0; i < o; i++) trace += m[i * o + i]!;
  assert.ok(trace > 0, `${name}: G is zero`);
}

test("outputFisher: one symmetric PSD O×O matrix per conv; the output conv's G tends to the identity", async () => {
  const { graph, convs } = tinyGraph(4);
  const rand = prng(9);
  const inputs = [randn(3 * 10 * 12, rand), randn(3 * 10 * 12, rand)];
  const fisher = await outputFisher(graph, inputs, { probes: 2, seed: 1, backend: syncBackend });
  assert.deepEqual([...fisher.keys()].sort(), [...convs].sort());
  for (const name of convs) {
    const o = graph.values.get(name)!.shape[1]!;
    assertSymmetricPsd(name, fisher.get(name)!, o, rand);
  }
  const sampled = await outputFisher(graph, inputs, { probes: 2, seed: 1, positionsPerImage: 17 });
  for (const name of convs)
    assertSymmetricPsd(`${name} (sampled)`, sampled.get(name)!, graph.values.get(name)!.shape[1]!, rand);
  assert.notDeepEqual(sampled.get("convA"), fisher.get("convA"));

  // The last conv is the output: its g is the probe itself, so G = mean u·uᵀ → I.
  const many = await outputFisher(graph, inputs.slice(0, 1), { probes: 200, seed: 3 });
  const gc = many.get("convC")!;
  for (let i = 0; i < 2; i++)
    for (let j = 0; j < 2; j++)
      assert.ok(Math.abs(gc[i * 2 + j]! - (i === j ? 1 : 0)) < 0.05, `G[${i}][${j}] = ${gc[i * 2 + j]}`);
  // The same seed gives the same result; another seed a different one.
  const again = await outputFisher(graph, inputs, { probes: 2, seed: 1 });
  assert.deepEqual(again.get("convB"), fisher.get("convB"));
  const other = await outputFisher(graph, inputs, { probes: 2, seed: 2 });
  assert.notDeepEqual(other.get("convB"), fisher.get("convB"));
});

test("backpropagate names an op it cannot differentiate", async () => {
  const b = new GraphBuilder("pool");
  const x = b.addInput("x", { dtype: "float32", shape: [1, 1, 4, 4] });
  const w = b.addInitializer("w", floatTensor([1, 1, 1, 1], [2]));
  const c = b.add("Conv2d", [x, w], { strides: [1, 1], pads: [0, 0, 0, 0], dilations: [1, 1], group: 1 });
  const p = b.add("MaxPool", [c], { kernel: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0] });
  b.setOutputs([p]);
  await assert.rejects(outputFisher(b.build(), [new Float32Array(16).fill(1)]), /MaxPool/);
});

const learn = sharedPath("data", "mosd-learn");
const missing = missingShared([pydnetModelPath(), learn]);

test("outputFisher on PyDNet: 42 matrices for 1 image × 1 probe in under 20 s", {
  skip: missing,
  timeout: 120_000,
}, async () => {
  const graph = removeIdentities(foldZeroPads(importTflite(new Uint8Array(readFileSync(pydnetModelPath())))));
  const [, , h, w] = graph.values.get(graph.inputs[0]!)!.shape as [number, number, number, number];
  const ds = openDataset(learn);
  const input = imageToInput(ds.loadRgb(ds.samples[0]!), w, h);
  const t0 = performance.now();
  const fisher = await outputFisher(graph, [input], { probes: 1, seed: 0 });
  const seconds = (performance.now() - t0) / 1000;
  console.log(`outputFisher PyDNet 1 image × 1 probe: ${seconds.toFixed(2)} s`);
  assert.ok(seconds < 20, `took ${seconds} s`);
  assert.equal(fisher.size, 42);
  const rand = prng(1);
  for (const node of graph.nodes) {
    if (node.op !== "Conv2d") continue;
    const o = graph.values.get(node.outputs[0]!)!.shape[1]!;
    const m = fisher.get(node.outputs[0]!);
    assert.ok(m, `missing G for ${node.outputs[0]}`);
    assertSymmetricPsd(node.outputs[0]!, m, o, rand);
    for (const v of m) assert.ok(Number.isFinite(v));
  }
});
