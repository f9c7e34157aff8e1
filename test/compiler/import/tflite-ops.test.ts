/**
 * Operator-by-operator tests of the TFLite importer: each test writes a tiny TFLite model with the test
 * builder, imports it, runs it on the float executor and compares with an independent NHWC reference.
 * Model inputs and outputs stay in the TFLite (NHWC) layout, so feeds and results compare directly.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { runGraph } from "../../../compiler/exec/float.js";
import { importTflite } from "../../../compiler/import/tflite.js";
import { readTflite, TfliteFormatError } from "../../../compiler/import/tflite-schema.js";
import { type Graph, GraphError } from "../../../compiler/ir/graph.js";
import { floatTensor, type Tensor } from "../../../compiler/ir/tensor.js";
import * as ref from "../../helpers/nhwc-ref.js";
import { type Nd, nd, randNd, randoms } from "../../helpers/nhwc-ref.js";
import { encodeTensorData, floatToHalf, TfliteModelBuilder } from "../../helpers/tflite-build.js";

interface Imported {
  graph: Graph;
  outputs: Tensor[];
}

async function importAndRun(m: TfliteModelBuilder, inputs: readonly Nd[]): Promise<Imported> {
  const graph = importTflite(m.finish());
  assert.equal(graph.inputs.length, inputs.length, "model input count");
  const feeds = Object.fromEntries(
    graph.inputs.map((name, i) => [name, floatTensor(inputs[i]!.shape, inputs[i]!.data)]),
  );
  const result = await runGraph(graph, feeds);
  return { graph, outputs: graph.outputs.map((o) => result[o]!) };
}

function assertClose(actual: Tensor | undefined, expected: Nd, what: string, tol = 1e-5): void {
  assert.ok(actual, `${what}: no output`);
  assert.deepEqual([...actual.shape], expected.shape, `${what}: shape`);
  const err = ref.maxRelError(actual.data, expected.data);
  assert.ok(err <= tol, `${what}: max error ${err} > ${tol}`);
}

function opCounts(g: Graph): Record<string, number> {
  const c: Record<string, number> = {};
  for (const n of g.nodes) c[n.op] = (c[n.op] ?? 0) + 1;
  return c;
}

/** Dequantizes int8 codes with per-channel scales along axis 0 (zero point 0). */
function dequantAxis0(
  codes: ArrayLike<number>,
  shape: readonly number[],
  scales: readonly number[],
): Float32Array {
  const inner = shape.slice(1).reduce((a, b) => a * b, 1);
  return Float32Array.from(codes, (q, i) => q * scales[Math.floor(i / inner)]!);
}

function int8Codes(n: number, seed: number): number[] {
  return Array.from(randoms(n, seed, -127, 128), Math.floor);
}

// ---------------------------------------------------------------- the builder itself

test("the builder writes a model readTflite reads back field by field", () => {
  const m = new TfliteModelBuilder("sg", "made by test");
  const x = m.input("x", [1, 4, 4, 2]);
  const w = m.constant("w", [3, 1, 1, 2], [1, -2, 3, -4, 5, -6], {
    type: "int8",
    scale: [0.5, 0.25, 2],
    zeroPoint: [0, 0, 0],
    dim: 0,
  });
  const y = m.op("CONV_2D", [x, w, -1], [1, 2, 2, 3], {
    padding: "VALID",
    strideW: 2,
    strideH: 2,
    activation: "RELU6",
  });
  const z = m.op(
    "RESIZE_NEAREST_NEIGHBOR",
    [y, m.constant("size", [2], [4, 4], { type: "int32" })],
    [1, 4, 4, 3],
    {
      halfPixelCenters: true,
    },
  );
  const g = m.op("GELU", [z], [1, 4, 4, 3]);
  m.output(g);
  const model = readTflite(m.finish());
  assert.equal(model.version, 3);
  assert.equal(model.description, "made by test");
  assert.deepEqual(
    model.operatorCodes.map((c) => c.builtinCode),
    [3, 97, 150],
  );
  const sg = model.subgraphs[0]!;
  assert.equal(sg.name, "sg");
  assert.deepEqual(sg.inputs, [x]);
  assert.deepEqual(sg.outputs, [g]);
  const wt = sg.tensors[w]!;
  assert.equal(wt.type, 9);
  assert.deepEqual(wt.shape, [3, 1, 1, 2]);
  assert.deepEqual(wt.quantization, { scale: [0.5, 0.25, 2], zeroPoint: [0, 0, 0], quantizedDimension: 0 });
  assert.deepEqual(Array.from(new Int8Array(model.buffer(wt.buffer)!.slice().buffer)), [1, -2, 3, -4, 5, -6]);
  const [conv, resize] = sg.operators;
  assert.deepEqual(conv!.inputs, [x, w, -1]);
  assert.equal(conv!.optionsType, 1);
  assert.deepEqual(
    [conv!.options!.int8(0), conv!.options!.int32(1), conv!.options!.int32(2), conv!.options!.int8(3)],
    [1, 2, 2, 3],
  );
  assert.equal(resize!.optionsType, 74);
  assert.equal(
    resize!.options!.bool(1),
    true,
    "half_pixel_centers is slot 1 of ResizeNearestNeighborOptions",
  );
});

test("float16 encoding is exact for representable values and rounds to nearest even", () => {
  assert.equal(floatToHalf(1), 0x3c00);
  assert.equal(floatToHalf(-2.5), 0xc100);
  assert.equal(floatToHalf(65504), 0x7bff);
  assert.equal(floatToHalf(2 ** -24), 0x0001);
  assert.equal(floatToHalf(1 + 2 ** -11), 0x3c00, "tie rounds to even");
  assert.equal(floatToHalf(1 + 3 * 2 ** -11), 0x3c02, "tie rounds to even (up)");
  assert.equal(floatToHalf(1e6), 0x7c00);
});

// ---------------------------------------------------------------- convolutions

interface ConvCase {
  name: string;
  h: number;
  w: number;
  padding: "SAME" | "VALID";
  stride: number;
  dilation: number;
  act: "NONE" | "RELU" | "RELU6";
  quantized?: boolean;
}

const convCases: ConvCase[] = [
  { name: "SAME stride 1", h: 6, w: 5, padding: "SAME", stride: 1, dilation: 1, act: "NONE" },
  { name: "VALID stride 1", h: 6, w: 5, padding: "VALID", stride: 1, dilation: 1, act: "NONE" },
  {
    name: "SAME stride 2 on an even size (pad bottom/right only)",
    h: 8,
    w: 8,
    padding: "SAME",
    stride: 2,
    dilation: 1,
    act: "NONE",
  },
  { name: "SAME stride 2 on an odd size", h: 7, w: 9, padding: "SAME", stride: 2, dilation: 1, act: "NONE" },
  { name: "VALID stride 2", h: 9, w: 8, padding: "VALID", stride: 2, dilation: 1, act: "NONE" },
  { name: "SAME dilation 2", h: 8, w: 7, padding: "SAME", stride: 1, dilation: 2, act: "NONE" },
  { name: "VALID dilation 2", h: 8, w: 7, padding: "VALID", stride: 1, dilation: 2, act: "NONE" },
  { name: "fused RELU", h: 6, w: 6, padding: "SAME", stride: 1, dilation: 1, act: "RELU" },
  { name: "fused RELU6", h: 6, w: 6, padding: "SAME", stride: 1, dilation: 1, act: "RELU6" },
  {
    name: "int8 per-channel weights and int32 bias",
    h: 6,
    w: 6,
    padding: "SAME",
    stride: 2,
    dilation: 1,
    act: "NONE",
    quantized: true,
  },
];

for (const c of convCases) {
  test(`CONV_2D ${c.name}`, async () => {
    const x = randNd([1, c.h, c.w, 3], 11, -4, 4);
    const wShape = [4, 3, 3, 3];
    const m = new TfliteModelBuilder();
    const xi = m.input("x", x.shape);
    let w: Nd;
    let bias: Float32Array;
    let wi: number;
    let bi: number;
    if (c.quantized) {
      const scales = [0.01, 0.02, 0.005, 0.04];
      const codes = int8Codes(108, 12);
      w = nd(wShape, dequantAxis0(codes, wShape, scales));
      wi = m.constant("w", wShape, codes, { type: "int8", scale: scales, zeroPoint: [0, 0, 0, 0], dim: 0 });
      const biasScales = scales.map((s) => s * 0.03);
      const biasCodes = [100, -250, 4000, -7];
      bias = Float32Array.from(biasCodes, (q, i) => q * biasScales[i]!);
      bi = m.constant("b", [4], biasCodes, {
        type: "int32",
        scale: biasScales,
        zeroPoint: [0, 0, 0, 0],
        dim: 0,
      });
    } else {
      w = randNd(wShape, 12);
      bias = randoms(4, 13);
      wi = m.constant("w", wShape, w.data);
      bi = m.constant("b", [4], bias);
    }
    const p = {
      padding: c.padding,
      strideH: c.stride,
      strideW: c.stride,
      dilationH: c.dilation,
      dilationW: c.dilation,
      act: c.act,
    };
    const expected = ref.conv2d(x, w, bias, p);
    if (c.act === "RELU6")
      assert.ok(
        expected.data.some((v) => v === 6) && expected.data.some((v) => v === 0),
        "test data reaches both clamps",
      );
    const y = m.op("CONV_2D", [xi, wi, bi], expected.shape, {
      padding: c.padding,
      strideH: c.stride,
      strideW: c.stride,
      dilationH: c.dilation,
      dilationW: c.dilation,
      activation: c.act,
    });
    m.output(y);
    const { graph, outputs } = await importAndRun(m, [x]);
    assertClose(outputs[0], expected, c.name, 1e-5);
    assert.equal(opCounts(graph).Conv2d, 1);
  });
}

test("CONV_2D with rectangular strides and no bias", async () => {
  const x = randNd([1, 7, 8, 2], 21);
  const w = randNd([3, 2, 3, 2], 22);
  const expected = ref.conv2d(x, w, undefined, {
    padding: "SAME",
    strideH: 2,
    strideW: 3,
    dilationH: 1,
    dilationW: 2,
  });
  const m = new TfliteModelBuilder();
  const xi = m.input("x", x.shape);
  const y = m.op("CONV_2D", [xi, m.constant("w", w.shape, w.data), -1], expected.shape, {
    padding: "SAME",
    strideH: 2,
    strideW: 3,
    dilationW: 2,
  });
  m.output(y);
  const { outputs } = await importAndRun(m, [x]);
  assertClose(outputs[0], expected, "rectangular conv");
});

for (const c of [
  {
    name: "multiplier 1, SAME, fused RELU6",
    mult: 1,
    padding: "SAME" as const,
    stride: 1,
    dilation: 1,
    act: "RELU6" as const,
  },
  {
    name: "multiplier 2, VALID, stride 2",
    mult: 2,
    padding: "VALID" as const,
    stride: 2,
    dilation: 1,
    act: "NONE" as const,
  },
  {
    name: "multiplier 2, SAME, dilation 2",
    mult: 2,
    padding: "SAME" as const,
    stride: 1,
    dilation: 2,
    act: "NONE" as const,
  },
]) {
  test(`DEPTHWISE_CONV_2D ${c.name}`, async () => {
    const ch = 3;
    const x = randNd([1, 7, 6, ch], 31, -5, 5);
    const w = randNd([1, 3, 3, ch * c.mult], 32, -1, 1.5);
    const bias = randoms(ch * c.mult, 33);
    const p = {
      padding: c.padding,
      strideH: c.stride,
      strideW: c.stride,
      dilationH: c.dilation,
      dilationW: c.dilation,
      act: c.act,
    };
    const expected = ref.depthwiseConv2d(x, w, bias, c.mult, p);
    const m = new TfliteModelBuilder();
    const xi = m.input("x", x.shape);
    const y = m.op(
      "DEPTHWISE_CONV_2D",
      [xi, m.constant("w", w.shape, w.data), m.constant("b", bias.length ? [bias.length] : [], bias)],
      expected.shape,
      {
        padding: c.padding,
        strideH: c.stride,
        strideW: c.stride,
        dilationH: c.dilation,
        dilationW: c.dilation,
        depthMultiplier: c.mult,
        activation: c.act,
      },
    );
    m.output(y);
    const { graph, outputs } = await importAndRun(m, [x]);
    assertClose(outputs[0], expected, c.name);
    const conv = graph.nodes.find((n) => n.op === "Conv2d");
    assert.ok(
      conv && conv.op === "Conv2d" && conv.attrs.group === ch,
      "depthwise becomes a grouped conv with one group per input channel",
    );
  });
}

test("DEPTHWISE_CONV_2D with int8 weights quantized per output channel (axis 3)", async () => {
  const x = randNd([1, 5, 5, 2], 41);
  const scales = [0.01, 0.03, 0.02, 0.005];
  const codes = int8Codes(36, 42);
  const w = nd(
    [1, 3, 3, 4],
    Float32Array.from(codes, (q, i) => q * scales[i % 4]!),
  );
  const expected = ref.depthwiseConv2d(x, w, undefined, 2, { padding: "SAME" });
  const m = new TfliteModelBuilder();
  const xi = m.input("x", x.shape);
  const wi = m.constant("w", [1, 3, 3, 4], codes, {
    type: "int8",
    scale: scales,
    zeroPoint: [0, 0, 0, 0],
    dim: 3,
  });
  m.output(m.op("DEPTHWISE_CONV_2D", [xi, wi, -1], expected.shape, { padding: "SAME", depthMultiplier: 2 }));
  const { outputs } = await importAndRun(m, [x]);
  assertClose(outputs[0], expected, "per-channel depthwise");
});

for (const c of [
  {
    name: "stride 2 SAME 3x3",
    h: 4,
    w: 5,
    k: 3,
    padding: "SAME" as const,
    out: [1, 8, 10, 3] as const,
    act: "NONE" as const,
  },
  {
    name: "stride 2 SAME 4x4",
    h: 4,
    w: 4,
    k: 4,
    padding: "SAME" as const,
    out: [1, 8, 8, 3] as const,
    act: "NONE" as const,
  },
  {
    name: "stride 2 VALID 3x3",
    h: 4,
    w: 3,
    k: 3,
    padding: "VALID" as const,
    out: [1, 9, 7, 3] as const,
    act: "NONE" as const,
  },
  {
    name: "stride 2 VALID with a larger output shape",
    h: 3,
    w: 3,
    k: 3,
    padding: "VALID" as const,
    out: [1, 8, 8, 3] as const,
    act: "NONE" as const,
  },
  {
    name: "stride 2 SAME with fused RELU",
    h: 4,
    w: 4,
    k: 3,
    padding: "SAME" as const,
    out: [1, 8, 8, 3] as const,
    act: "RELU" as const,
  },
]) {
  test(`TRANSPOSE_CONV ${c.name}`, async () => {
    const x = randNd([1, c.h, c.w, 2], 51);
    const w = randNd([3, c.k, c.k, 2], 52);
    const bias = randoms(3, 53);
    const expected = ref.transposeConv(x, w, bias, c.out, {
      padding: c.padding,
      strideH: 2,
      strideW: 2,
      act: c.act,
    });
    const m = new TfliteModelBuilder();
    const xi = m.input("x", x.shape);
    const shapeT = m.constant("output_shape", [4], [...c.out], { type: "int32" });
    const y = m.op(
      "TRANSPOSE_CONV",
      [shapeT, m.constant("w", w.shape, w.data), xi, m.constant("b", [3], bias)],
      [...c.out],
      {
        padding: c.padding,
        strideH: 2,
        strideW: 2,
        activation: c.act,
      },
    );
    m.output(y);
    const { outputs } = await importAndRun(m, [x]);
    assertClose(outputs[0], expected, c.name);
  });
}

// ---------------------------------------------------------------- elementwise

/** x → CONV_2D 1×1 (so the activation is held in NCHW inside the IR) */
function conv1x1(m: TfliteModelBuilder, x: number, xv: Nd, outC: number, seed: number): { t: number; v: Nd } {
  const c = xv.shape[3]!;
  const w = randNd([outC, 1, 1, c], seed);
  const v = ref.conv2d(xv, w, undefined, { padding: "VALID" });
  return {
    t: m.op("CONV_2D", [x, m.constant(`w${seed}`, w.shape, w.data), -1], v.shape, { padding: "VALID" }),
    v,
  };
}

test("ADD of a per-channel constant, with fused RELU6", async () => {
  const x = randNd([1, 3, 4, 5], 61, -8, 8);
  const k = randNd([5], 62, -3, 3);
  const expected = ref.mapNd(
    ref.broadcast(x, k, (a, b) => a + b),
    (v) => ref.act(v, "RELU6"),
  );
  const m = new TfliteModelBuilder();
  const xi = m.input("x", x.shape);
  m.output(m.op("ADD", [xi, m.constant("k", [5], k.data)], x.shape, { activation: "RELU6" }));
  const { outputs } = await importAndRun(m, [x]);
  assertClose(outputs[0], expected, "ADD per-channel");
});

test("MUL / SUB / DIV of per-channel and lower-rank constants on an NCHW-held activation", async () => {
  const x = randNd([1, 4, 3, 2], 71);
  const m = new TfliteModelBuilder();
  const xi = m.input("x", x.shape);
  const conv = conv1x1(m, xi, x, 3, 72);
  const kc = randNd([3], 73);
  const kw = randNd([1, 1, 3, 1], 74);
  const k2 = randNd([3, 3], 75, 0.5, 2);
  const mul = ref.broadcast(conv.v, kc, (a, b) => a * b);
  const sub = ref.broadcast(kw, mul, (a, b) => a - b);
  const div = ref.broadcast(sub, k2, (a, b) => a / b);
  const t1 = m.op("MUL", [conv.t, m.constant("kc", [3], kc.data)], mul.shape);
  const t2 = m.op("SUB", [m.constant("kw", kw.shape, kw.data), t1], sub.shape);
  const t3 = m.op("DIV", [t2, m.constant("k2", k2.shape, k2.data)], div.shape);
  m.output(t1, t2, t3);
  const { graph, outputs } = await importAndRun(m, [x]);
  assertClose(outputs[0], mul, "MUL");
  assertClose(outputs[1], sub, "SUB constant first");
  assertClose(outputs[2], div, "DIV by rank-2 constant");
  assert.ok(graph.nodes.some((n) => n.op === "Div"));
});

test("ADD / SUB / MUL of two activations: same layout, different layouts, broadcast [1,1,1,C]", async () => {
  const x = randNd([1, 5, 4, 3], 81);
  const m = new TfliteModelBuilder();
  const xi = m.input("x", x.shape);
  const a = conv1x1(m, xi, x, 3, 82);
  const b = conv1x1(m, xi, x, 3, 83);
  const sum = ref.broadcast(a.v, b.v, (p, q) => p + q);
  const t1 = m.op("ADD", [a.t, b.t], sum.shape, { activation: "RELU" });
  const diff = ref.broadcast(a.v, x, (p, q) => p - q);
  const t2 = m.op("SUB", [a.t, xi], diff.shape);
  const pooled = ref.reduce(b.v, [1, 2], true);
  const tp = m.op("MEAN", [b.t, m.constant("axes", [2], [1, 2], { type: "int32" })], pooled.shape, {
    keepDims: true,
  });
  const prod = ref.broadcast(a.v, pooled, (p, q) => p * q);
  const t3 = m.op("MUL", [a.t, tp], prod.shape);
  const prod2 = ref.broadcast(pooled, x, (p, q) => p * q);
  const t4 = m.op("MUL", [tp, xi], prod2.shape);
  m.output(t1, t2, t3, t4);
  const { outputs } = await importAndRun(m, [x]);
  assertClose(
    outputs[0],
    ref.mapNd(sum, (v) => ref.act(v, "RELU")),
    "ADD same layout + RELU",
  );
  assertClose(outputs[1], diff, "SUB NCHW-held minus NHWC input");
  assertClose(outputs[2], prod, "MUL by [1,1,1,C] activation");
  assertClose(outputs[3], prod2, "MUL [1,1,1,C] by activation");
});

test("two convolutions added stay in NCHW: no transpose between them", async () => {
  const x = randNd([1, 4, 4, 2], 91);
  const m = new TfliteModelBuilder();
  const xi = m.input("x", x.shape);
  const a = conv1x1(m, xi, x, 2, 92);
  const b = conv1x1(m, xi, x, 2, 93);
  const sum = ref.broadcast(a.v, b.v, (p, q) => p + q);
  const c = m.op(
    "CONV_2D",
    [m.op("ADD", [a.t, b.t], sum.shape), m.constant("w3", [2, 1, 1, 2], [1, 0, 0, 1]), -1],
    sum.shape,
    {
      padding: "VALID",
    },
  );
  m.output(c);
  const { graph, outputs } = await importAndRun(m, [x]);
  assertClose(outputs[0], sum, "identity conv of sum");
  assert.equal(opCounts(graph).Transpose, 2, "only the input and output layout changes");
});

const unaryCases: {
  op: "RELU" | "RELU6" | "RELU_N1_TO_1" | "LOGISTIC" | "TANH";
  fn: (v: number) => number;
}[] = [
  { op: "RELU", fn: (v) => Math.max(v, 0) },
  { op: "RELU6", fn: (v) => Math.min(Math.max(v, 0), 6) },
  { op: "RELU_N1_TO_1", fn: (v) => Math.min(Math.max(v, -1), 1) },
  { op: "LOGISTIC", fn: (v) => 1 / (1 + Math.exp(-v)) },
  { op: "TANH", fn: Math.tanh },
];

for (const c of unaryCases) {
  test(`${c.op} on an input and on an NCHW-held activation`, async () => {
    const x = randNd([1, 3, 4, 2], 101, -9, 9);
    const m = new TfliteModelBuilder();
    const xi = m.input("x", x.shape);
    const conv = conv1x1(m, xi, x, 3, 102);
    m.output(m.op(c.op, [xi], x.shape), m.op(c.op, [conv.t], conv.v.shape));
    const { outputs } = await importAndRun(m, [x]);
    assertClose(outputs[0], ref.mapNd(x, c.fn), `${c.op}(x)`);
    assertClose(outputs[1], ref.mapNd(conv.v, c.fn), `${c.op}(conv)`);
  });
}

for (const alpha of [0.1, 0.3, 0]) {
  test(`LEAKY_RELU alpha ${alpha}`, async () => {
    const x = randNd([1, 2, 3, 4], 111, -5, 5);
    const m = new TfliteModelBuilder();
    const xi = m.input("x", x.shape);
    m.output(m.op("LEAKY_RELU", [xi], x.shape, { alpha }));
    const { outputs } = await importAndRun(m, [x]);
    assertClose(
      outputs[0],
      ref.mapNd(x, (v) => (v > 0 ? v : Math.fround(alpha) * v)),
      `alpha ${alpha}`,
    );
  });
}

/** Exact GELU through erf (Abramowitz–Stegun 7.1.26, |error| < 1.5e-7). */
function gelu(v: number): number {
  const z = Math.abs(v) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-z * z);
  const erf = v >= 0 ? y : -y;
  return 0.5 * v * (1 + erf);
}

test("an operator code above 127 (GELU = 150) is read from builtin_code, not the deprecated int8", async () => {
  const x = randNd([1, 2, 2, 3], 121, -3, 3);
  const m = new TfliteModelBuilder();
  m.output(m.op("GELU", [m.input("x", x.shape)], x.shape));
  const { graph, outputs } = await importAndRun(m, [x]);
  assert.equal(opCounts(graph).Gelu, 1);
  assertClose(outputs[0], ref.mapNd(x, gelu), "GELU", 1e-6);
});

// ---------------------------------------------------------------- resize

const resizeSizes = [
  { name: "upsample 3×5 → 7×9", h: 3, w: 5, oh: 7, ow: 9 },
  { name: "upsample ×2", h: 3, w: 4, oh: 6, ow: 8 },
  { name: "downsample 8×6 → 3×4", h: 8, w: 6, oh: 3, ow: 4 },
];
const resizeModes = [
  { name: "neither", alignCorners: false, halfPixelCenters: false },
  { name: "align_corners", alignCorners: true, halfPixelCenters: false },
  { name: "half_pixel_centers", alignCorners: false, halfPixelCenters: true },
];

for (const op of ["RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR"] as const) {
  for (const mode of resizeModes) {
    test(`${op} with ${mode.name}`, async () => {
      for (const s of resizeSizes) {
        const x = randNd([1, s.h, s.w, 2], 131);
        const expected =
          op === "RESIZE_BILINEAR"
            ? ref.resizeBilinear(x, s.oh, s.ow, mode.alignCorners, mode.halfPixelCenters)
            : ref.resizeNearest(x, s.oh, s.ow, mode.alignCorners, mode.halfPixelCenters);
        const m = new TfliteModelBuilder();
        const xi = m.input("x", x.shape);
        const size = m.constant("size", [2], [s.oh, s.ow], { type: "int32" });
        m.output(
          m.op(op, [xi, size], expected.shape, {
            alignCorners: mode.alignCorners,
            halfPixelCenters: mode.halfPixelCenters,
          }),
        );
        const { outputs } = await importAndRun(m, [x]);
        assertClose(outputs[0], expected, `${op} ${mode.name} ${s.name}`);
      }
    });
  }
}

// ---------------------------------------------------------------- shape ops

test("RESHAPE by a constant shape input (with -1), by new_shape only, and of an NCHW-held activation", async () => {
  const x = randNd([1, 2, 3, 4], 141);
  const m = new TfliteModelBuilder();
  const xi = m.input("x", x.shape);
  const r1 = m.op("RESHAPE", [xi, m.constant("shape", [3], [1, -1, 4], { type: "int32" })], [1, 6, 4]);
  const r2 = m.op("RESHAPE", [xi], [4, 6], { newShape: [4, 6] });
  const conv = conv1x1(m, xi, x, 3, 142);
  const r3 = m.op("RESHAPE", [conv.t, m.constant("shape2", [2], [1, 18], { type: "int32" })], [1, 18]);
  m.output(r1, r2, r3);
  const { outputs } = await importAndRun(m, [x]);
  assertClose(outputs[0], nd([1, 6, 4], x.data), "reshape -1");
  assertClose(outputs[1], nd([4, 6], x.data), "new_shape option");
  assertClose(outputs[2], nd([1, 18], conv.v.data), "flatten keeps NHWC element order");
});

for (const keepDims of [true, false]) {
  test(`MEAN over H,W with keep_dims ${keepDims}`, async () => {
    const x = randNd([1, 5, 3, 2], 151);
    const m = new TfliteModelBuilder();
    const xi = m.input("x", x.shape);
    const conv = conv1x1(m, xi, x, 4, 152);
    const expected = ref.reduce(conv.v, [1, 2], keepDims);
    const expectedX = ref.reduce(x, [-3, -2], keepDims);
    const axes = m.constant("axes", [2], [1, 2], { type: "int32" });
    const negAxes = m.constant("neg_axes", [2], [-3, -2], { type: "int32" });
    m.output(
      m.op("MEAN", [conv.t, axes], expected.shape, { keepDims }),
      m.op("MEAN", [xi, negAxes], expectedX.shape, { keepDims }),
    );
    const { outputs } = await importAndRun(m, [x]);
    assertClose(outputs[0], expected, "MEAN of conv");
    assertClose(outputs[1], expectedX, "MEAN with negative axes");
  });
}

test("DEQUANTIZE of a float16 and of an int8 constant folds into float constants", async () => {
  const x = randNd([1, 2, 2, 4], 161);
  const half = [0.5, -1.25, 3, 1024];
  const codes = [-128, -3, 0, 127];
  const scale = 0.05;
  const zp = 3;
  const m = new TfliteModelBuilder();
  const xi = m.input("x", x.shape);
  const h = m.constant("h", [4], half, { type: "float16" });
  const q = m.constant("q", [4], codes, { type: "int8", scale: [scale], zeroPoint: [zp] });
  const hd = m.op("DEQUANTIZE", [h], [4]);
  const qd = m.op("DEQUANTIZE", [q], [4]);
  const added = ref.broadcast(x, nd([4], half), (a, b) => a + b);
  const deq = codes.map((c) => Math.fround(scale) * (c - zp));
  const mult = ref.broadcast(added, nd([4], deq), (a, b) => a * b);
  const t1 = m.op("ADD", [xi, hd], added.shape);
  m.output(m.op("MUL", [t1, qd], mult.shape));
  const { graph, outputs } = await importAndRun(m, [x]);
  assertClose(outputs[0], mult, "x + f16 then * int8", 1e-6);
  assert.deepEqual(Object.keys(opCounts(graph)).sort(), ["Add", "Mul"], "dequantize leaves no node behind");
});

test("DEQUANTIZE of int8 per-channel weights feeding CONV_2D", async () => {
  const x = randNd([1, 4, 4, 2], 171);
  const scales = [0.02, 0.01, 0.04];
  const codes = int8Codes(3 * 3 * 3 * 2, 172);
  const w = nd([3, 3, 3, 2], dequantAxis0(codes, [3, 3, 3, 2], scales));
  const expected = ref.conv2d(x, w, undefined, { padding: "SAME" });
  const m = new TfliteModelBuilder();
  const xi = m.input("x", x.shape);
  const wq = m.constant("wq", [3, 3, 3, 2], codes, {
    type: "int8",
    scale: scales,
    zeroPoint: [0, 0, 0],
    dim: 0,
  });
  const wd = m.op("DEQUANTIZE", [wq], [3, 3, 3, 2]);
  m.output(m.op("CONV_2D", [xi, wd, -1], expected.shape, { padding: "SAME" }));
  const { outputs } = await importAndRun(m, [x]);
  assertClose(outputs[0], expected, "conv with DEQUANTIZE weights");
});

test("a QUANTIZE → DEQUANTIZE activation pair is the identity in the float graph", async () => {
  const x = randNd([1, 3, 3, 2], 181);
  const m = new TfliteModelBuilder();
  const xi = m.input("x", x.shape);
  const q = m.op("QUANTIZE", [xi], {
    shape: x.shape,
    type: "int8",
    quant: { scale: [0.1], zeroPoint: [-4] },
  });
  m.output(m.op("DEQUANTIZE", [q], x.shape));
  const { outputs } = await importAndRun(m, [x]);
  assert.deepEqual(Array.from(outputs[0]!.data), Array.from(x.data));
});

test("FULLY_CONNECTED: 2-D input with bias and RELU, 4-D input flattened, keep_num_dims", async () => {
  const m = new TfliteModelBuilder();
  const a = randNd([2, 6], 191);
  const wa = randNd([4, 6], 192);
  const ba = randoms(4, 193);
  const ai = m.input("a", a.shape);
  const ya = ref.fullyConnected(a, wa, ba, "RELU");
  const t1 = m.op(
    "FULLY_CONNECTED",
    [ai, m.constant("wa", wa.shape, wa.data), m.constant("ba", [4], ba)],
    ya.shape,
    { activation: "RELU" },
  );
  const x = randNd([1, 2, 2, 3], 194);
  const xi = m.input("x", x.shape);
  const conv = conv1x1(m, xi, x, 3, 195);
  const wx = randNd([5, 12], 196);
  const yx = ref.fullyConnected(conv.v, wx, undefined);
  const t2 = m.op("FULLY_CONNECTED", [conv.t, m.constant("wx", wx.shape, wx.data), -1], yx.shape);
  const k = randNd([1, 3, 6], 197);
  const ki = m.input("k", k.shape);
  const wk = randNd([4, 6], 198);
  const yk = ref.fullyConnected(k, wk, undefined);
  const t3 = m.op("FULLY_CONNECTED", [ki, m.constant("wk", wk.shape, wk.data), -1], [1, 3, 4], {
    keepNumDims: true,
  });
  m.output(t1, t2, t3);
  const { outputs } = await importAndRun(m, [a, x, k]);
  assertClose(outputs[0], ya, "2-D FC");
  assertClose(outputs[1], yx, "FC of a conv output flattens NHWC");
  assertClose(outputs[2], nd([1, 3, 4], yk.data), "keep_num_dims");
});

test("SOFTMAX with beta 1, beta 0.5 on an NCHW-held activation, and an omitted beta (schema default 0)", async () => {
  const m = new TfliteModelBuilder();
  const a = randNd([2, 5], 201, -3, 3);
  const ai = m.input("a", a.shape);
  const x = randNd([1, 3, 3, 2], 202);
  const xi = m.input("x", x.shape);
  const conv = conv1x1(m, xi, x, 4, 203);
  m.output(
    m.op("SOFTMAX", [ai], a.shape, { beta: 1 }),
    m.op("SOFTMAX", [conv.t], conv.v.shape, { beta: 0.5 }),
    m.op("SOFTMAX", [ai], a.shape, { beta: 0 }),
  );
  const { outputs } = await importAndRun(m, [a, x]);
  assertClose(outputs[0], ref.softmax(a, 1), "beta 1");
  assertClose(outputs[1], ref.softmax(conv.v, 0.5), "beta 0.5 over channels");
  assertClose(outputs[2], ref.softmax(a, 0), "beta 0 is uniform, as TFLite computes it");
});

for (const c of [
  { name: "2×2 stride 2 VALID", padding: "VALID" as const, f: 2, s: 2, h: 6, w: 7 },
  { name: "3×3 stride 2 SAME", padding: "SAME" as const, f: 3, s: 2, h: 6, w: 7 },
  { name: "3×3 stride 1 SAME", padding: "SAME" as const, f: 3, s: 1, h: 4, w: 5 },
]) {
  test(`MAX_POOL_2D / AVERAGE_POOL_2D ${c.name}`, async () => {
    const x = randNd([1, c.h, c.w, 3], 211, -2, 2);
    const p = { padding: c.padding, filterH: c.f, filterW: c.f, strideH: c.s, strideW: c.s };
    const mx = ref.pool2d("max", x, p);
    const av = ref.pool2d("avg", x, { ...p, act: "RELU" });
    const m = new TfliteModelBuilder();
    const xi = m.input("x", x.shape);
    const o = { padding: c.padding, filterHeight: c.f, filterWidth: c.f, strideH: c.s, strideW: c.s };
    m.output(
      m.op("MAX_POOL_2D", [xi], mx.shape, o),
      m.op("AVERAGE_POOL_2D", [xi], av.shape, { ...o, activation: "RELU" }),
    );
    const { outputs } = await importAndRun(m, [x]);
    assertClose(outputs[0], mx, "max");
    assertClose(outputs[1], av, "average (padding not counted) + RELU");
  });
}

test("CONCATENATION on the channel axis of an NCHW-held activation, an input and a constant", async () => {
  const x = randNd([1, 3, 2, 2], 221);
  const k = randNd([1, 3, 2, 1], 222);
  const m = new TfliteModelBuilder();
  const xi = m.input("x", x.shape);
  const conv = conv1x1(m, xi, x, 3, 223);
  const expected = ref.concat([conv.v, x, k], 3);
  const ki = m.constant("k", k.shape, k.data);
  const t1 = m.op("CONCATENATION", [conv.t, xi, ki], expected.shape, { axis: 3 });
  const t2 = m.op("CONCATENATION", [xi, conv.t], ref.concat([x, conv.v], -1).shape, {
    axis: -1,
    activation: "RELU",
  });
  const conv2 = conv1x1(m, xi, x, 2, 224);
  const t3 = m.op("CONCATENATION", [xi, conv2.t], ref.concat([x, conv2.v], 1).shape, { axis: 1 });
  m.output(t1, t2, t3);
  const { outputs } = await importAndRun(m, [x]);
  assertClose(outputs[0], expected, "axis 3");
  assertClose(
    outputs[1],
    ref.mapNd(ref.concat([x, conv.v], -1), (v) => Math.max(v, 0)),
    "axis -1 + RELU",
  );
  assertClose(outputs[2], ref.concat([x, conv2.v], 1), "axis 1 (H)");
});

test("SPLIT on the channel axis and on H", async () => {
  const x = randNd([1, 4, 3, 4], 231);
  const m = new TfliteModelBuilder();
  const xi = m.input("x", x.shape);
  const conv = conv1x1(m, xi, x, 6, 232);
  const ch = m.opMulti(
    "SPLIT",
    [m.constant("axis_c", [], [3], { type: "int32" }), conv.t],
    [
      [1, 4, 3, 2],
      [1, 4, 3, 2],
      [1, 4, 3, 2],
    ],
    {
      numSplits: 3,
    },
  );
  const rows = m.opMulti(
    "SPLIT",
    [m.constant("axis_h", [1], [-3], { type: "int32" }), xi],
    [
      [1, 2, 3, 4],
      [1, 2, 3, 4],
    ],
    { numSplits: 2 },
  );
  const relu = m.op("RELU", [ch[1]!], [1, 4, 3, 2]);
  m.output(ch[0]!, relu, ch[2]!, rows[0]!, rows[1]!);
  const { outputs } = await importAndRun(m, [x]);
  assertClose(outputs[0], ref.sliceAxis(conv.v, 3, 0, 2), "channels 0-1");
  assertClose(
    outputs[1],
    ref.mapNd(ref.sliceAxis(conv.v, 3, 2, 2), (v) => Math.max(v, 0)),
    "channels 2-3 + RELU",
  );
  assertClose(outputs[2], ref.sliceAxis(conv.v, 3, 4, 2), "channels 4-5");
  assertClose(outputs[3], ref.sliceAxis(x, 1, 0, 2), "rows 0-1");
  assertClose(outputs[4], ref.sliceAxis(x, 1, 2, 2), "rows 2-3");
});

test("PAD of an input and of an NCHW-held activation, PADV2 with a constant value", async () => {
  const x = randNd([1, 3, 3, 2], 241);
  const paddings: [number, number][] = [
    [0, 0],
    [1, 2],
    [2, 0],
    [0, 1],
  ];
  const m = new TfliteModelBuilder();
  const xi = m.input("x", x.shape);
  const pads = m.constant("pads", [4, 2], paddings.flat(), { type: "int32" });
  const conv = conv1x1(m, xi, x, 3, 242);
  const e1 = ref.pad(x, paddings);
  const e2 = ref.pad(conv.v, paddings);
  const e3 = ref.pad(conv.v, paddings, 0.75);
  m.output(
    m.op("PAD", [xi, pads], e1.shape),
    m.op("PAD", [conv.t, pads], e2.shape),
    m.op("PADV2", [conv.t, pads, m.constant("value", [], [0.75])], e3.shape),
  );
  const { outputs } = await importAndRun(m, [x]);
  assertClose(outputs[0], e1, "PAD x");
  assertClose(outputs[1], e2, "PAD conv");
  assertClose(outputs[2], e3, "PADV2 value 0.75");
});

test("TRANSPOSE NCHW → NHWC, CONV_2D, TRANSPOSE back: no transpose left in the graph", async () => {
  const x = randNd([1, 3, 5, 4], 251);
  const w = randNd([6, 3, 3, 3], 252);
  const xh = ref.transpose(x, [0, 2, 3, 1]);
  const y = ref.conv2d(xh, w, undefined, { padding: "SAME", act: "RELU" });
  const expected = ref.transpose(y, [0, 3, 1, 2]);
  const m = new TfliteModelBuilder();
  const xi = m.input("x_nchw", x.shape);
  const toNhwc = m.op("TRANSPOSE", [xi, m.constant("perm1", [4], [0, 2, 3, 1], { type: "int32" })], xh.shape);
  const conv = m.op("CONV_2D", [toNhwc, m.constant("w", w.shape, w.data), -1], y.shape, {
    padding: "SAME",
    activation: "RELU",
  });
  m.output(
    m.op("TRANSPOSE", [conv, m.constant("perm2", [4], [0, 3, 1, 2], { type: "int32" })], expected.shape),
  );
  const { graph, outputs } = await importAndRun(m, [x]);
  assertClose(outputs[0], expected, "round trip");
  assert.equal(opCounts(graph).Transpose ?? 0, 0, "every transpose cancels");
  assert.deepEqual([...graph.values.get(graph.inputs[0]!)!.shape], [1, 3, 5, 4]);
});

test("TRANSPOSE with a non-layout permutation, of an input and of a constant", async () => {
  const x = randNd([1, 2, 3, 4], 261);
  const k = randNd([2, 3, 1, 4], 262);
  const m = new TfliteModelBuilder();
  const xi = m.input("x", x.shape);
  const perm = m.constant("perm", [4], [0, 2, 1, 3], { type: "int32" });
  const kperm = m.constant("kperm", [4], [2, 1, 0, 3], { type: "int32" });
  const xt = ref.transpose(x, [0, 2, 1, 3]);
  const kt = ref.transpose(k, [2, 1, 0, 3]);
  const t1 = m.op("TRANSPOSE", [xi, perm], xt.shape);
  const t2 = m.op("TRANSPOSE", [m.constant("k", k.shape, k.data), kperm], kt.shape);
  const sum = ref.broadcast(xt, kt, (a, b) => a + b);
  m.output(t1, m.op("ADD", [t1, t2], sum.shape));
  const { outputs } = await importAndRun(m, [x]);
  assertClose(outputs[0], xt, "transpose H,W");
  assertClose(outputs[1], sum, "plus transposed constant");
});

test("STRIDED_SLICE: strides, begin/end masks, negative indices and stride, shrink axes", async () => {
  const x = randNd([1, 6, 5, 4], 271);
  const m = new TfliteModelBuilder();
  const xi = m.input("x", x.shape);
  const conv = conv1x1(m, xi, x, 3, 272);
  const i32 = (name: string, v: number[]) => m.constant(name, [v.length], v, { type: "int32" });
  const cases = [
    { src: xi, v: x, b: [0, 1, 0, 1], e: [1, 5, 5, 4], s: [1, 2, 1, 2], masks: {} },
    {
      src: xi,
      v: x,
      b: [0, 2, 0, 0],
      e: [0, 0, 3, 0],
      s: [1, 1, 1, 1],
      masks: { begin: 0b1101, end: 0b1011 },
    },
    { src: xi, v: x, b: [0, -2, 0, 0], e: [1, 0, -1, 4], s: [1, -1, 1, 1], masks: { end: 0b0010 } },
    { src: xi, v: x, b: [0, 4, 4, 0], e: [1, 0, 0, 4], s: [1, -2, -3, 1], masks: {} },
    { src: xi, v: x, b: [0, 2, 0, 0], e: [1, 3, 5, 4], s: [1, 1, 1, 1], masks: { shrink: 0b0011 } },
    { src: xi, v: x, b: [0, 0, 0, -1], e: [1, 6, 5, 0], s: [1, 1, 1, 1], masks: { shrink: 0b1000 } },
    { src: xi, v: x, b: [0, -100, 1], e: [1, 100, 3], s: [1, 1, 1], masks: {} },
    { src: conv.t, v: conv.v, b: [0, 1, 1, 0], e: [1, 6, 4, 2], s: [1, 2, 1, 1], masks: {} },
  ];
  const expected = cases.map((c) => ref.stridedSlice(c.v, c.b, c.e, c.s, c.masks));
  cases.forEach((c, k) => {
    m.output(
      m.op(
        "STRIDED_SLICE",
        [c.src, i32(`b${k}`, c.b), i32(`e${k}`, c.e), i32(`s${k}`, c.s)],
        expected[k]!.shape,
        {
          beginMask: c.masks.begin ?? 0,
          endMask: c.masks.end ?? 0,
          shrinkAxisMask: c.masks.shrink ?? 0,
        },
      ),
    );
  });
  assert.deepEqual(expected[4]!.shape, [5, 4], "reference drops shrunk axes");
  const { outputs } = await importAndRun(m, [x]);
  expected.forEach((e, k) => {
    assertClose(outputs[k], e, `case ${k}`);
  });
});

test("SHAPE → STRIDED_SLICE → CAST → MUL → CAST → RESIZE folds to one Resize (PyDNet's upsampling)", async () => {
  const x = randNd([1, 4, 6, 3], 281);
  const m = new TfliteModelBuilder();
  const xi = m.input("x", x.shape);
  const w = randNd([2, 1, 1, 3], 282);
  const y = ref.conv2d(x, w, undefined, { padding: "VALID" });
  // The file's shape of the conv output is stale on purpose: the importer must use the real one.
  const conv = m.op("CONV_2D", [xi, m.constant("w", w.shape, w.data), -1], [1, 1, 1, 2], {
    padding: "VALID",
  });
  const shape = m.op("SHAPE", [conv], { shape: [4], type: "int32" });
  const i32 = (name: string, v: number[]) => m.constant(name, [v.length], v, { type: "int32" });
  const hw = m.op("STRIDED_SLICE", [shape, i32("b", [1]), i32("e", [3]), i32("s", [1])], {
    shape: [2],
    type: "int32",
  });
  const hwf = m.op("CAST", [hw], { shape: [2], type: "float32" });
  const scaled = m.op("MUL", [hwf, m.constant("two", [], [2])], { shape: [2], type: "float32" });
  const size = m.op("CAST", [scaled], { shape: [2], type: "int32" });
  const expected = ref.resizeBilinear(y, 8, 12, true, false);
  m.output(m.op("RESIZE_BILINEAR", [conv, size], expected.shape, { alignCorners: true }));
  const { graph, outputs } = await importAndRun(m, [x]);
  assertClose(outputs[0], expected, "resized");
  const ops = opCounts(graph);
  assert.equal(ops.Resize, 1);
  for (const op of ["Cast", "Mul", "Slice"]) assert.equal(ops[op], undefined, `${op} must fold at import`);
});

// ---------------------------------------------------------------- errors

function expectGraphError(bytes: Uint8Array, pattern: RegExp): void {
  assert.throws(
    () => importTflite(bytes),
    (e: unknown) => {
      assert.ok(
        e instanceof GraphError,
        `expected a GraphError, got ${(e as Error).name}: ${(e as Error).message}`,
      );
      assert.match(e.message, pattern);
      return true;
    },
  );
}

test("an unsupported builtin operator is named with its tflite op index", () => {
  const m = new TfliteModelBuilder();
  const x = m.input("x", [1, 4]);
  const r = m.op("RELU", [x], [1, 4]);
  m.output(m.op("LSTM", [r], [1, 4]));
  expectGraphError(m.finish(), /^tflite op #1 LSTM: unsupported TFLite operator LSTM \(inputs: "relu_0_0"\)/);
});

test("a CUSTOM operator is named with its custom code and index", () => {
  const m = new TfliteModelBuilder();
  const x = m.input("x", [1, 2, 2, 1]);
  const r = m.op("RELU", [x], [1, 2, 2, 1]);
  const t = m.op("TANH", [r], [1, 2, 2, 1]);
  m.output(m.customOp("FancyDepthOp", [t], [1, 2, 2, 1]));
  expectGraphError(m.finish(), /^tflite op #2 CUSTOM "FancyDepthOp": unsupported TFLite operator/);
});

test("an operator input index out of range names the operator and the tensor count", () => {
  const m = new TfliteModelBuilder();
  const x = m.input("x", [1, 4]);
  const y = m.tensor({ name: "y", shape: [1, 4] });
  m.operator(m.opcode("RELU"), [x], [y]);
  m.operator(m.opcode("ADD"), [y, 42], [m.tensor({ name: "z", shape: [1, 4] })]);
  m.output(2);
  expectGraphError(m.finish(), /^tflite op #1 ADD: .*tensor 42.*3/);
});

test("a graph output index out of range is reported as such", () => {
  const m = new TfliteModelBuilder();
  const x = m.input("x", [1, 4]);
  m.op("RELU", [x], [1, 4]);
  m.output(7);
  expectGraphError(m.finish(), /output.*tensor 7.*2/);
});

test("an opcode index out of range is reported with the operator index", () => {
  const m = new TfliteModelBuilder();
  const x = m.input("x", [1, 4]);
  const y = m.tensor({ name: "y", shape: [1, 4] });
  m.operator(m.opcode("RELU"), [x], [y]);
  m.operator(5, [y], [m.tensor({ name: "z", shape: [1, 4] })]);
  m.output(2);
  expectGraphError(m.finish(), /^tflite op #1 .*opcode index 5.*1 operator code/);
});

test("a constant whose buffer is shorter than its shape is refused with both sizes", () => {
  const m = new TfliteModelBuilder();
  const x = m.input("x", [1, 2, 2, 3]);
  const w = m.constant("w", [4, 3, 3, 3], [], { bytes: new Uint8Array(10) });
  m.output(m.op("CONV_2D", [x, w, -1], [1, 2, 2, 4], { padding: "SAME" }));
  expectGraphError(m.finish(), /constant "w" has 10 bytes, shape \[4,3,3,3\] needs 432/);
});

test("a buffer whose length runs past the end of the file is a format error", () => {
  const marker = [1234.5, -987.25, 42.125, 7.75];
  const m = new TfliteModelBuilder();
  const x = m.input("x", [1, 4]);
  m.output(m.op("ADD", [x, m.constant("k", [4], marker)], [1, 4]));
  const bytes = m.finish();
  const needle = encodeTensorData("float32", marker);
  let at = -1;
  for (let i = 0; i + needle.length <= bytes.length && at < 0; i++) {
    if (needle.every((v, k) => bytes[i + k] === v)) at = i;
  }
  assert.ok(at >= 4, "marker found in the file");
  assert.equal(
    new DataView(bytes.buffer, bytes.byteOffset).getUint32(at - 4, true),
    16,
    "length prefix precedes the data",
  );
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(at - 4, 0x10000, true);
  assert.throws(
    () => importTflite(bytes),
    (e: unknown) =>
      e instanceof TfliteFormatError &&
      /not a valid TFLite model: buffers\[1\].*past the end of the file/.test(e.message),
  );
});

test("a tensor that refers to a buffer that does not exist is a format error naming the tensor", () => {
  const m = new TfliteModelBuilder();
  const x = m.input("x", [1, 4]);
  m.output(m.op("ADD", [x, m.constant("k", [4], [], { bufferIndex: 9 })], [1, 4]));
  assert.throws(
    () => importTflite(m.finish()),
    (e: unknown) =>
      e instanceof TfliteFormatError && /tensor 1 "k".*buffer 9.*1 buffer/.test((e as Error).message),
  );
});

test("an operator with fewer inputs than it needs says so instead of failing on a missing tensor", () => {
  const m = new TfliteModelBuilder();
  const x = m.input("x", [1, 4]);
  const k = m.constant("k", [4], [1, 2, 3, 4]);
  const y = m.tensor({ name: "y", shape: [1, 4] });
  m.operator(m.opcode("ADD"), [k], [y]);
  m.operator(m.opcode("MUL"), [x, y], [m.tensor({ name: "z", shape: [1, 4] })]);
  m.output(3);
  expectGraphError(m.finish(), /^tflite op #0 ADD: needs 2 inputs, the file gives 1$/);
  const m2 = new TfliteModelBuilder();
  const x2 = m2.input("x", [1, 2, 2, 1]);
  m2.output(m2.op("CONV_2D", [x2, -1], [1, 2, 2, 1]));
  expectGraphError(m2.finish(), /^tflite op #0 CONV_2D: needs 2 inputs, the file gives 1$/);
});

test("every truncation and many single-byte corruptions give a format or graph error with a clear message", () => {
  const m = new TfliteModelBuilder();
  const x = m.input("x", [1, 4, 4, 2]);
  const w = m.constant("w", [3, 3, 3, 2], randoms(54, 301));
  const y = m.op("CONV_2D", [x, w, -1], [1, 4, 4, 3], { padding: "SAME", activation: "RELU" });
  const size = m.constant("size", [2], [8, 8], { type: "int32" });
  m.output(m.op("RESIZE_BILINEAR", [y, size], [1, 8, 8, 3], { alignCorners: true }));
  const bytes = m.finish();
  const check = (b: Uint8Array, what: string) => {
    try {
      importTflite(b);
    } catch (e) {
      assert.ok(
        e instanceof GraphError || e instanceof TfliteFormatError,
        `${what}: ${(e as Error).name}: ${(e as Error).message}`,
      );
      assert.doesNotMatch(e.message, /undefined|NaN|Cannot read|is not a function/, what);
    }
  };
  for (let cut = 0; cut < bytes.length; cut++) check(bytes.slice(0, cut), `cut at ${cut}`);
  const picks = randoms(2000, 302, 0, 1);
  for (let k = 0; k < picks.length; k += 2) {
    const b = bytes.slice();
    const pos = 8 + Math.floor(picks[k]! * (b.length - 8));
    b[pos] = Math.floor(picks[k + 1]! * 256);
    check(b, `byte ${pos} set to ${b[pos]}`);
  }
  // Cutting past the last 16 bytes always loses data the model needs.
  assert.throws(() => importTflite(bytes.slice(0, bytes.length - 16)));
});
