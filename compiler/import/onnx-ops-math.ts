/** Converters for elementwise math, activations, matmul/Gemm, normalization and reductions. */
import { GraphError } from "../ir/graph.js";
import { broadcastShapes, formatShape, sizeOf } from "../ir/tensor.js";
import { type ConstTensor, constInts, constScalar, floatConst, irDTypeOf, makeConst } from "./onnx-const.js";
import {
  type Converter,
  type OnnxImportContext,
  type OnnxNodeView,
  type OnnxValue,
  outputUsed,
} from "./onnx-context.js";
import { transposeConst } from "./onnx-fold.js";
import { OnnxDataType } from "./onnx-schema.js";
import { normAxes, normAxis } from "./onnx-shape-math.js";

type UnaryOp = "Relu" | "Sigmoid" | "Tanh" | "Erf" | "Sqrt" | "Exp" | "Log" | "Neg" | "Abs";
type BinaryOp = "Add" | "Sub" | "Mul" | "Div" | "Pow" | "Maximum" | "Minimum";

function unary(op: UnaryOp): Converter {
  return (node, ctx) => {
    ctx.emit(node, op, [ctx.runtime(node, 0)], {}, { output: 0 });
  };
}

/** A constant operand next to a float activation must be float too (Pow's int exponent, for one). */
function operand(
  ctx: OnnxImportContext,
  node: OnnxNodeView,
  i: number,
  other: OnnxValue | undefined,
): string {
  const v = ctx.input(node, i);
  if (!v) throw new GraphError(`input ${i} is missing`, node.where);
  if (
    v.kind === "const" &&
    v.value.kind !== "float" &&
    other &&
    ctx.dataTypeOfValue(other) === OnnxDataType.FLOAT
  ) {
    return ctx.constant(floatConst(v.value.shape, v.value.data), `${node.name}/in${i}`);
  }
  return ctx.runtime(node, i);
}

function binary(op: BinaryOp): Converter {
  return (node, ctx) => {
    const a = operand(ctx, node, 0, ctx.input(node, 1));
    const b = operand(ctx, node, 1, ctx.input(node, 0));
    ctx.emit(node, op, [a, b], {}, { output: 0 });
  };
}

/** Variadic Max/Min/Sum as a chain of binary nodes. */
function variadic(op: "Maximum" | "Minimum" | "Add"): Converter {
  return (node, ctx) => {
    const names = node.inputs.map((_, i) => operand(ctx, node, i, ctx.input(node, 0)));
    if (names.length === 1) {
      ctx.alias(node, 0, ctx.input(node, 0)!);
      return;
    }
    let acc = names[0]!;
    for (let i = 1; i < names.length; i++) {
      const last = i === names.length - 1;
      acc = ctx.emit(node, op, [acc, names[i]!], {}, last ? { output: 0 } : { suffix: `step${i}` });
    }
  };
}

const reciprocal: Converter = (node, ctx) => {
  const one = ctx.constant(floatConst([], [1]), `${node.name}/one`);
  ctx.emit(node, "Div", [one, ctx.runtime(node, 0)], {}, { output: 0 });
};

const leakyRelu: Converter = (node, ctx) => {
  ctx.emit(
    node,
    "LeakyRelu",
    [ctx.runtime(node, 0)],
    { alpha: node.attrs.float("alpha", 0.01) },
    { output: 0 },
  );
};

const gelu: Converter = (node, ctx) => {
  const approximate = node.attrs.string("approximate", "none");
  if (approximate !== "none" && approximate !== "tanh") {
    throw new GraphError(`Gelu approximate "${approximate}" is not supported`, node.where);
  }
  ctx.emit(node, "Gelu", [ctx.runtime(node, 0)], { approximate }, { output: 0 });
};

function boundOf(ctx: OnnxImportContext, node: OnnxNodeView, i: number, what: string): number | undefined {
  if (!node.inputs[i]) return undefined;
  return constScalar(ctx.requireConst(node, i, what), `Clip ${what}`);
}

const clip: Converter = (node, ctx) => {
  const float32Max = 3.4028234663852886e38;
  const min =
    ctx.opset < 11 ? node.attrs.float("min", -float32Max) : (boundOf(ctx, node, 1, "min") ?? -Infinity);
  const max =
    ctx.opset < 11 ? node.attrs.float("max", float32Max) : (boundOf(ctx, node, 2, "max") ?? Infinity);
  if (min === 0 && max === Infinity) {
    ctx.emit(node, "Relu", [ctx.runtime(node, 0)], {}, { output: 0 });
    return;
  }
  ctx.emit(node, "Clip", [ctx.runtime(node, 0)], { min, max }, { output: 0 });
};

const hardSigmoid: Converter = (node, ctx) => {
  const alpha = node.attrs.float("alpha", 0.2);
  const beta = node.attrs.float("beta", 0.5);
  const scaled = ctx.emit(
    node,
    "Mul",
    [ctx.runtime(node, 0), ctx.constant(floatConst([], [alpha]), `${node.name}/alpha`)],
    {},
    { suffix: "scale" },
  );
  const shifted = ctx.emit(
    node,
    "Add",
    [scaled, ctx.constant(floatConst([], [beta]), `${node.name}/beta`)],
    {},
    { suffix: "shift" },
  );
  ctx.emit(node, "Clip", [shifted], { min: 0, max: 1 }, { output: 0 });
};

/** Reshape helper for converters: skips the node when the shape does not change. */
export function reshapeValue(
  ctx: OnnxImportContext,
  node: OnnxNodeView,
  input: string,
  shape: readonly number[],
  target: { output: number } | { suffix: string },
): string {
  const from = ctx.builder.info(input).shape;
  if (from.length === shape.length && from.every((d, i) => d === shape[i])) {
    if ("output" in target) ctx.alias(node, target.output, { kind: "runtime", name: input });
    return input;
  }
  return ctx.emit(node, "Reshape", [input], { shape: [...shape] }, target);
}

const matmul: Converter = (node, ctx) => {
  let a = ctx.runtime(node, 0);
  let b = ctx.runtime(node, 1);
  const as = ctx.builder.info(a).shape;
  const bs = ctx.builder.info(b).shape;
  if (as.length >= 2 && bs.length >= 2) {
    ctx.emit(node, "MatMul", [a, b], {}, { output: 0 });
    return;
  }
  // numpy semantics for 1-D operands: promote, multiply, drop the promoted dim.
  if (as.length === 1) a = reshapeValue(ctx, node, a, [1, as[0]!], { suffix: "a2d" });
  if (bs.length === 1) b = reshapeValue(ctx, node, b, [bs[0]!, 1], { suffix: "b2d" });
  const prod = ctx.emit(node, "MatMul", [a, b], {}, { suffix: "matmul" });
  const ps = [...ctx.builder.info(prod).shape];
  if (bs.length === 1) ps.splice(ps.length - 1, 1);
  if (as.length === 1) ps.splice(ps.length - (bs.length === 1 ? 1 : 2), 1);
  reshapeValue(ctx, node, prod, ps, { output: 0 });
};

function scaleConst(c: ConstTensor, s: number): ConstTensor {
  return floatConst(
    c.shape,
    Array.from(c.data, (v) => v * s),
  );
}

/** Gemm → MatMul (+ constant-folded transposes and scales) + Add. */
const gemm: Converter = (node, ctx) => {
  const alpha = node.attrs.float("alpha", 1);
  const beta = node.attrs.float("beta", 1);
  const transA = node.attrs.int("transA", 0) === 1;
  const transB = node.attrs.int("transB", 0) === 1;
  const av = ctx.input(node, 0)!;
  const bv = ctx.input(node, 1);
  if (!bv) throw new GraphError("Gemm needs input B", node.where);
  for (const [v, n] of [
    [av, "A"],
    [bv, "B"],
  ] as const) {
    if (ctx.shapeOfValue(v).length !== 2) {
      throw new GraphError(
        `Gemm input ${n} must be 2-D, got ${formatShape(ctx.shapeOfValue(v))}`,
        node.where,
      );
    }
  }
  let a = ctx.irName(av, node.inputs[0]!);
  if (transA) a = ctx.emit(node, "Transpose", [a], { perm: [1, 0] }, { suffix: "transA" });
  let b: string;
  let alphaApplied = alpha === 1;
  if (bv.kind === "const") {
    let w = transB ? transposeConst(bv.value, [1, 0]) : bv.value;
    if (!alphaApplied) {
      w = scaleConst(w, alpha);
      alphaApplied = true;
    }
    b = w === bv.value ? ctx.irName(bv, node.inputs[1]!) : ctx.constant(w, `${node.inputs[1]}/gemm`);
  } else {
    b = ctx.irName(bv, node.inputs[1]!);
    if (transB) b = ctx.emit(node, "Transpose", [b], { perm: [1, 0] }, { suffix: "transB" });
  }
  const cv = ctx.input(node, 2);
  const hasBias = cv !== undefined && beta !== 0;
  let y = ctx.emit(
    node,
    "MatMul",
    [a, b],
    {},
    !hasBias && alphaApplied ? { output: 0 } : { suffix: "matmul" },
  );
  if (!alphaApplied) {
    const s = ctx.constant(floatConst([], [alpha]), `${node.name}/alpha`);
    y = ctx.emit(node, "Mul", [y, s], {}, hasBias ? { suffix: "alpha" } : { output: 0 });
  }
  if (!hasBias) return;
  let c: string;
  if (cv.kind === "const")
    c = ctx.constant(beta === 1 ? cv.value : scaleConst(cv.value, beta), `${node.inputs[2]}`);
  else {
    c = cv.name;
    if (beta !== 1)
      c = ctx.emit(
        node,
        "Mul",
        [c, ctx.constant(floatConst([], [beta]), `${node.name}/beta`)],
        {},
        { suffix: "beta" },
      );
  }
  ctx.emit(node, "Add", [y, c], {}, { output: 0 });
};

/** Softmax / LogSoftmax; before opset 13 the input is coerced to 2-D at `axis` (default 1). */
function softmax(log: boolean): Converter {
  return (node, ctx) => {
    const x = ctx.runtime(node, 0);
    const shape = ctx.builder.info(x).shape;
    const rank = shape.length;
    const finish = (input: string, axis: number, last: boolean) => {
      const sm = ctx.emit(
        node,
        "Softmax",
        [input],
        { axis },
        last && !log ? { output: 0 } : { suffix: "softmax" },
      );
      return log ? ctx.emit(node, "Log", [sm], {}, last ? { output: 0 } : { suffix: "log" }) : sm;
    };
    if (ctx.opset >= 13) {
      finish(x, normAxis(node.attrs.int("axis", -1), rank, "Softmax axis"), true);
      return;
    }
    const axis = rank === 0 ? 0 : normAxis(node.attrs.int("axis", 1), rank, "Softmax axis");
    // Coercing to [prod(before), prod(from axis)] equals a plain softmax when axis is the last dim.
    if (axis === rank - 1) {
      finish(x, axis, true);
      return;
    }
    const flat = reshapeValue(ctx, node, x, [sizeOf(shape.slice(0, axis)), sizeOf(shape.slice(axis))], {
      suffix: "as2d",
    });
    const sm = finish(flat, 1, false);
    reshapeValue(ctx, node, sm, shape, { output: 0 });
  };
}

const layerNormalization: Converter = (node, ctx) => {
  if (outputUsed(node, ctx, 1) || outputUsed(node, ctx, 2)) {
    throw new GraphError("LayerNormalization Mean/InvStdDev outputs are not supported", node.where);
  }
  const x = ctx.runtime(node, 0);
  const rank = ctx.builder.info(x).shape.length;
  const axis = normAxis(node.attrs.int("axis", -1), rank, "LayerNormalization axis");
  const inputs = [x, ctx.runtime(node, 1)];
  if (node.inputs[2]) inputs.push(ctx.runtime(node, 2));
  ctx.emit(node, "LayerNorm", inputs, { axis, epsilon: node.attrs.float("epsilon", 1e-5) }, { output: 0 });
};

/** Axes of a Reduce* node: attribute before `inputSince`, second input from then on. */
function reduceAxes(ctx: OnnxImportContext, node: OnnxNodeView, inputSince: number): number[] | undefined {
  if (ctx.opset < inputSince) return node.attrs.ints("axes");
  return ctx.intsInput(node, 1, "axes");
}

function reduce(op: "ReduceMean" | "ReduceSum" | "ReduceMax", inputSince: number): Converter {
  return (node, ctx) => {
    const x = ctx.runtime(node, 0);
    const rank = ctx.builder.info(x).shape.length;
    const given = reduceAxes(ctx, node, inputSince) ?? [];
    const keepDims = node.attrs.int("keepdims", 1) === 1;
    if (given.length === 0 && node.attrs.int("noop_with_empty_axes", 0) === 1) {
      ctx.alias(node, 0, { kind: "runtime", name: x });
      return;
    }
    const axes = given.length === 0 ? Array.from({ length: rank }, (_, i) => i) : normAxes(given, rank);
    ctx.emit(node, op, [x], { axes, keepDims }, { output: 0 });
  };
}

const cast: Converter = (node, ctx) => {
  const to = node.attrs.int("to", OnnxDataType.FLOAT);
  const x = ctx.runtime(node, 0);
  const dtype = irDTypeOf(to, `Cast target of ${node.where}`);
  if (ctx.builder.info(x).dtype === dtype) {
    ctx.alias(node, 0, { kind: "runtime", name: x });
    return;
  }
  ctx.emit(node, "Cast", [x], { to: dtype }, { output: 0 });
};

const identity: Converter = (node, ctx) => {
  if (node.opType === "Dropout" && outputUsed(node, ctx, 1)) {
    throw new GraphError("the Dropout mask output is not supported", node.where);
  }
  ctx.alias(node, 0, ctx.input(node, 0)!);
};

/** Where with a constant all-true or all-false condition picks one side; anything else needs a select op. */
const where: Converter = (node, ctx) => {
  const cond = ctx.requireConst(node, 0, "Where condition");
  const allTrue = cond.data.every((v) => v !== 0);
  const allFalse = cond.data.every((v) => v === 0);
  if (!allTrue && !allFalse) {
    throw new GraphError("Where with a mixed condition on runtime data is not supported", node.where);
  }
  const chosen = ctx.input(node, allTrue ? 1 : 2)!;
  const other = ctx.input(node, allTrue ? 2 : 1)!;
  const out = broadcastShapes(broadcastShapes(cond.shape, ctx.shapeOfValue(chosen)), ctx.shapeOfValue(other));
  if (sizeOf(out) !== sizeOf(ctx.shapeOfValue(chosen))) {
    throw new GraphError("Where that broadcasts its chosen input is not supported", node.where);
  }
  if (chosen.kind === "const") ctx.alias(node, 0, { kind: "const", value: { ...chosen.value, shape: out } });
  else reshapeValue(ctx, node, chosen.name, out, { output: 0 });
};

/** Expand of runtime data: multiply by ones shaped like the broadcast dims only. */
const expand: Converter = (node, ctx) => {
  const x = ctx.runtime(node, 0);
  const xs = ctx.builder.info(x).shape;
  const target = constInts(ctx.requireConst(node, 1, "Expand shape"), "Expand shape");
  const rank = Math.max(xs.length, target.length);
  const out: number[] = [];
  const ones: number[] = [];
  for (let i = 0; i < rank; i++) {
    const a = xs[xs.length - rank + i] ?? 1;
    const b = target[target.length - rank + i] ?? 1;
    if (a !== b && a !== 1 && b !== 1)
      throw new GraphError(`Expand of ${formatShape(xs)} to [${target}] does not broadcast`, node.where);
    out.push(Math.max(a, b));
    ones.push(a === 1 ? Math.max(a, b) : 1);
  }
  if (sizeOf(out) === sizeOf(xs)) {
    reshapeValue(ctx, node, x, out, { output: 0 });
    return;
  }
  const kind = ctx.builder.info(x).dtype === "float32" ? "float" : "int";
  const onesName = ctx.constant(
    makeConst(kind, ones, new Array<number>(sizeOf(ones)).fill(1)),
    `${node.name}/ones`,
  );
  ctx.emit(node, "Mul", [x, onesName], {}, { output: 0 });
};

export const mathConverters: Readonly<Record<string, Converter>> = {
  Add: binary("Add"),
  Sub: binary("Sub"),
  Mul: binary("Mul"),
  Div: binary("Div"),
  Pow: binary("Pow"),
  Max: variadic("Maximum"),
  Min: variadic("Minimum"),
  Sum: variadic("Add"),
  Reciprocal: reciprocal,
  Relu: unary("Relu"),
  Sigmoid: unary("Sigmoid"),
  Tanh: unary("Tanh"),
  Erf: unary("Erf"),
  Sqrt: unary("Sqrt"),
  Exp: unary("Exp"),
  Log: unary("Log"),
  Neg: unary("Neg"),
  Abs: unary("Abs"),
  LeakyRelu: leakyRelu,
  Gelu: gelu,
  Clip: clip,
  HardSigmoid: hardSigmoid,
  MatMul: matmul,
  Gemm: gemm,
  Softmax: softmax(false),
  LogSoftmax: softmax(true),
  LayerNormalization: layerNormalization,
  ReduceMean: reduce("ReduceMean", 18),
  ReduceSum: reduce("ReduceSum", 13),
  ReduceMax: reduce("ReduceMax", 18),
  Cast: cast,
  Identity: identity,
  Dropout: identity,
  Where: where,
  Expand: expand,
};
