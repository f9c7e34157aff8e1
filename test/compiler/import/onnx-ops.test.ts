/** Each supported ONNX operator imports into the expected IR ops with the right shapes and attributes. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { SUPPORTED_ONNX_OPS } from "../../../compiler/import/onnx.js";
import { OnnxDataType } from "../../helpers/onnx-build.js";
import { attrsOf, nodesOf, onlyNode, opList, outputShape } from "../../helpers/onnx-graph-queries.js";
import { seededRandom, uniform } from "../../helpers/onnx-random.js";
import { importBuilt } from "../../helpers/onnx-single.js";

const rand = seededRandom(7);
const w = (n: number) => uniform(rand, n, 0.5);

test("Conv keeps strides, pads, dilations, group and bias", () => {
  const g = importBuilt((b) => {
    const x = b.input("x", [1, 4, 9, 9]);
    return b.op(
      "Conv",
      [x, b.weight("w", [8, 2, 3, 3], w(144)), b.weight("bias", [8], w(8))],
      { strides: [2, 2], pads: [1, 0, 1, 2], dilations: [1, 1], group: 2, kernel_shape: [3, 3] },
      { name: "conv" },
    );
  });
  const conv = onlyNode(g, "Conv2d");
  assert.deepEqual(conv.attrs, { strides: [2, 2], pads: [1, 0, 1, 2], dilations: [1, 1], group: 2 });
  assert.equal(conv.inputs.length, 3);
  assert.deepEqual(outputShape(g), [1, 8, 5, 5]);
  assert.match(conv.origin ?? "", /ONNX node #0 Conv "conv"/);
});

test("Conv auto_pad SAME_UPPER puts the odd pixel at the end, SAME_LOWER at the start", () => {
  for (const [mode, pads] of [
    ["SAME_UPPER", [0, 0, 1, 1]],
    ["SAME_LOWER", [1, 1, 0, 0]],
  ] as const) {
    const g = importBuilt((b) => {
      const x = b.input("x", [1, 1, 8, 8]);
      return b.op("Conv", [x, b.weight("w", [1, 1, 2, 2], w(4))], { auto_pad: mode, strides: [1, 1] });
    });
    assert.deepEqual(attrsOf(g, "Conv2d").pads, pads, mode);
    assert.deepEqual(outputShape(g), [1, 1, 8, 8]);
  }
});

test("ConvTranspose maps pads/output_padding and output_shape", () => {
  const g = importBuilt((b) => {
    const x = b.input("x", [1, 4, 5, 5]);
    return b.op("ConvTranspose", [x, b.weight("w", [4, 3, 4, 4], w(192))], {
      strides: [2, 2],
      pads: [1, 1, 1, 1],
      output_padding: [1, 0],
    });
  });
  assert.deepEqual(attrsOf(g, "ConvTranspose2d"), {
    strides: [2, 2],
    pads: [1, 1, 1, 1],
    outputPadding: [1, 0],
    group: 1,
  });
  assert.deepEqual(outputShape(g), [1, 3, 11, 10]);
  const g2 = importBuilt((b) => {
    const x = b.input("x", [1, 4, 5, 5]);
    return b.op("ConvTranspose", [x, b.weight("w", [4, 3, 3, 3], w(108))], {
      strides: [2, 2],
      output_shape: [10, 10],
    });
  });
  assert.deepEqual(outputShape(g2), [1, 3, 10, 10]);
});

test("MatMul handles batched and 1-D operands", () => {
  const g = importBuilt((b) => b.op("MatMul", [b.input("a", [2, 3, 5, 4]), b.weight("m", [4, 6], w(24))]));
  assert.deepEqual(outputShape(g), [2, 3, 5, 6]);
  const g1 = importBuilt((b) => b.op("MatMul", [b.input("a", [2, 5, 4]), b.weight("v", [4], w(4))]));
  assert.deepEqual(outputShape(g1), [2, 5]);
  assert.deepEqual(opList(g1), ["Reshape", "MatMul", "Reshape"]);
});

test("Gemm with transB folds the transpose into the constant weight and adds the bias", () => {
  const g = importBuilt((b) =>
    b.op("Gemm", [b.input("a", [3, 4]), b.weight("B", [5, 4], w(20)), b.weight("C", [5], w(5))], {
      transB: 1,
    }),
  );
  assert.deepEqual(opList(g), ["MatMul", "Add"]);
  const mm = onlyNode(g, "MatMul");
  assert.deepEqual(g.initializers.get(mm.inputs[1]!)?.shape, [4, 5]);
  assert.deepEqual(outputShape(g), [3, 5]);
});

test("elementwise binary ops broadcast, including scalar constants", () => {
  for (const op of ["Add", "Sub", "Mul", "Div", "Pow"] as const) {
    const g = importBuilt((b) => b.op(op, [b.input("x", [1, 3, 4, 4]), b.weight("s", [3, 1, 1], [1, 2, 3])]));
    assert.deepEqual(opList(g), [op]);
    assert.deepEqual(outputShape(g), [1, 3, 4, 4]);
  }
  const g = importBuilt((b) =>
    b.op("Pow", [
      b.input("x", [2, 2]),
      b.constant("e", { dims: [], values: [2n], dataType: OnnxDataType.INT64 }),
    ]),
  );
  const pow = onlyNode(g, "Pow");
  assert.equal(g.initializers.get(pow.inputs[1]!)?.dtype, "float32", "int exponent is converted to float");
});

test("activations map one to one", () => {
  const cases: [string, string, Record<string, number | string>][] = [
    ["Relu", "Relu", {}],
    ["Sigmoid", "Sigmoid", {}],
    ["Tanh", "Tanh", {}],
    ["Erf", "Erf", {}],
    ["Sqrt", "Sqrt", {}],
    ["LeakyRelu", "LeakyRelu", { alpha: 0.2 }],
  ];
  for (const [onnx, ir, attrs] of cases) {
    const g = importBuilt((b) => b.op(onnx, [b.input("x", [1, 2, 3])], attrs));
    assert.deepEqual(opList(g), [ir], onnx);
  }
  const lr = importBuilt((b) => b.op("LeakyRelu", [b.input("x", [2])]));
  assert.ok(Math.abs(attrsOf(lr, "LeakyRelu").alpha - 0.01) < 1e-7, "default alpha");
  const gl = importBuilt((b) => b.op("Gelu", [b.input("x", [2])], { approximate: "tanh" }), { opset: 20 });
  assert.deepEqual(attrsOf(gl, "Gelu"), { approximate: "tanh" });
});

test("Clip takes bounds from attributes (opset < 11) or constant inputs; [0, ∞) is Relu", () => {
  const old = importBuilt(
    (b) => b.op("Clip", [b.input("x", [4])], { min: { float: -1 }, max: { float: 6 } }),
    { opset: 10 },
  );
  assert.deepEqual(attrsOf(old, "Clip"), { min: -1, max: 6 });
  const relu6 = importBuilt((b) =>
    b.op("Clip", [
      b.input("x", [4]),
      b.constant("lo", { dims: [], values: [0] }),
      b.constant("hi", { dims: [], values: [6] }),
    ]),
  );
  assert.deepEqual(attrsOf(relu6, "Clip"), { min: 0, max: 6 });
  const onlyMin = importBuilt((b) =>
    b.op("Clip", [b.input("x", [4]), b.constant("lo", { dims: [], values: [0] })]),
  );
  assert.deepEqual(opList(onlyMin), ["Relu"]);
});

test("Softmax: opset 13 keeps the axis; opset 11 coerces to 2-D unless the axis is last", () => {
  const g13 = importBuilt((b) => b.op("Softmax", [b.input("x", [2, 3, 4])], { axis: 1 }), { opset: 13 });
  assert.deepEqual(opList(g13), ["Softmax"]);
  assert.equal(attrsOf(g13, "Softmax").axis, 1);
  const g11 = importBuilt((b) => b.op("Softmax", [b.input("x", [2, 3, 4])], { axis: 1 }), { opset: 11 });
  assert.deepEqual(opList(g11), ["Reshape", "Softmax", "Reshape"]);
  assert.deepEqual(nodesOf(g11, "Reshape")[0]!.attrs.shape, [2, 12]);
  assert.deepEqual(outputShape(g11), [2, 3, 4]);
  const last = importBuilt((b) => b.op("Softmax", [b.input("x", [2, 3, 4])], { axis: 2 }), { opset: 11 });
  assert.deepEqual(opList(last), ["Softmax"]);
});

test("LayerNormalization → LayerNorm with normalized axis and epsilon", () => {
  const g = importBuilt((b) =>
    b.op(
      "LayerNormalization",
      [b.input("x", [1, 5, 8]), b.weight("g", [8], w(8)), b.weight("b", [8], w(8))],
      { axis: -1, epsilon: 1e-6 },
    ),
  );
  const ln = onlyNode(g, "LayerNorm");
  assert.equal(ln.attrs.axis, 2);
  assert.ok(Math.abs(ln.attrs.epsilon - 1e-6) < 1e-12);
  assert.equal(ln.inputs.length, 3);
});

test("Transpose, Reshape (0 and -1), Flatten, Squeeze, Unsqueeze", () => {
  const t = importBuilt((b) => b.op("Transpose", [b.input("x", [1, 2, 3])], { perm: [0, 2, 1] }));
  assert.deepEqual(outputShape(t), [1, 3, 2]);
  const r = importBuilt((b) => b.op("Reshape", [b.input("x", [2, 3, 4]), b.ints("s", [0, -1])]));
  assert.deepEqual(attrsOf(r, "Reshape").shape, [2, 12]);
  const f = importBuilt((b) => b.op("Flatten", [b.input("x", [2, 3, 4, 5])], { axis: 2 }));
  assert.deepEqual(outputShape(f), [6, 20]);
  const sq = importBuilt((b) => b.op("Squeeze", [b.input("x", [1, 3, 1, 4]), b.ints("a", [2])]));
  assert.deepEqual(outputShape(sq), [1, 3, 4]);
  const sq11 = importBuilt((b) => b.op("Squeeze", [b.input("x", [1, 3, 1, 4])], { axes: [0] }), {
    opset: 11,
  });
  assert.deepEqual(outputShape(sq11), [3, 1, 4]);
  const un = importBuilt((b) => b.op("Unsqueeze", [b.input("x", [3, 4]), b.ints("a", [0, -1])]));
  assert.deepEqual(outputShape(un), [1, 3, 4, 1]);
  assert.deepEqual(opList(un), ["Reshape"]);
});

test("Concat and Split (sizes input, attribute, equal parts, num_outputs)", () => {
  const c = importBuilt((b) =>
    b.op("Concat", [b.input("x", [1, 2, 3]), b.weight("k", [1, 5, 3], w(15))], { axis: -2 }),
  );
  assert.deepEqual(attrsOf(c, "Concat").axis, 1);
  assert.deepEqual(outputShape(c), [1, 7, 3]);
  const s = importBuilt((b) =>
    b.node("Split", [b.input("x", [6, 4]), b.ints("sp", [2, 4])], ["p", "q"], { axis: 0 }),
  );
  assert.deepEqual(attrsOf(s, "Split").sizes, [2, 4]);
  assert.deepEqual(s.outputs, ["p", "q"]);
  const s11 = importBuilt(
    (b) => b.node("Split", [b.input("x", [6, 4])], ["p", "q"], { axis: 1, split: [1, 3] }),
    { opset: 11 },
  );
  assert.deepEqual(attrsOf(s11, "Split").sizes, [1, 3]);
  const eq = importBuilt((b) => b.node("Split", [b.input("x", [6, 4])], ["p", "q", "r"], {}));
  assert.deepEqual(attrsOf(eq, "Split").sizes, [2, 2, 2]);
  const uneven = importBuilt(
    (b) => b.node("Split", [b.input("x", [7])], ["p", "q", "r"], { num_outputs: 3 }),
    { opset: 18 },
  );
  assert.deepEqual(attrsOf(uneven, "Split").sizes, [3, 3, 1]);
});

test("Slice normalizes negative and unbounded starts/ends, axes and steps", () => {
  const g = importBuilt((b) =>
    b.op("Slice", [
      b.input("x", [2, 10, 6]),
      b.ints("st", [1, -4]),
      b.ints("en", [9223372036854775807n, -1]),
      b.ints("ax", [1, 2]),
      b.ints("sp", [2, 1]),
    ]),
  );
  assert.deepEqual(attrsOf(g, "Slice"), { starts: [0, 1, 2], ends: [2, 10, 5], steps: [1, 2, 1] });
  assert.deepEqual(outputShape(g), [2, 5, 3]);
  const rev = importBuilt((b) =>
    b.op("Slice", [
      b.input("x", [5]),
      b.ints("st", [-1]),
      b.ints("en", [-9223372036854775808n]),
      b.ints("ax", [0]),
      b.ints("sp", [-1]),
    ]),
  );
  assert.deepEqual(attrsOf(rev, "Slice"), { starts: [4], ends: [-1], steps: [-1] });
  assert.deepEqual(outputShape(rev), [5]);
  const old = importBuilt(
    (b) => b.op("Slice", [b.input("x", [4, 4])], { starts: [1], ends: [3], axes: [1] }),
    { opset: 9 },
  );
  assert.deepEqual(outputShape(old), [4, 2]);
});

test("Pad: inputs (opset 11+), attributes (opset < 11), modes, axes, negative pads crop", () => {
  const g = importBuilt((b) =>
    b.op(
      "Pad",
      [
        b.input("x", [1, 2, 4, 4]),
        b.ints("p", [0, 0, 1, 2, 0, 0, 3, 4]),
        b.constant("v", { dims: [], values: [0.5] }),
      ],
      {
        mode: "constant",
      },
    ),
  );
  assert.deepEqual(attrsOf(g, "Pad"), { pads: [0, 0, 1, 2, 0, 0, 3, 4], mode: "constant", value: 0.5 });
  assert.deepEqual(outputShape(g), [1, 2, 8, 10]);
  const old = importBuilt(
    (b) => b.op("Pad", [b.input("x", [1, 1, 3, 3])], { pads: [0, 0, 1, 1, 0, 0, 1, 1], mode: "reflect" }),
    {
      opset: 10,
    },
  );
  assert.equal(attrsOf(old, "Pad").mode, "reflect");
  const axes = importBuilt(
    (b) =>
      b.op("Pad", [b.input("x", [1, 1, 3, 3]), b.ints("p", [2, 2]), "", b.ints("ax", [-1])], {
        mode: "edge",
      }),
    { opset: 18 },
  );
  assert.deepEqual(attrsOf(axes, "Pad").pads, [0, 0, 0, 2, 0, 0, 0, 2]);
  const crop = importBuilt((b) =>
    b.op("Pad", [b.input("x", [1, 1, 5, 5]), b.ints("p", [0, 0, -1, 1, 0, 0, 0, -2])]),
  );
  assert.deepEqual(opList(crop), ["Pad", "Slice"]);
  assert.deepEqual(outputShape(crop), [1, 1, 4, 4]);
});

test("Resize from scales and from sizes keeps mode and coordinate transform", () => {
  const g = importBuilt((b) =>
    b.op("Resize", [b.input("x", [1, 2, 4, 6]), "", b.constant("s", { dims: [4], values: [1, 1, 2, 2] })], {
      mode: "linear",
      coordinate_transformation_mode: "align_corners",
    }),
  );
  assert.deepEqual(attrsOf(g, "Resize"), {
    mode: "bilinear",
    coordinateTransform: "align_corners",
    size: [8, 12],
  });
  const s = importBuilt((b) =>
    b.op("Resize", [b.input("x", [1, 2, 4, 6]), "", "", b.ints("z", [1, 2, 5, 9])], { mode: "linear" }),
  );
  assert.deepEqual(attrsOf(s, "Resize"), {
    mode: "bilinear",
    coordinateTransform: "half_pixel",
    size: [5, 9],
  });
  const nearest = importBuilt((b) =>
    b.op("Resize", [b.input("x", [1, 2, 4, 6]), "", b.constant("s", { dims: [4], values: [1, 1, 2, 2] })], {
      mode: "nearest",
      coordinate_transformation_mode: "asymmetric",
      nearest_mode: "floor",
    }),
  );
  assert.deepEqual(attrsOf(nearest, "Resize"), {
    mode: "nearest",
    coordinateTransform: "asymmetric",
    size: [8, 12],
  });
  const v10 = importBuilt(
    (b) => b.op("Resize", [b.input("x", [1, 2, 4, 6]), b.constant("s", { dims: [4], values: [1, 1, 2, 2] })]),
    {
      opset: 10,
    },
  );
  assert.deepEqual(attrsOf(v10, "Resize"), {
    mode: "nearest",
    coordinateTransform: "asymmetric",
    size: [8, 12],
  });
  const up = importBuilt(
    (b) =>
      b.op("Upsample", [b.input("x", [1, 2, 4, 6])], { scales: { floats: [1, 1, 2, 3] }, mode: "linear" }),
    {
      opset: 8,
    },
  );
  assert.deepEqual(attrsOf(up, "Resize"), {
    mode: "bilinear",
    coordinateTransform: "asymmetric",
    size: [8, 18],
  });
});

test("Resize opset 11 with an roi tensor and empty scales; Upsample opset 9 with a scales input", () => {
  const g = importBuilt(
    (b) =>
      b.op("Resize", [
        b.input("x", [1, 2, 4, 6]),
        b.constant("roi", { dims: [0], values: [] }),
        b.constant("scales", { dims: [0], values: [] }),
        b.ints("sizes", [1, 2, 8, 12]),
      ]),
    { opset: 11 },
  );
  assert.deepEqual(attrsOf(g, "Resize"), {
    mode: "nearest",
    coordinateTransform: "half_pixel",
    size: [8, 12],
  });
  const up = importBuilt(
    (b) =>
      b.op("Upsample", [b.input("x", [1, 2, 4, 6]), b.constant("s", { dims: [4], values: [1, 1, 2, 2] })]),
    { opset: 9 },
  );
  assert.deepEqual(attrsOf(up, "Resize"), {
    mode: "nearest",
    coordinateTransform: "asymmetric",
    size: [8, 12],
  });
});

test("Resize refuses what the IR cannot reproduce", () => {
  const bad =
    (attrs: Record<string, string>, scales = [1, 1, 2, 2], shape = [1, 1, 4, 4]) =>
    () =>
      importBuilt((b) =>
        b.op("Resize", [b.input("x", shape), "", b.constant("s", { dims: [4], values: scales })], attrs),
      );
  assert.throws(bad({ mode: "cubic" }), /mode "cubic" is not supported/);
  assert.throws(
    bad({ mode: "linear", coordinate_transformation_mode: "tf_crop_and_resize" }),
    /tf_crop_and_resize/,
  );
  assert.throws(bad({ mode: "linear" }, [1, 2, 2, 2]), /may only resize H and W/);
  assert.throws(bad({ mode: "linear" }, [1, 1, 1.5, 1.5], [1, 1, 5, 5]), /not a whole size/);
  assert.throws(
    bad(
      { mode: "nearest", coordinate_transformation_mode: "asymmetric", nearest_mode: "round_prefer_floor" },
      [1, 1, 3, 3],
    ),
    /nearest_mode "round_prefer_floor" with asymmetric/,
  );
  // half_pixel 6 → 3 lands exactly on .5: ONNX rounds those down, the IR up.
  assert.throws(
    bad({ mode: "nearest" }, [1, 1, 0.5, 0.5], [1, 1, 6, 6]),
    /nearest_mode "round_prefer_floor" with half_pixel for 6 → 3/,
  );
});

test("ReduceMean axes as attribute (opset < 18) or input (opset 18), keepdims", () => {
  const a = importBuilt((b) => b.op("ReduceMean", [b.input("x", [2, 3, 4])], { axes: [-1], keepdims: 0 }));
  assert.deepEqual(attrsOf(a, "ReduceMean"), { axes: [2], keepDims: false });
  assert.deepEqual(outputShape(a), [2, 3]);
  const i = importBuilt((b) => b.op("ReduceMean", [b.input("x", [2, 3, 4]), b.ints("ax", [1])]), {
    opset: 18,
  });
  assert.deepEqual(attrsOf(i, "ReduceMean"), { axes: [1], keepDims: true });
  const all = importBuilt((b) => b.op("ReduceMean", [b.input("x", [2, 3])]));
  assert.deepEqual(attrsOf(all, "ReduceMean").axes, [0, 1]);
});

test("pooling: MaxPool, AveragePool (ceil_mode, count_include_pad), GlobalAveragePool", () => {
  const mp = importBuilt((b) =>
    b.op("MaxPool", [b.input("x", [1, 2, 7, 7])], {
      kernel_shape: [3, 3],
      strides: [2, 2],
      pads: [1, 1, 1, 1],
    }),
  );
  assert.deepEqual(attrsOf(mp, "MaxPool"), { kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] });
  assert.deepEqual(outputShape(mp), [1, 2, 4, 4]);
  const ceil = importBuilt((b) =>
    b.op("MaxPool", [b.input("x", [1, 1, 6, 6])], { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 }),
  );
  assert.deepEqual(outputShape(ceil), [1, 1, 3, 3]);
  const ap = importBuilt((b) =>
    b.op("AveragePool", [b.input("x", [1, 2, 6, 6])], {
      kernel_shape: [2, 2],
      strides: [2, 2],
      count_include_pad: 1,
    }),
  );
  assert.deepEqual(attrsOf(ap, "AvgPool"), {
    kernel: [2, 2],
    strides: [2, 2],
    pads: [0, 0, 0, 0],
    countIncludePad: true,
  });
  const gap = importBuilt((b) => b.op("GlobalAveragePool", [b.input("x", [1, 3, 5, 5])]));
  assert.deepEqual(attrsOf(gap, "ReduceMean"), { axes: [2, 3], keepDims: true });
  assert.deepEqual(outputShape(gap), [1, 3, 1, 1]);
});

test("BatchNormalization after Conv is folded; standalone it becomes Mul + Add", () => {
  const bn = (b: Parameters<Parameters<typeof importBuilt>[0]>[0], x: string) =>
    b.op("BatchNormalization", [
      x,
      b.weight("gamma", [3], [1, 2, 3]),
      b.weight("beta", [3], [0, 1, 2]),
      b.weight("mean", [3], [0.5, 0, -0.5]),
      b.weight("var", [3], [1, 4, 9]),
    ]);
  const folded = importBuilt((b) =>
    bn(b, b.op("Conv", [b.input("x", [1, 2, 4, 4]), b.weight("w", [3, 2, 1, 1], w(6))])),
  );
  assert.deepEqual(opList(folded), ["Conv2d"]);
  assert.equal(onlyNode(folded, "Conv2d").inputs.length, 3, "folding adds a bias");
  const alone = importBuilt((b) => bn(b, b.input("x", [1, 3, 4, 4])));
  assert.deepEqual(opList(alone), ["Mul", "Add"]);
});

test("Identity, Dropout and same-type Cast are aliases; a Cast to int is a Cast node", () => {
  const g = importBuilt((b) => {
    const x = b.input("x", [2, 2]);
    const d = b.op("Dropout", [b.op("Identity", [x])]);
    return b.op("Relu", [b.op("Cast", [d], { to: OnnxDataType.FLOAT })]);
  });
  assert.deepEqual(opList(g), ["Relu"]);
  const c = importBuilt((b) => b.op("Cast", [b.input("x", [2])], { to: OnnxDataType.INT64 }));
  assert.deepEqual(attrsOf(c, "Cast"), { to: "int32" });
});

test("Gather of runtime data at a constant index is Slice + Reshape", () => {
  const g = importBuilt((b) =>
    b.op(
      "Gather",
      [b.input("x", [3, 2, 5]), b.constant("i", { dims: [], values: [-2n], dataType: OnnxDataType.INT64 })],
      {
        axis: 0,
      },
    ),
  );
  assert.deepEqual(opList(g), ["Slice", "Reshape"]);
  assert.deepEqual(nodesOf(g, "Slice")[0]!.attrs.starts, [1, 0, 0]);
  assert.deepEqual(outputShape(g), [2, 5]);
  const range = importBuilt((b) =>
    b.op("Gather", [b.input("x", [2, 8]), b.ints("i", [1, 3, 5])], { axis: 1 }),
  );
  assert.deepEqual(attrsOf(range, "Slice"), { starts: [0, 1], ends: [2, 7], steps: [1, 2] });
});

test("Expand of runtime data multiplies by ones over the broadcast dims only", () => {
  const g = importBuilt((b) => b.op("Expand", [b.input("x", [1, 3, 1]), b.ints("s", [2, 3, 4])]));
  assert.deepEqual(outputShape(g), [2, 3, 4]);
  const mul = onlyNode(g, "Mul");
  assert.deepEqual(g.initializers.get(mul.inputs[1]!)?.shape, [2, 1, 4]);
});

test("Max/Min/Sum chain into binary nodes; Reciprocal is 1/x", () => {
  const g = importBuilt((b) => b.op("Max", [b.input("a", [3]), b.input("b", [3]), b.input("c", [3])]));
  assert.deepEqual(opList(g), ["Maximum", "Maximum"]);
  const r = importBuilt((b) => b.op("Reciprocal", [b.input("a", [3])]));
  assert.deepEqual(opList(r), ["Div"]);
});

test("DepthToSpace is Reshape → Transpose → Reshape", () => {
  const g = importBuilt((b) =>
    b.op("DepthToSpace", [b.input("x", [1, 8, 3, 3])], { blocksize: 2, mode: "CRD" }),
  );
  assert.deepEqual(opList(g), ["Reshape", "Transpose", "Reshape"]);
  assert.deepEqual(outputShape(g), [1, 2, 6, 6]);
});

test("the supported-operator list covers every operator Depth Anything / DPT exports use", () => {
  const required = [
    "Conv",
    "ConvTranspose",
    "MatMul",
    "Gemm",
    "Add",
    "Mul",
    "Sub",
    "Div",
    "Relu",
    "LeakyRelu",
    "Sigmoid",
    "Gelu",
    "Erf",
    "Softmax",
    "LayerNormalization",
    "Transpose",
    "Reshape",
    "Concat",
    "Split",
    "Slice",
    "Pad",
    "Resize",
    "ReduceMean",
    "Sqrt",
    "Pow",
    "Constant",
    "Shape",
    "Gather",
    "Unsqueeze",
    "Squeeze",
    "Flatten",
    "Cast",
    "Tanh",
    "Identity",
    "Dropout",
    "BatchNormalization",
    "Clip",
    "MaxPool",
    "AveragePool",
    "GlobalAveragePool",
  ];
  const missing = required.filter((op) => !SUPPORTED_ONNX_OPS.includes(op));
  assert.deepEqual(missing, []);
});
