/** Shape arithmetic and constant math are folded at import: only real computation reaches the IR. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { constFromTensorProto } from "../../../compiler/import/onnx-const.js";
import { OnnxDataType, tensorProto } from "../../helpers/onnx-build.js";
import { attrsOf, opList, outputShape } from "../../helpers/onnx-graph-queries.js";
import { importBuilt } from "../../helpers/onnx-single.js";

test("Shape → Gather → Unsqueeze → Concat → Reshape folds into one Reshape", () => {
  const g = importBuilt(
    (b) => {
      const x = b.input("x", ["n", 6, 4, 5]);
      const s = b.op("Shape", [x]);
      const n = b.op("Unsqueeze", [b.op("Gather", [s, b.ints("i0", [0], [])]), b.ints("ax", [0])]);
      const hw = b.op("Mul", [
        b.op("Gather", [s, b.ints("i2", [2], [])]),
        b.op("Gather", [s, b.ints("i3", [3], [])]),
      ]);
      const shape = b.op("Concat", [n, b.ints("c", [6]), b.op("Unsqueeze", [hw, b.ints("ax2", [0])])], {
        axis: 0,
      });
      return b.op("Reshape", [x, shape]);
    },
    { inputShapes: { x: [3, 6, 4, 5] } },
  );
  assert.deepEqual(opList(g), ["Reshape"]);
  assert.deepEqual(attrsOf(g, "Reshape").shape, [3, 6, 20]);
});

test("opset 11 Unsqueeze/Squeeze attributes, Cast, Div and Sub on shapes fold", () => {
  const g = importBuilt(
    (b) => {
      const x = b.input("x", [2, 8, 6]);
      const s = b.op("Cast", [b.op("Shape", [x])], { to: OnnxDataType.FLOAT });
      const half = b.op("Cast", [b.op("Div", [s, b.weight("two", [3], [1, 2, 3])])], {
        to: OnnxDataType.INT64,
      });
      const minusOne = b.op("Sub", [b.ints("z", [0]), b.ints("o", [1])]);
      const first = b.op(
        "Squeeze",
        [b.op("Unsqueeze", [b.op("Gather", [half, b.ints("k", [1], [])], { axis: 0 })], { axes: [0] })],
        {
          axes: [0],
        },
      );
      const shape = b.op("Concat", [b.op("Unsqueeze", [first], { axes: [0] }), minusOne], { axis: 0 });
      return b.op("Reshape", [x, shape]);
    },
    { opset: 11 },
  );
  assert.deepEqual(opList(g), ["Reshape"]);
  assert.deepEqual(attrsOf(g, "Reshape").shape, [4, 24]);
});

test("PyTorch's view(-1) guard (ConstantOfShape → Mul → Equal → Where) folds", () => {
  const g = importBuilt((b) => {
    const x = b.input("x", [2, 3, 4]);
    const target = b.ints("target", [2, -1]);
    const ones = b.op("ConstantOfShape", [b.ints("len", [2])], {
      value: { tensor: { dims: [1], values: [1n], dataType: OnnxDataType.INT64 } },
    });
    const minus = b.op("Mul", [ones, b.ints("m1", [-1], [])]);
    const isMinus = b.op("Equal", [target, minus]);
    return b.op("Reshape", [x, b.op("Where", [isMinus, b.ints("neg", [-1, -1]), target])]);
  });
  assert.deepEqual(attrsOf(g, "Reshape").shape, [2, 12]);
});

test("Range, Slice with INT64_MAX, Shape(start, end) and Size fold", () => {
  const g = importBuilt(
    (b) => {
      const x = b.input("x", [1, 2, 12]);
      const r = b.op("Range", [b.ints("a", [0], []), b.ints("l", [3], []), b.ints("d", [1], [])]);
      const lastDims = b.op("Shape", [x], { start: -2 });
      const tail = b.op("Slice", [lastDims, b.ints("s", [1]), b.ints("e", [9223372036854775807n])]);
      const size = b.op("Size", [x]);
      const k = b.op("Div", [size, b.op("ReduceProd", [tail], { keepdims: 0 })]);
      const one = b.op("Slice", [r, b.ints("s2", [1]), b.ints("e2", [2])]);
      const shape = b.op("Concat", [b.op("Unsqueeze", [k, b.ints("ax", [0])]), one, tail], {
        axis: 0,
      });
      return b.op("Reshape", [x, shape]);
    },
    { opset: 15 },
  );
  assert.deepEqual(attrsOf(g, "Reshape").shape, [2, 1, 12]);
  assert.deepEqual(outputShape(g), [2, 1, 12]);
});

test("constant float math on weights folds into one initializer", () => {
  const g = importBuilt((b) => {
    const x = b.input("x", [2, 3]);
    const wT = b.op(
      "Transpose",
      [
        b.weight(
          "w",
          [4, 3],
          Float32Array.from({ length: 12 }, (_, i) => i),
        ),
      ],
      { perm: [1, 0] },
    );
    const scaled = b.op("Mul", [wT, b.constant("s", { dims: [], values: [0.5] })]);
    return b.op("MatMul", [x, scaled]);
  });
  assert.deepEqual(opList(g), ["MatMul"]);
  const w = g.initializers.get(g.nodes[0]!.inputs[1]!)!;
  assert.deepEqual(w.shape, [3, 4]);
  assert.deepEqual(Array.from(w.data), [0, 1.5, 3, 4.5, 0.5, 2, 3.5, 5, 1, 2.5, 4, 5.5]);
});

test("a graph output that folds to a constant is exported as an initializer under its name", () => {
  const g = importBuilt((b) => b.node("Shape", [b.input("x", [2, 5])], ["shape_out"])[0]!);
  assert.deepEqual(g.outputs, ["shape_out"]);
  assert.deepEqual(Array.from(g.initializers.get("shape_out")!.data), [2, 5]);
});

test("tensor encodings decode to the same values (raw vs typed fields, fp16, double, int types, bool)", () => {
  const cases: [number, number[]][] = [
    [OnnxDataType.FLOAT, [1.5, -2, 3.25]],
    [OnnxDataType.DOUBLE, [0.1, -7, 1e10]],
    [OnnxDataType.FLOAT16, [1, -0.5, 65504]],
    [OnnxDataType.INT64, [-3, 0, 2 ** 40]],
    [OnnxDataType.INT32, [-2147483648, 7, 9]],
    [OnnxDataType.INT8, [-128, 5, 127]],
    [OnnxDataType.UINT8, [0, 200, 255]],
    [OnnxDataType.BOOL, [1, 0, 1]],
  ];
  for (const [dataType, values] of cases) {
    const vals = dataType === OnnxDataType.INT64 ? values.map(BigInt) : values;
    const raw = constFromTensorProto(
      tensorProto("t", { dims: [3], values: vals, dataType, encoding: "raw" }),
      "t",
    );
    const typed = constFromTensorProto(
      tensorProto("t", { dims: [3], values: vals, dataType, encoding: "typed" }),
      "t",
    );
    const expected = dataType === OnnxDataType.DOUBLE ? values.map(Math.fround) : values;
    assert.deepEqual(Array.from(raw.data), expected, `raw ${dataType}`);
    assert.deepEqual(Array.from(typed.data), expected, `typed ${dataType}`);
  }
  assert.throws(
    () => constFromTensorProto(tensorProto("t", { dims: [4], values: [1, 2, 3] }), "t"),
    /raw_data has 12 bytes, 4 × FLOAT needs 16/,
  );
});
