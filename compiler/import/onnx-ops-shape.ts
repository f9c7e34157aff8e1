/** Converters for data-movement ops on runtime tensors: their shape arguments must fold to constants. */
import { GraphError } from "../ir/graph.js";
import { formatShape } from "../ir/tensor.js";
import { constInts, constScalar } from "./onnx-const.js";
import type { Converter, OnnxImportContext, OnnxNodeView } from "./onnx-context.js";
import { reshapeValue } from "./onnx-ops-math.js";
import {
  flattenTarget,
  gatherIndices,
  normAxes,
  normAxis,
  reshapeTarget,
  sliceShape,
  sliceSpec,
  splitSizes,
  squeezeTarget,
  unsqueezeTarget,
} from "./onnx-shape-math.js";

const reshape: Converter = (node, ctx) => {
  const x = ctx.runtime(node, 0);
  const spec = ctx.opset < 5 ? node.attrs.ints("shape", []) : ctx.intsInput(node, 1, "Reshape shape");
  if (!spec) throw new GraphError("Reshape needs a shape input", node.where);
  const target = reshapeTarget(ctx.builder.info(x).shape, spec, node.attrs.int("allowzero", 0) === 1);
  reshapeValue(ctx, node, x, target, { output: 0 });
};

const flatten: Converter = (node, ctx) => {
  const x = ctx.runtime(node, 0);
  reshapeValue(ctx, node, x, flattenTarget(ctx.builder.info(x).shape, node.attrs.int("axis", 1)), {
    output: 0,
  });
};

function axesOf(ctx: OnnxImportContext, node: OnnxNodeView): number[] | undefined {
  return ctx.opset < 13 ? node.attrs.ints("axes") : ctx.intsInput(node, 1, "axes");
}

const squeeze: Converter = (node, ctx) => {
  const x = ctx.runtime(node, 0);
  reshapeValue(ctx, node, x, squeezeTarget(ctx.builder.info(x).shape, axesOf(ctx, node)), { output: 0 });
};

const unsqueeze: Converter = (node, ctx) => {
  const x = ctx.runtime(node, 0);
  const axes = axesOf(ctx, node);
  if (!axes) throw new GraphError("Unsqueeze needs axes", node.where);
  reshapeValue(ctx, node, x, unsqueezeTarget(ctx.builder.info(x).shape, axes), { output: 0 });
};

const transpose: Converter = (node, ctx) => {
  const x = ctx.runtime(node, 0);
  const rank = ctx.builder.info(x).shape.length;
  const perm = node.attrs.ints(
    "perm",
    Array.from({ length: rank }, (_, i) => rank - 1 - i),
  );
  if (perm.every((p, i) => p === i)) {
    ctx.alias(node, 0, { kind: "runtime", name: x });
    return;
  }
  ctx.emit(node, "Transpose", [x], { perm }, { output: 0 });
};

const concat: Converter = (node, ctx) => {
  const names = node.inputs.map((_, i) => ctx.runtime(node, i));
  const rank = ctx.builder.info(names[0]!).shape.length;
  const axis = normAxis(node.attrs.int("axis", ctx.opset < 4 ? 1 : 0), rank, "Concat axis");
  // Zero-length pieces (empty constants from shape math) contribute nothing.
  const live = names.filter((n) => ctx.builder.info(n).shape[axis] !== 0);
  if (live.length === 1) {
    ctx.alias(node, 0, { kind: "runtime", name: live[0]! });
    return;
  }
  ctx.emit(node, "Concat", live, { axis }, { output: 0 });
};

const split: Converter = (node, ctx) => {
  const x = ctx.runtime(node, 0);
  const shape = ctx.builder.info(x).shape;
  const axis = normAxis(node.attrs.int("axis", 0), shape.length, "Split axis");
  const given = ctx.opset < 13 ? node.attrs.ints("split") : ctx.intsInput(node, 1, "Split sizes");
  const count = node.attrs.int("num_outputs", node.outputs.length);
  if (count !== node.outputs.length) {
    throw new GraphError(
      `Split num_outputs ${count} differs from its ${node.outputs.length} outputs`,
      node.where,
    );
  }
  const sizes = splitSizes(shape[axis]!, given, count, ctx.opset >= 18);
  ctx.emitAll(node, "Split", [x], { axis, sizes });
};

const slice: Converter = (node, ctx) => {
  const x = ctx.runtime(node, 0);
  const shape = ctx.builder.info(x).shape;
  const spec =
    ctx.opset < 10
      ? sliceSpec(
          shape,
          node.attrs.ints("starts", []),
          node.attrs.ints("ends", []),
          node.attrs.ints("axes"),
          undefined,
        )
      : sliceSpec(
          shape,
          ctx.intsInput(node, 1, "Slice starts") ?? [],
          ctx.intsInput(node, 2, "Slice ends") ?? [],
          ctx.intsInput(node, 3, "Slice axes"),
          ctx.intsInput(node, 4, "Slice steps"),
        );
  if (sliceShape(spec).every((d, i) => d === shape[i]) && spec.steps.every((s) => s === 1)) {
    ctx.alias(node, 0, { kind: "runtime", name: x });
    return;
  }
  ctx.emit(node, "Slice", [x], spec, { output: 0 });
};

/** Pad; negative pads crop, which the IR expresses as a Slice after the Pad. */
const pad: Converter = (node, ctx) => {
  const x = ctx.runtime(node, 0);
  const shape = ctx.builder.info(x).shape;
  const rank = shape.length;
  const mode = node.attrs.string("mode", "constant");
  if (mode !== "constant" && mode !== "reflect" && mode !== "edge") {
    throw new GraphError(`Pad mode "${mode}" is not supported`, node.where);
  }
  let pads: number[];
  let value: number;
  if (ctx.opset < 11) {
    pads = node.attrs.ints(ctx.opset < 2 ? "paddings" : "pads", []);
    value = node.attrs.float("value", 0);
  } else {
    const given = ctx.intsInput(node, 1, "Pad pads") ?? [];
    value = node.inputs[2]
      ? constScalar(ctx.requireConst(node, 2, "Pad constant_value"), "Pad constant_value")
      : 0;
    const axes = ctx.intsInput(node, 3, "Pad axes");
    if (axes) {
      const ax = normAxes(axes, rank, "Pad axes");
      if (given.length !== 2 * ax.length)
        throw new GraphError(`Pad has ${given.length} pads for ${ax.length} axes`, node.where);
      pads = new Array<number>(2 * rank).fill(0);
      ax.forEach((a, i) => {
        pads[a] = given[i]!;
        pads[a + rank] = given[i + ax.length]!;
      });
    } else pads = given;
  }
  if (pads.length !== 2 * rank) {
    throw new GraphError(`Pad of a rank-${rank} tensor needs ${2 * rank} pads, got [${pads}]`, node.where);
  }
  const grow = pads.map((p) => Math.max(p, 0));
  const crop = pads.some((p) => p < 0);
  if (grow.every((p) => p === 0) && !crop) {
    ctx.alias(node, 0, { kind: "runtime", name: x });
    return;
  }
  let y = x;
  if (grow.some((p) => p > 0))
    y = ctx.emit(node, "Pad", [x], { pads: grow, mode, value }, crop ? { suffix: "pad" } : { output: 0 });
  if (!crop) return;
  const padded = ctx.builder.info(y).shape;
  const starts = padded.map((_, i) => Math.max(-pads[i]!, 0));
  const ends = padded.map((d, i) => d - Math.max(-pads[i + rank]!, 0));
  if (ends.some((e, i) => e <= starts[i]!))
    throw new GraphError(`Pad [${pads}] crops ${formatShape(shape)} to nothing`, node.where);
  ctx.emit(node, "Slice", [y], { starts, ends, steps: padded.map(() => 1) }, { output: 0 });
};

/** Gather of runtime data at constant indices: a Slice when the indices step evenly. */
const gather: Converter = (node, ctx) => {
  const x = ctx.runtime(node, 0);
  const shape = ctx.builder.info(x).shape;
  const axis = normAxis(node.attrs.int("axis", 0), shape.length, "Gather axis");
  const indicesConst = ctx.constInput(node, 1);
  if (!indicesConst) throw new GraphError("Gather with runtime indices is not supported", node.where);
  if (indicesConst.shape.length > 1)
    throw new GraphError("Gather with multi-dimensional indices is not supported", node.where);
  const dim = shape[axis]!;
  const idx = gatherIndices(constInts(indicesConst, "Gather indices"), dim);
  if (idx.length === 0) throw new GraphError("Gather with no indices is not supported", node.where);
  const step = idx.length > 1 ? idx[1]! - idx[0]! : 1;
  if (step === 0 || idx.some((j, k) => j !== idx[0]! + k * step)) {
    throw new GraphError(
      `Gather indices [${idx}] are not evenly spaced; only slices are supported`,
      node.where,
    );
  }
  const starts = shape.map(() => 0);
  const ends = [...shape];
  const steps = shape.map(() => 1);
  starts[axis] = idx[0]!;
  ends[axis] = idx[0]! + idx.length * step;
  if (ends[axis]! < 0) ends[axis] = -1;
  steps[axis] = step;
  const scalar = indicesConst.shape.length === 0;
  const sliced = ctx.emit(
    node,
    "Slice",
    [x],
    { starts, ends, steps },
    scalar ? { suffix: "slice" } : { output: 0 },
  );
  // A scalar index drops the gathered axis.
  if (scalar)
    reshapeValue(
      ctx,
      node,
      sliced,
      shape.filter((_, i) => i !== axis),
      { output: 0 },
    );
};

/** DepthToSpace / SpaceToDepth as Reshape → Transpose → Reshape. */
function depthSpace(toSpace: boolean): Converter {
  return (node, ctx) => {
    const x = ctx.runtime(node, 0);
    const shape = ctx.builder.info(x).shape;
    if (shape.length !== 4)
      throw new GraphError(`${node.opType} expects NCHW input, got ${formatShape(shape)}`, node.where);
    const [n, c, h, w] = shape as [number, number, number, number];
    const b = node.attrs.int("blocksize", 0);
    if (b < 1) throw new GraphError(`${node.opType} needs blocksize ≥ 1`, node.where);
    let inner: number[];
    let perm: number[];
    let out: number[];
    if (toSpace) {
      if (c % (b * b) !== 0)
        throw new GraphError(`DepthToSpace channels ${c} not divisible by ${b * b}`, node.where);
      const crd = node.attrs.string("mode", "DCR") === "CRD";
      inner = crd ? [n, c / (b * b), b, b, h, w] : [n, b, b, c / (b * b), h, w];
      perm = crd ? [0, 1, 4, 2, 5, 3] : [0, 3, 4, 1, 5, 2];
      out = [n, c / (b * b), h * b, w * b];
    } else {
      if (h % b !== 0 || w % b !== 0)
        throw new GraphError(`SpaceToDepth size ${h}×${w} not divisible by ${b}`, node.where);
      inner = [n, c, h / b, b, w / b, b];
      perm = [0, 3, 5, 1, 2, 4];
      out = [n, c * b * b, h / b, w / b];
    }
    const r1 = ctx.emit(node, "Reshape", [x], { shape: inner }, { suffix: "split" });
    const t = ctx.emit(node, "Transpose", [r1], { perm }, { suffix: "move" });
    ctx.emit(node, "Reshape", [t], { shape: out }, { output: 0 });
  };
}

export const shapeConverters: Readonly<Record<string, Converter>> = {
  Reshape: reshape,
  Flatten: flatten,
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  Transpose: transpose,
  Concat: concat,
  Split: split,
  Slice: slice,
  Pad: pad,
  Gather: gather,
  DepthToSpace: depthSpace(true),
  SpaceToDepth: depthSpace(false),
};
