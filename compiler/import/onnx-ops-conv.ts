/** Converters for convolutions, batch normalization (folded into a preceding conv when possible) and pooling. */
import { GraphError, type Pads2d } from "../ir/graph.js";
import { formatShape } from "../ir/tensor.js";
import { type ConstTensor, floatConst } from "./onnx-const.js";
import { type Converter, type OnnxImportContext, type OnnxNodeView, outputUsed } from "./onnx-context.js";
import { autoPads } from "./onnx-shape-math.js";

function pair(v: readonly number[], what: string, where: string): readonly [number, number] {
  if (v.length !== 2)
    throw new GraphError(`${what} [${v}] must have 2 values (only 2-D is supported)`, where);
  return [v[0]!, v[1]!];
}

function pads2d(p: readonly number[]): Pads2d {
  return [p[0]!, p[1]!, p[2]!, p[3]!];
}

function need4d(ctx: OnnxImportContext, node: OnnxNodeView, i: number, what: string): readonly number[] {
  const s = ctx.shape(node, i);
  if (s.length !== 4) {
    throw new GraphError(
      `${what} must be 4-D (N,C,H,W) — only 2-D ${node.opType} is supported; got ${formatShape(s)}`,
      node.where,
    );
  }
  return s;
}

interface BatchNormParams {
  /** y = x · scale + shift, per channel. */
  scale: Float32Array;
  shift: Float32Array;
}

function batchNormParams(ctx: OnnxImportContext, bn: OnnxNodeView): BatchNormParams | undefined {
  const consts = [1, 2, 3, 4].map((i) => ctx.constInput(bn, i));
  if (consts.some((c) => !c)) return undefined;
  const [gamma, beta, mean, variance] = consts as [ConstTensor, ConstTensor, ConstTensor, ConstTensor];
  const eps = bn.attrs.float("epsilon", 1e-5);
  const c = gamma.data.length;
  if ([beta, mean, variance].some((t) => t.data.length !== c)) {
    throw new GraphError("BatchNormalization scale/B/mean/var lengths differ", bn.where);
  }
  const scale = new Float32Array(c);
  const shift = new Float32Array(c);
  for (let i = 0; i < c; i++) {
    const s = gamma.data[i]! / Math.sqrt(variance.data[i]! + eps);
    scale[i] = s;
    shift[i] = beta.data[i]! - mean.data[i]! * s;
  }
  return { scale, shift };
}

function checkInference(ctx: OnnxImportContext, bn: OnnxNodeView): void {
  if (bn.attrs.int("spatial", 1) === 0) {
    throw new GraphError(
      "BatchNormalization with spatial=0 (per-activation statistics) is not supported",
      bn.where,
    );
  }
  if (bn.attrs.int("training_mode", 0) === 1 || [1, 2, 3, 4].some((i) => outputUsed(bn, ctx, i))) {
    throw new GraphError("BatchNormalization in training mode is not supported", bn.where);
  }
}

/**
 * If the conv's only consumer is an inference BatchNormalization with constant statistics, returns
 * that BN (to be folded into the conv weights) and marks it consumed.
 */
function foldableBatchNorm(
  ctx: OnnxImportContext,
  conv: OnnxNodeView,
): { bn: OnnxNodeView; params: BatchNormParams } | undefined {
  const use = ctx.soleUse(conv.outputs[0]!);
  if (use?.slot !== 0 || ctx.nodes[use.node]!.op_type !== "BatchNormalization") return undefined;
  if (ctx.nodes[use.node]!.domain && ctx.nodes[use.node]!.domain !== "ai.onnx") return undefined;
  const bn = ctx.view(use.node);
  checkInference(ctx, bn);
  const params = batchNormParams(ctx, bn);
  return params ? { bn, params } : undefined;
}

/** Folds per-output-channel scale/shift into OIHW (conv) or IOHW-grouped (conv-transpose) weights. */
function foldIntoWeights(
  w: ConstTensor,
  bias: ConstTensor | undefined,
  p: BatchNormParams,
  outChannelOf: (flatIndex: number) => number,
): { w: ConstTensor; b: ConstTensor } {
  const wd = new Float32Array(w.data.length);
  for (let i = 0; i < wd.length; i++) wd[i] = w.data[i]! * p.scale[outChannelOf(i)]!;
  const c = p.scale.length;
  const bd = new Float32Array(c);
  for (let o = 0; o < c; o++) bd[o] = (bias ? bias.data[o]! : 0) * p.scale[o]! + p.shift[o]!;
  return { w: floatConst(w.shape, wd), b: floatConst([c], bd) };
}

/** Emits conv inputs, folding a following BatchNormalization when possible; returns the view to bind the output to. */
function withFoldedBatchNorm(
  ctx: OnnxImportContext,
  node: OnnxNodeView,
  outChannels: number,
  outChannelOf: (flatIndex: number) => number,
): { inputs: string[]; target: OnnxNodeView } {
  const x = ctx.runtime(node, 0);
  const w = ctx.constInput(node, 1);
  const bias = node.inputs[2] ? ctx.constInput(node, 2) : undefined;
  const biasOk = !node.inputs[2] || bias !== undefined;
  const fold = w && biasOk ? foldableBatchNorm(ctx, node) : undefined;
  if (fold && fold.params.scale.length === outChannels) {
    ctx.consumed.add(fold.bn.index);
    const f = foldIntoWeights(w!, bias, fold.params, outChannelOf);
    const base = node.inputs[1] || node.name;
    return {
      inputs: [
        x,
        ctx.constant(f.w, `${base}/bn_folded`),
        ctx.constant(f.b, `${node.inputs[2] || `${node.name}/bias`}/bn_folded`),
      ],
      target: {
        ...node,
        outputs: fold.bn.outputs,
        where: `${node.where} + ${fold.bn.where.replace(/^ONNX /, "")} (folded)`,
      },
    };
  }
  const inputs = [x, ctx.runtime(node, 1)];
  if (node.inputs[2]) inputs.push(ctx.runtime(node, 2));
  return { inputs, target: node };
}

const conv: Converter = (node, ctx) => {
  const xs = need4d(ctx, node, 0, "Conv input");
  const ws = need4d(ctx, node, 1, "Conv weight");
  const a = node.attrs;
  const kernel = pair(a.ints("kernel_shape", ws.slice(2)), "kernel_shape", node.where);
  if (kernel[0] !== ws[2] || kernel[1] !== ws[3]) {
    throw new GraphError(`kernel_shape [${kernel}] does not match weight ${formatShape(ws)}`, node.where);
  }
  const strides = pair(a.ints("strides", [1, 1]), "strides", node.where);
  const dilations = pair(a.ints("dilations", [1, 1]), "dilations", node.where);
  const pads = autoPads(
    a.string("auto_pad", "NOTSET"),
    xs.slice(2),
    kernel,
    strides,
    dilations,
    a.ints("pads"),
  );
  const o = ws[0]!;
  const per = ws[1]! * ws[2]! * ws[3]!;
  const { inputs, target } = withFoldedBatchNorm(ctx, node, o, (i) => Math.floor(i / per));
  const attrs = { strides, pads: pads2d(pads), dilations, group: a.int("group", 1) };
  ctx.emit(target, "Conv2d", inputs, attrs, { output: 0 });
};

const convTranspose: Converter = (node, ctx) => {
  const xs = need4d(ctx, node, 0, "ConvTranspose input");
  const ws = need4d(ctx, node, 1, "ConvTranspose weight");
  const a = node.attrs;
  const group = a.int("group", 1);
  const kernel = pair(a.ints("kernel_shape", ws.slice(2)), "kernel_shape", node.where);
  const strides = pair(a.ints("strides", [1, 1]), "strides", node.where);
  const dilations = pair(a.ints("dilations", [1, 1]), "dilations", node.where);
  if (dilations[0] !== 1 || dilations[1] !== 1) {
    throw new GraphError(`ConvTranspose dilations [${dilations}] are not supported (only 1)`, node.where);
  }
  let outPad = pair(a.ints("output_padding", [0, 0]), "output_padding", node.where);
  const autoPad = a.string("auto_pad", "NOTSET");
  const outputShape = a.ints("output_shape");
  let pads: number[];
  if (outputShape || autoPad === "SAME_UPPER" || autoPad === "SAME_LOWER") {
    const want = outputShape ? outputShape.slice(-2) : [xs[2]! * strides[0], xs[3]! * strides[1]];
    const begin: number[] = [];
    const end: number[] = [];
    for (let i = 0; i < 2; i++) {
      const full = strides[i]! * (xs[2 + i]! - 1) + outPad[i]! + kernel[i]!;
      let total = full - want[i]!;
      if (total < 0) {
        // A larger requested output is reached through extra output padding.
        outPad = (i === 0 ? [outPad[0] - total, outPad[1]] : [outPad[0], outPad[1] - total]) as [
          number,
          number,
        ];
        total = 0;
      }
      const small = Math.floor(total / 2);
      begin.push(autoPad === "SAME_UPPER" ? small : total - small);
      end.push(autoPad === "SAME_UPPER" ? total - small : small);
    }
    pads = [...begin, ...end];
  } else {
    pads = autoPads(autoPad, xs.slice(2), kernel, strides, dilations, a.ints("pads"));
  }
  const cin = ws[0]!;
  const og = ws[1]!;
  const perIn = og * ws[2]! * ws[3]!;
  const outChannelOf = (i: number) => {
    const ci = Math.floor(i / perIn);
    const j = Math.floor((i % perIn) / (ws[2]! * ws[3]!));
    return Math.floor(ci / (cin / group)) * og + j;
  };
  const { inputs, target } = withFoldedBatchNorm(ctx, node, og * group, outChannelOf);
  ctx.emit(
    target,
    "ConvTranspose2d",
    inputs,
    { strides, pads: pads2d(pads), outputPadding: outPad, group },
    { output: 0 },
  );
};

/** A BatchNormalization that was not folded: y = x · scale + shift with per-channel constants. */
const batchNormalization: Converter = (node, ctx) => {
  checkInference(ctx, node);
  const x = ctx.runtime(node, 0);
  const shape = ctx.builder.info(x).shape;
  const params = batchNormParams(ctx, node);
  if (!params) throw new GraphError("BatchNormalization statistics must be constants", node.where);
  if (shape.length < 2 || shape[1] !== params.scale.length) {
    throw new GraphError(
      `BatchNormalization of ${params.scale.length} channels does not fit ${formatShape(shape)}`,
      node.where,
    );
  }
  const cshape = [shape[1]!, ...new Array<number>(shape.length - 2).fill(1)];
  const s = ctx.constant(floatConst(cshape, params.scale), `${node.name}/scale`);
  const t = ctx.constant(floatConst(cshape, params.shift), `${node.name}/shift`);
  const scaled = ctx.emit(node, "Mul", [x, s], {}, { suffix: "scale" });
  ctx.emit(node, "Add", [scaled, t], {}, { output: 0 });
};

function pool(kind: "MaxPool" | "AvgPool"): Converter {
  return (node, ctx) => {
    const xs = need4d(ctx, node, 0, `${node.opType} input`);
    if (kind === "MaxPool" && outputUsed(node, ctx, 1))
      throw new GraphError("MaxPool Indices output is not supported", node.where);
    const a = node.attrs;
    const kernel = pair(a.ints("kernel_shape", []), "kernel_shape", node.where);
    const strides = pair(a.ints("strides", [1, 1]), "strides", node.where);
    const dilations = a.ints("dilations", [1, 1]);
    if (dilations.some((d) => d !== 1))
      throw new GraphError(`pooling dilations [${dilations}] are not supported`, node.where);
    const pads = autoPads(
      a.string("auto_pad", "NOTSET"),
      xs.slice(2),
      kernel,
      strides,
      [1, 1],
      a.ints("pads"),
    );
    const countIncludePad = a.int("count_include_pad", 0) === 1;
    if (a.int("ceil_mode", 0) === 1) {
      // Ceil mode = floor mode with extra end padding, as long as padding is not counted in averages.
      for (let i = 0; i < 2; i++) {
        const span = xs[2 + i]! + pads[i]! + pads[i + 2]!;
        let out = Math.ceil((span - kernel[i]!) / strides[i]!) + 1;
        if ((out - 1) * strides[i]! >= xs[2 + i]! + pads[i]!) out--;
        const extra = (out - 1) * strides[i]! + kernel[i]! - span;
        if (extra > 0) {
          if (kind === "AvgPool" && countIncludePad) {
            throw new GraphError(
              "AveragePool with ceil_mode and count_include_pad is not supported",
              node.where,
            );
          }
          pads[i + 2]! += extra;
        }
      }
    }
    const x = ctx.runtime(node, 0);
    if (kind === "MaxPool")
      ctx.emit(node, "MaxPool", [x], { kernel, strides, pads: pads2d(pads) }, { output: 0 });
    else
      ctx.emit(node, "AvgPool", [x], { kernel, strides, pads: pads2d(pads), countIncludePad }, { output: 0 });
  };
}

function globalPool(op: "ReduceMean" | "ReduceMax"): Converter {
  return (node, ctx) => {
    const x = ctx.runtime(node, 0);
    const rank = ctx.builder.info(x).shape.length;
    if (rank < 3) throw new GraphError(`${node.opType} needs a spatial input`, node.where);
    const axes = Array.from({ length: rank - 2 }, (_, i) => i + 2);
    ctx.emit(node, op, [x], { axes, keepDims: true }, { output: 0 });
  };
}

export const convConverters: Readonly<Record<string, Converter>> = {
  Conv: conv,
  ConvTranspose: convTranspose,
  BatchNormalization: batchNormalization,
  MaxPool: pool("MaxPool"),
  AveragePool: pool("AvgPool"),
  GlobalAveragePool: globalPool("ReduceMean"),
  GlobalMaxPool: globalPool("ReduceMax"),
};
