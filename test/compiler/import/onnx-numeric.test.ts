/** Imported graphs run on the float executor and match ONNX semantics computed by hand in the test. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { runGraph } from "../../../compiler/exec/float.js";
import type { Graph } from "../../../compiler/ir/graph.js";
import { floatTensor, type Tensor } from "../../../compiler/ir/tensor.js";
import type { OnnxModelBuilder } from "../../helpers/onnx-build.js";
import { nodesOf, onlyNode, opList } from "../../helpers/onnx-graph-queries.js";
import { seededRandom, uniform } from "../../helpers/onnx-random.js";
import { importBuilt } from "../../helpers/onnx-single.js";

const rand = seededRandom(42);

function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol = 1e-5,
  what = "values",
): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    assert.ok(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)), `${what}[${i}]: got ${a}, expected ${e}`);
  }
}

async function run(g: Graph, feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
  return runGraph(g, feeds);
}

test("Gemm (transA, transB, alpha, beta, broadcast C) matches the hand-computed product", async () => {
  const [m, k, n] = [3, 4, 5];
  const a = uniform(rand, k * m); // stored transposed: [k, m]
  const bw = uniform(rand, n * k); // stored transposed: [n, k]
  const c = uniform(rand, n);
  const alpha = 0.5;
  const beta = 2;
  const g = importBuilt((b) =>
    b.op("Gemm", [b.input("a", [k, m]), b.weight("B", [n, k], bw), b.weight("C", [1, n], c)], {
      transA: 1,
      transB: 1,
      alpha,
      beta: { float: beta },
    }),
  );
  const out = (await run(g, { a: floatTensor([k, m], a) }))[g.outputs[0]!]!;
  const expected = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[p * m + i]! * bw[j * k + p]!;
      expected[i * n + j] = alpha * s + beta * c[j]!;
    }
  }
  assert.deepEqual(out.shape, [m, n]);
  assertClose(out.data, expected, 1e-5, "Gemm");
});

interface BatchNormStats {
  gamma: Float32Array;
  beta: Float32Array;
  mean: Float32Array;
  variance: Float32Array;
}

function randomStats(c: number): BatchNormStats {
  return {
    gamma: uniform(rand, c, 1),
    beta: uniform(rand, c, 1),
    mean: uniform(rand, c, 1),
    variance: uniform(rand, c, 0.5).map((v) => v + 1),
  };
}

function batchNorm(b: OnnxModelBuilder, x: string, s: BatchNormStats, epsilon: number): string {
  const c = s.gamma.length;
  const inputs = [
    x,
    b.weight("gamma", [c], s.gamma),
    b.weight("beta", [c], s.beta),
    b.weight("mean", [c], s.mean),
    b.weight("var", [c], s.variance),
  ];
  return b.node("BatchNormalization", inputs, ["y"], { epsilon })[0]!;
}

test("Conv + BatchNormalization folding equals the unfolded computation", async () => {
  const x = floatTensor([1, 2, 5, 5], uniform(rand, 50));
  const wt = uniform(rand, 3 * 2 * 9);
  const bias = uniform(rand, 3);
  const stats = randomStats(3);
  const build = (exposeConv: boolean) => (b: OnnxModelBuilder) => {
    const conv = b.node(
      "Conv",
      [b.input("x", [1, 2, 5, 5]), b.weight("w", [3, 2, 3, 3], wt), b.weight("b", [3], bias)],
      ["conv_out"],
      { pads: [1, 1, 1, 1] },
    )[0]!;
    const y = batchNorm(b, conv, stats, 1e-3);
    return exposeConv ? [y, conv] : [y];
  };
  const foldedGraph = importBuilt(build(false));
  const plainGraph = importBuilt(build(true));
  assert.deepEqual(opList(foldedGraph), ["Conv2d"]);
  assert.deepEqual(opList(plainGraph), ["Conv2d", "Mul", "Add"], "a conv read elsewhere is not folded");
  const folded = (await run(foldedGraph, { x })).y!;
  const plain = await run(plainGraph, { x });
  // The unfolded BN by hand from the conv output: (v - mean) / sqrt(var + eps) * gamma + beta.
  const expected = Float32Array.from(plain.conv_out!.data, (v, i) => {
    const ch = Math.floor(i / 25);
    return (
      ((v - stats.mean[ch]!) / Math.sqrt(stats.variance[ch]! + 1e-3)) * stats.gamma[ch]! + stats.beta[ch]!
    );
  });
  assertClose(plain.y!.data, expected, 1e-5, "standalone BN");
  assertClose(folded.data, expected, 1e-5, "folded BN");
});

test("grouped ConvTranspose + BatchNormalization folding equals the unfolded computation", async () => {
  const x = floatTensor([1, 4, 3, 3], uniform(rand, 36));
  const wt = uniform(rand, 4 * 3 * 2 * 2);
  const stats = randomStats(6);
  const build = (exposeConv: boolean) => (b: OnnxModelBuilder) => {
    const ct = b.node(
      "ConvTranspose",
      [b.input("x", [1, 4, 3, 3]), b.weight("w", [4, 3, 2, 2], wt)],
      ["ct"],
      {
        strides: [2, 2],
        group: 2,
      },
    )[0]!;
    const y = batchNorm(b, ct, stats, 1e-5);
    return exposeConv ? [y, ct] : [y];
  };
  const folded = importBuilt(build(false));
  const plain = importBuilt(build(true));
  assert.deepEqual(opList(folded), ["ConvTranspose2d"]);
  assert.deepEqual(opList(plain), ["ConvTranspose2d", "Mul", "Add"]);
  const a = (await run(folded, { x })).y!;
  const p = (await run(plain, { x })).y!;
  assert.deepEqual(a.shape, [1, 6, 6, 6]);
  assertClose(a.data, p.data, 1e-5, "folded vs unfolded");
});

/** ONNX Resize on one axis, written from the spec: source coordinate, then linear or nearest taps. */
function resizeAxisTaps(
  inSize: number,
  outSize: number,
  ct: string,
  mode: string,
): [number, number, number][] {
  const scale = outSize / inSize;
  const taps: [number, number, number][] = [];
  for (let o = 0; o < outSize; o++) {
    let s: number;
    if (ct === "align_corners") s = outSize === 1 ? 0 : (o * (inSize - 1)) / (outSize - 1);
    else if (ct === "asymmetric") s = o / scale;
    else if (ct === "pytorch_half_pixel") s = outSize > 1 ? (o + 0.5) / scale - 0.5 : 0;
    else s = (o + 0.5) / scale - 0.5;
    if (mode === "nearest") {
      const i = Math.min(Math.max(Math.floor(s), 0), inSize - 1);
      taps.push([i, i, 0]);
    } else {
      s = Math.min(Math.max(s, 0), inSize - 1);
      const lo = Math.floor(s);
      taps.push([lo, Math.min(lo + 1, inSize - 1), s - lo]);
    }
  }
  return taps;
}

function resizeByHand(
  x: Float32Array,
  h: number,
  w: number,
  oh: number,
  ow: number,
  ct: string,
  mode: string,
): Float32Array {
  const ty = resizeAxisTaps(h, oh, ct, mode);
  const tx = resizeAxisTaps(w, ow, ct, mode);
  const out = new Float32Array(oh * ow);
  for (let y = 0; y < oh; y++) {
    for (let xo = 0; xo < ow; xo++) {
      const [y0, y1, fy] = ty[y]!;
      const [x0, x1, fx] = tx[xo]!;
      const top = x[y0 * w + x0]! * (1 - fx) + x[y0 * w + x1]! * fx;
      const bot = x[y1 * w + x0]! * (1 - fx) + x[y1 * w + x1]! * fx;
      out[y * ow + xo] = top * (1 - fy) + bot * fy;
    }
  }
  return out;
}

test("Resize linear/nearest with each coordinate transform matches the ONNX formulas", async () => {
  const x = Float32Array.from([1, 2, 4, 3, 5, 9, 0, -2, 7]);
  const cases: [string, string, string][] = [
    ["linear", "align_corners", "round_prefer_floor"],
    ["linear", "half_pixel", "round_prefer_floor"],
    ["linear", "pytorch_half_pixel", "round_prefer_floor"],
    ["linear", "asymmetric", "round_prefer_floor"],
    ["nearest", "asymmetric", "floor"],
  ];
  for (const [mode, ct, nearestMode] of cases) {
    const g = importBuilt((b) =>
      b.op("Resize", [b.input("x", [1, 1, 3, 3]), "", "", b.ints("sizes", [1, 1, 6, 7])], {
        mode,
        coordinate_transformation_mode: ct,
        nearest_mode: nearestMode,
      }),
    );
    const out = (await run(g, { x: floatTensor([1, 1, 3, 3], x) }))[g.outputs[0]!]!;
    assert.deepEqual(out.shape, [1, 1, 6, 7]);
    assertClose(out.data, resizeByHand(x, 3, 3, 6, 7, ct, mode), 1e-5, `${mode}/${ct}`);
  }
  // Hand-checked anchor: align_corners 2 → 3 puts the midpoint between the corners.
  const g = importBuilt((b) =>
    b.op("Resize", [b.input("x", [1, 1, 2, 2]), "", "", b.ints("sizes", [1, 1, 3, 3])], {
      mode: "linear",
      coordinate_transformation_mode: "align_corners",
    }),
  );
  const out = (await run(g, { x: floatTensor([1, 1, 2, 2], [0, 2, 4, 6]) }))[g.outputs[0]!]!;
  assertClose(out.data, [0, 1, 2, 2, 3, 4, 4, 5, 6]);
});

function decomposedLayerNorm(
  b: OnnxModelBuilder,
  x: string,
  gamma: Float32Array,
  beta: Float32Array,
  exposeCentered: boolean,
) {
  const mean = b.op("ReduceMean", [x], { axes: [-1] });
  const d = b.node("Sub", [x, mean], ["centered"])[0]!;
  const sq = b.op("Pow", [d, b.constant("two", { dims: [], values: [2] })]);
  const v = b.op("ReduceMean", [sq], { axes: [-1] });
  const std = b.op("Sqrt", [b.op("Add", [v, b.constant("eps", { dims: [], values: [1e-5] })])]);
  const n = b.op("Div", [d, std]);
  const y = b.op("Add", [
    b.op("Mul", [n, b.weight("g", [gamma.length], gamma)]),
    b.weight("b", [beta.length], beta),
  ]);
  return exposeCentered ? [y, d] : [y];
}

test("decomposed LayerNorm is recognized and equals the closed form (and the unrecognized graph)", async () => {
  const [rows, len] = [6, 8];
  const data = uniform(rand, rows * len, 3);
  const gamma = uniform(rand, len, 1);
  const beta = uniform(rand, len, 1);
  const recognized = importBuilt((b) =>
    decomposedLayerNorm(b, b.input("x", [2, 3, len]), gamma, beta, false),
  );
  const ln = onlyNode(recognized, "LayerNorm");
  assert.equal(ln.attrs.axis, 2);
  assert.ok(Math.abs(ln.attrs.epsilon - 1e-5) < 1e-12);
  assert.deepEqual(opList(recognized), ["LayerNorm"]);
  // Reading the centered value elsewhere blocks the rewrite: the plain ops must still execute.
  const kept = importBuilt((b) => decomposedLayerNorm(b, b.input("x", [2, 3, len]), gamma, beta, true));
  assert.equal(nodesOf(kept, "LayerNorm").length, 0);
  const expected = new Float32Array(rows * len);
  for (let r = 0; r < rows; r++) {
    const row = data.subarray(r * len, (r + 1) * len);
    const mean = row.reduce((s, v) => s + v, 0) / len;
    const variance = row.reduce((s, v) => s + (v - mean) ** 2, 0) / len;
    for (let k = 0; k < len; k++)
      expected[r * len + k] = ((row[k]! - mean) / Math.sqrt(variance + 1e-5)) * gamma[k]! + beta[k]!;
  }
  const feeds = { x: floatTensor([2, 3, len], data) };
  assertClose((await run(recognized, feeds))[recognized.outputs[0]!]!.data, expected, 1e-5, "LayerNorm");
  assertClose((await run(kept, feeds))[kept.outputs[0]!]!.data, expected, 1e-5, "decomposed");
});

test("decomposed Gelu is recognized and equals x·Φ(x)", async () => {
  const g = importBuilt((b) => {
    const x = b.input("x", [16]);
    const e = b.op("Erf", [b.op("Div", [x, b.constant("r2", { dims: [], values: [Math.SQRT2] })])]);
    const m = b.op("Mul", [x, b.op("Add", [e, b.constant("one", { dims: [], values: [1] })])]);
    return b.op("Mul", [m, b.constant("half", { dims: [], values: [0.5] })]);
  });
  assert.deepEqual(opList(g), ["Gelu"]);
  const xs = Float32Array.from({ length: 16 }, (_, i) => (i - 8) / 2);
  const out = (await run(g, { x: floatTensor([16], xs) }))[g.outputs[0]!]!;
  // Φ via a high-accuracy erf series, independent of the executor's erf.
  const erf = (z: number) => {
    let sum = 0;
    let term = z;
    for (let n = 0; n < 60; n++) {
      sum += term / (2 * n + 1);
      term *= (-z * z) / (n + 1);
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  };
  assertClose(
    out.data,
    Array.from(xs, (v) => 0.5 * v * (1 + erf(v / Math.SQRT2))),
    1e-5,
    "Gelu",
  );
});

test("Softmax at opset 11 normalizes over all dims from the axis (2-D coercion)", async () => {
  const data = uniform(rand, 24, 2);
  const g = importBuilt((b) => b.op("Softmax", [b.input("x", [2, 3, 4])], { axis: 1 }), { opset: 11 });
  const out = (await run(g, { x: floatTensor([2, 3, 4], data) }))[g.outputs[0]!]!;
  const expected = new Float32Array(24);
  for (let r = 0; r < 2; r++) {
    const row = data.subarray(r * 12, (r + 1) * 12);
    const max = Math.max(...row);
    const sum = row.reduce((s, v) => s + Math.exp(v - max), 0);
    for (let k = 0; k < 12; k++) expected[r * 12 + k] = Math.exp(row[k]! - max) / sum;
  }
  assert.deepEqual(out.shape, [2, 3, 4]);
  assertClose(out.data, expected, 1e-6, "softmax-11");
  const g13 = importBuilt((b) => b.op("Softmax", [b.input("x", [2, 3, 4])], { axis: 1 }), { opset: 13 });
  const o13 = (await run(g13, { x: floatTensor([2, 3, 4], data) }))[g13.outputs[0]!]!;
  let colSum = 0;
  for (let c = 0; c < 3; c++) colSum += o13.data[c * 4]!;
  assert.ok(Math.abs(colSum - 1) < 1e-6, "opset 13 normalizes along axis 1 only");
});

test("shape-ish runtime ops compute the right elements: reversed Slice, cropping Pad, Gather, Expand", async () => {
  const x = Float32Array.from({ length: 12 }, (_, i) => i);
  const rev = importBuilt((b) =>
    b.op("Slice", [
      b.input("x", [3, 4]),
      b.ints("s", [-1]),
      b.ints("e", [-9223372036854775808n]),
      b.ints("a", [1]),
      b.ints("st", [-2]),
    ]),
  );
  assertClose((await run(rev, { x: floatTensor([3, 4], x) }))[rev.outputs[0]!]!.data, [3, 1, 7, 5, 11, 9]);
  const crop = importBuilt((b) => b.op("Pad", [b.input("x", [3, 4]), b.ints("p", [-1, 1, 0, -2])]));
  assertClose((await run(crop, { x: floatTensor([3, 4], x) }))[crop.outputs[0]!]!.data, [0, 4, 5, 0, 8, 9]);
  const gather = importBuilt((b) =>
    b.op("Gather", [b.input("x", [3, 4]), b.ints("i", [2], [])], { axis: 1 }),
  );
  assertClose((await run(gather, { x: floatTensor([3, 4], x) }))[gather.outputs[0]!]!.data, [2, 6, 10]);
  const expand = importBuilt((b) => b.op("Expand", [b.input("x", [3, 1]), b.ints("s", [2, 3, 2])]));
  const e = (await run(expand, { x: floatTensor([3, 1], [1, 2, 3]) }))[expand.outputs[0]!]!;
  assert.deepEqual(e.shape, [2, 3, 2]);
  assertClose(e.data, [1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3]);
});

test("MaxPool ceil_mode keeps the partial last window", async () => {
  const x = Float32Array.from({ length: 25 }, (_, i) => i);
  const g = importBuilt((b) =>
    b.op("MaxPool", [b.input("x", [1, 1, 5, 5])], { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 }),
  );
  const out = (await run(g, { x: floatTensor([1, 1, 5, 5], x) }))[g.outputs[0]!]!;
  assert.deepEqual(out.shape, [1, 1, 3, 3]);
  assertClose(out.data, [6, 8, 9, 16, 18, 19, 21, 23, 24]);
});

/** ONNX cubic resize of one 2-D plane, written directly from the spec (4×4 taps, edge-clamped). */
function cubicByHand(
  x: Float32Array,
  h: number,
  w: number,
  oh: number,
  ow: number,
  sh: number,
  sw: number,
): number[] {
  const a = -0.75;
  const kernel = (d: number) => {
    const t = Math.abs(d);
    if (t <= 1) return (a + 2) * t ** 3 - (a + 3) * t ** 2 + 1;
    if (t < 2) return a * t ** 3 - 5 * a * t ** 2 + 8 * a * t - 4 * a;
    return 0;
  };
  const out: number[] = [];
  for (let y = 0; y < oh; y++) {
    for (let xo = 0; xo < ow; xo++) {
      const sy = (y + 0.5) / sh - 0.5;
      const sx = (xo + 0.5) / sw - 0.5;
      let acc = 0;
      for (let i = Math.floor(sy) - 1; i <= Math.floor(sy) + 2; i++) {
        for (let j = Math.floor(sx) - 1; j <= Math.floor(sx) + 2; j++) {
          const v = x[Math.min(Math.max(i, 0), h - 1) * w + Math.min(Math.max(j, 0), w - 1)]!;
          acc += v * kernel(sy - i) * kernel(sx - j);
        }
      }
      out.push(acc);
    }
  }
  return out;
}

test("cubic Resize of a constant (a ViT position embedding) folds with the given non-integer scales", () => {
  const plane = uniform(rand, 16, 1);
  const [sh, sw] = [(5 + 0.1) / 4, (7 + 0.1) / 4];
  const g = importBuilt((b) => {
    const pos = b.weight("pos", [1, 1, 4, 4], plane);
    const resized = b.op("Resize", [pos, "", b.constant("sc", { dims: [4], values: [1, 1, sh, sw] })], {
      mode: "cubic",
      coordinate_transformation_mode: "half_pixel",
    });
    return b.op("Add", [b.input("x", [1, 1, 5, 7]), resized]);
  });
  assert.deepEqual(opList(g), ["Add"], "the resize ran at import time");
  const folded = g.initializers.get(g.nodes[0]!.inputs[1]!)!;
  assert.deepEqual(folded.shape, [1, 1, 5, 7]);
  assertClose(folded.data, cubicByHand(plane, 4, 4, 5, 7, Math.fround(sh), Math.fround(sw)), 1e-5, "cubic");
});

// Keys' kernel reproduces linear functions only for a = -0.5, which also exercises cubic_coeff_a.
test("cubic resize with a = -0.5 reproduces a linear ramp where all four taps are inside", () => {
  const ramp = Float32Array.from({ length: 8 }, (_, i) => 3 * i - 2);
  const g = importBuilt((b) => {
    const r = b.op("Resize", [b.weight("r", [1, 8], ramp), "", "", b.ints("sz", [1, 16])], {
      mode: "cubic",
      coordinate_transformation_mode: "align_corners",
      cubic_coeff_a: -0.5,
    });
    return b.op("Add", [b.input("x", [1, 16]), r]);
  });
  const out = g.initializers.get(g.nodes[0]!.inputs[1]!)!.data;
  for (let o = 3; o <= 12; o++) {
    const s = (o * 7) / 15;
    assert.ok(Math.abs(out[o]! - (3 * s - 2)) < 1e-4, `position ${o}: ${out[o]} vs ${3 * s - 2}`);
  }
});

test("folding a constant Resize and running it in the IR agree for linear and nearest", async () => {
  const data = uniform(rand, 2 * 3 * 4, 1);
  const modes: Record<string, string>[] = [
    { mode: "linear", coordinate_transformation_mode: "half_pixel" },
    { mode: "linear", coordinate_transformation_mode: "align_corners" },
    { mode: "nearest", coordinate_transformation_mode: "asymmetric", nearest_mode: "floor" },
  ];
  for (const attrs of modes) {
    const resize = (b: OnnxModelBuilder, x: string) =>
      b.op("Resize", [x, "", "", b.ints("sz", [1, 2, 6, 8])], attrs);
    const folded = importBuilt((b) =>
      b.op("Add", [b.input("z", [1, 2, 6, 8]), resize(b, b.weight("c", [1, 2, 3, 4], data))]),
    );
    const runtime = importBuilt((b) => resize(b, b.input("x", [1, 2, 3, 4])));
    const expected = (await run(runtime, { x: floatTensor([1, 2, 3, 4], data) }))[runtime.outputs[0]!]!;
    const constant = folded.initializers.get(folded.nodes[0]!.inputs[1]!)!;
    assertClose(constant.data, expected.data, 1e-6, JSON.stringify(attrs));
  }
});
