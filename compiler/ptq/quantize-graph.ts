/**
 * Post-training quantization of a float graph into a QGraph (docs/arithmetic.md).
 *
 * Layers are processed in order over the whole calibration set at once. Two copies of the network's
 * activations advance together: the float path (the target) and the quantized path (integer codes
 * produced by the golden executor from the layers quantized so far). Each convolution therefore sees
 * the inputs it will really get, which is what activation-loss compensation and second-order
 * rounding need (QuartDepth §3, "sequential").
 */
import { defaultGemmBackend, runNode } from "../exec/float.js";
import { conv2dGeometry } from "../exec/kernels/conv-params.js";
import { consumersOf, describeNode, type Graph, GraphError, type Node } from "../ir/graph.js";
import { activationsOnConvs, foldZeroPads, removeIdentities } from "../ir/passes.js";
import type { Tensor } from "../ir/tensor.js";
import { channelMajorTokens, foldLayerNormAffine } from "../ir/tokens.js";
import type { CodebookMethod } from "./codebook.js";
import { quantizeConvWeights } from "./conv-weights.js";
import { lin8Encoding, lut4Encoding, outputStageFor, sampleChannels } from "./encodings.js";
import { outputFisher } from "./fisher.js";
import {
  decode,
  dequantize as dequantizeValue,
  quantizeInput,
  runConcat,
  runConv,
  runResize,
  zeroCodeOffsets,
} from "./golden.js";
import { runAdd, runAttention, runNorm } from "./golden-tokens.js";
import {
  type Activation,
  type Codes,
  type Encoding,
  LUT_LEVELS,
  type OutputStage,
  type QConv,
  type QGraph,
  type QNode,
  type QValue,
  THRESHOLDS,
} from "./qgraph.js";
import {
  activationEncoding,
  geluStageAndEncoding,
  qkvEncoding,
  quantizeAdd,
  quantizeAttention,
  quantizeNorm,
  type TokenQuantContext,
} from "./quantize-tokens.js";
import { type ConvStats, ConvStatsAccumulator, prng } from "./stats.js";
import type { WeightBits } from "./weights.js";

export type Recipe = "w8a8" | "w4a8" | "w4a4";

export interface MethodConfig {
  /** Activation grid: lut4 levels (4-bit) or per-channel lin8 range (8-bit). */
  codebook: CodebookMethod;
  weightClip: "minmax" | "mse";
  rounding: "rtn" | "gptq" | "adaround" | "gptq+kfac";
  /** Activation-loss compensation (closed-form ridge update of weights and bias). */
  compensation: boolean;
  /** Share of each channel's range carried by the activation table (1) rather than the weights (0). */
  migration: number;
}

/** Named methods: the baselines and QuartDepth (composable through MethodConfig). */
export const METHODS: Record<string, MethodConfig> = {
  rtn: { codebook: "minmax", weightClip: "minmax", rounding: "rtn", compensation: false, migration: 0 },
  percentile: {
    codebook: "percentile",
    weightClip: "minmax",
    rounding: "rtn",
    compensation: false,
    migration: 0,
  },
  mse: { codebook: "mse", weightClip: "mse", rounding: "rtn", compensation: false, migration: 0 },
  smoothquant: { codebook: "mse", weightClip: "mse", rounding: "rtn", compensation: false, migration: 0.5 },
  gptq: { codebook: "percentile", weightClip: "mse", rounding: "gptq", compensation: false, migration: 0 },
  adaround: {
    codebook: "percentile",
    weightClip: "mse",
    rounding: "adaround",
    compensation: false,
    migration: 0,
  },
  lognp: { codebook: "lognp", weightClip: "mse", rounding: "rtn", compensation: false, migration: 0 },
  "lognp+comp": { codebook: "lognp", weightClip: "mse", rounding: "rtn", compensation: true, migration: 0 },
  quartdepth: { codebook: "lognp", weightClip: "mse", rounding: "gptq", compensation: true, migration: 0 },
  "quartdepth+": { codebook: "lloyd", weightClip: "mse", rounding: "gptq", compensation: true, migration: 0 },
  "quartdepth-kfac": {
    codebook: "lognp",
    weightClip: "mse",
    rounding: "gptq+kfac",
    compensation: true,
    migration: 0,
  },
};

export interface QuantizeOptions {
  recipe: Recipe;
  method: MethodConfig;
  methodName?: string;
  /** Preprocessed network inputs, NCHW float in [0, 1]. */
  calibration: readonly Float32Array[];
  seed?: number;
  /** Im2col rows sampled per image for the second-order statistics. */
  rowsPerImage?: number;
  /** Samples kept per channel per image for choosing activation grids. */
  samplesPerChannel?: number;
  onLayer?: (done: number, total: number, name: string) => void;
  /** Sees the per-channel float samples each activation grid was chosen from (reports). */
  onActivation?: (tensor: string, samples: readonly number[][], enc: Encoding) => void;
  /**
   * Timing only: no calibration run; grids come from synthetic activations and weights are rounded to
   * nearest. The program and its cycles are those of the real model; its accuracy is meaningless.
   */
  synthetic?: boolean;
}

/** A small stand-in for an activation of `shape` (channels kept, 64 samples each, unit range). */
function syntheticActivation(shape: readonly number[], rand: () => number): Tensor {
  const c = shape.length === 4 ? shape[1]! : 1;
  const data = new Float32Array(c * 64);
  for (let i = 0; i < data.length; i++) data[i] = 2 * rand() - 1;
  return { dtype: "float32", shape: [1, c, 1, 64], data };
}

export interface LayerReport {
  name: string;
  op: string;
  /** Signal-to-quantization-noise ratio of the layer output over the calibration set, dB. */
  sqnr_db: number;
  weight_bits?: number;
  encoding: string;
}

export interface QuantizeResult {
  qgraph: QGraph;
  layers: LayerReport[];
}

interface Group {
  kind: "conv" | "resize" | "concat" | "add" | "norm" | "attention";
  nodes: Node[];
  output: string;
}

/** A constant the size of `value` added to it: a per-pixel bias (position embedding). */
function pixelBiasAdd(g: Graph, node: Node | undefined, value: string): Node | undefined {
  if (node?.op !== "Add") return undefined;
  const other = node.inputs[0] === value ? node.inputs[1] : node.inputs[0];
  const t = other ? g.initializers.get(other) : undefined;
  const shape = g.values.get(value)!.shape;
  return t && t.shape.length === shape.length && t.shape.every((d, i) => d === shape[i]) ? node : undefined;
}

function activationOf(node: Node | undefined): Activation | undefined {
  if (!node) return undefined;
  if (node.op === "Relu") return { kind: "relu" };
  if (node.op === "LeakyRelu")
    return { kind: "leaky", alpha: node.attrs.alpha, alphaQ16: Math.round(node.attrs.alpha * 65536) };
  return undefined;
}

/** Splits the graph into quantizable groups: conv[+activation], resize, concat. */
export function groupGraph(g: Graph): Group[] {
  const consumers = consumersOf(g);
  const groups: Group[] = [];
  const fused = new Set<Node>();
  const unsupported: string[] = [];
  for (const node of g.nodes) {
    if (fused.has(node)) continue;
    if (node.op === "Conv2d") {
      const next = consumers.get(node.outputs[0]!) ?? [];
      const act = next.length === 1 && !g.outputs.includes(node.outputs[0]!) ? next[0] : undefined;
      if (act && (activationOf(act) || act.op === "Gelu" || pixelBiasAdd(g, act, node.outputs[0]!))) {
        fused.add(act);
        groups.push({ kind: "conv", nodes: [node, act], output: act.outputs[0]! });
      } else groups.push({ kind: "conv", nodes: [node], output: node.outputs[0]! });
    } else if (node.op === "Add" && node.inputs.every((i) => !g.initializers.has(i))) {
      groups.push({ kind: "add", nodes: [node], output: node.outputs[0]! });
    } else if (node.op === "ChannelLayerNorm" && node.inputs.filter(Boolean).length === 1) {
      groups.push({ kind: "norm", nodes: [node], output: node.outputs[0]! });
    } else if (node.op === "Attention") {
      groups.push({ kind: "attention", nodes: [node], output: node.outputs[0]! });
    } else if (
      node.op === "Resize" &&
      node.attrs.mode === "bilinear" &&
      node.attrs.coordinateTransform === "align_corners"
    ) {
      groups.push({ kind: "resize", nodes: [node], output: node.outputs[0]! });
    } else if (
      node.op === "Concat" &&
      node.attrs.axis === 1 &&
      g.values.get(node.outputs[0]!)!.shape.length === 4
    ) {
      groups.push({ kind: "concat", nodes: [node], output: node.outputs[0]! });
    } else unsupported.push(describeNode(node));
  }
  if (unsupported.length) {
    throw new GraphError(
      `cannot express in integer arithmetic (docs/arithmetic.md): ${unsupported.slice(0, 8).join("; ")}${unsupported.length > 8 ? ` and ${unsupported.length - 8} more` : ""}`,
    );
  }
  return groups;
}

/** Per-channel real value of one decoded unit of an input encoding (what the consumer folds). */
function unitScales(enc: Encoding): Float64Array {
  return enc.kind === "acc32" ? enc.scales : enc.scales;
}

const SQNR_IMAGES = 4;
const FISHER_IMAGES = 4;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

function sqnr(ref: readonly Float32Array[], got: readonly Float32Array[]): number {
  let sig = 0;
  let noise = 0;
  ref.forEach((r, i) => {
    const q = got[i]!;
    for (let j = 0; j < r.length; j++) {
      sig += r[j]! * r[j]!;
      noise += (r[j]! - q[j]!) ** 2;
    }
  });
  return noise === 0 ? 200 : 10 * Math.log10(sig / noise);
}

export async function quantizeGraph(graph: Graph, opts: QuantizeOptions): Promise<QuantizeResult> {
  const g = activationsOnConvs(
    foldZeroPads(removeIdentities(foldLayerNormAffine(channelMajorTokens(graph)))),
  );
  const synthetic = opts.synthetic === true;
  if (opts.calibration.length === 0 && !synthetic) throw new GraphError("no calibration images");
  const groups = groupGraph(g);
  const method = opts.method;
  const weightBits: WeightBits = opts.recipe === "w8a8" ? 8 : 4;
  const actBits = opts.recipe === "w4a4" ? 4 : 8;
  const rand = prng(opts.seed ?? 1);
  const perChannel = opts.samplesPerChannel ?? 256;
  const rows = opts.rowsPerImage ?? 128;
  const backend = defaultGemmBackend();
  const images = synthetic ? 0 : opts.calibration.length;
  if (g.inputs.length !== 1) throw new GraphError("quantization needs a single-input graph");
  const inputName = g.inputs[0]!;
  const inShape = [...g.values.get(inputName)!.shape];
  for (const [i, x] of opts.calibration.entries()) {
    if (x.length !== inShape.reduce((a, b) => a * b, 1))
      throw new GraphError(`calibration image ${i} does not match the input shape [${inShape}]`);
    for (let j = 0; j < x.length; j++) {
      if (!Number.isFinite(x[j]!)) throw new GraphError(`calibration image ${i} contains NaN or Inf`);
    }
  }

  const values = new Map<string, QValue>();
  const inputEnc: Encoding = {
    kind: "lin8",
    channels: inShape[1]!,
    scales: new Float64Array(inShape[1]!).fill(1 / 255),
    zeros: new Int32Array(inShape[1]!).fill(-128),
  };
  values.set(inputName, { name: inputName, shape: inShape, enc: inputEnc });

  // Both paths, per calibration image.
  const floatVals = new Map<string, Tensor[]>();
  const codeVals = new Map<string, Codes[]>();
  floatVals.set(
    inputName,
    opts.calibration.map((data) => ({ dtype: "float32", shape: inShape, data })),
  );
  codeVals.set(
    inputName,
    opts.calibration.map((x) => quantizeInput(x, values.get(inputName)!)),
  );

  const consumers = consumersOf(g);
  const tokenCtx: TokenQuantContext = { actBits, method, samplesPerChannel: perChannel, rand };
  const lastUse = new Map<string, number>();
  groups.forEach((grp, i) => {
    for (const n of grp.nodes) for (const inp of n.inputs) if (inp) lastUse.set(inp, i);
  });
  const nodes: QNode[] = [];
  const layers: LayerReport[] = [];

  // KFAC output factors come from the float network once, before any layer is quantized.
  const fisher =
    method.rounding === "gptq+kfac"
      ? await outputFisher(g, opts.calibration.slice(0, FISHER_IMAGES), { probes: 1, seed: opts.seed ?? 1 })
      : undefined;
  for (const [gi, grp] of groups.entries()) {
    opts.onLayer?.(gi, groups.length, grp.output);
    // Float path (synthetic: small stand-in tensors to choose grids from, nothing runs).
    if (synthetic)
      for (const node of grp.nodes)
        for (const o of node.outputs) floatVals.set(o, [syntheticActivation(g.values.get(o)!.shape, rand)]);
    else
      for (const node of grp.nodes) {
        const outs: Tensor[][] = node.outputs.map(() => []);
        for (let im = 0; im < images; im++) {
          const ins = node.inputs.map((n) =>
            n ? (floatVals.get(n)?.[im] ?? g.initializers.get(n)) : undefined,
          );
          const r = await runNode(node, ins, backend);
          for (const [k, t] of r.entries()) outs[k]!.push(t);
        }
        for (const [k, o] of node.outputs.entries()) floatVals.set(o, outs[k]!);
      }
    const floatOut = floatVals.get(grp.output)!;
    const outShape = [...g.values.get(grp.output)!.shape];
    const isOutput = g.outputs.includes(grp.output);
    let outCodes: Codes[];
    let report: LayerReport;

    if (grp.kind === "conv") {
      const conv = grp.nodes[0] as Node & { op: "Conv2d" };
      const act = activationOf(grp.nodes[1]) ?? { kind: "none" };
      const isGelu = grp.nodes[1]?.op === "Gelu";
      const posAdd = grp.nodes[1] && pixelBiasAdd(g, grp.nodes[1], conv.outputs[0]!);
      const attention = (consumers.get(grp.output) ?? []).find((n) => n.op === "Attention");
      const input = conv.inputs[0]!;
      const inVal = values.get(input)!;
      const wT = g.initializers.get(conv.inputs[1]!);
      if (!wT) throw new GraphError("convolution weights must be constant", describeNode(conv));
      const bT = conv.inputs[2] ? g.initializers.get(conv.inputs[2]) : undefined;
      const geo = conv2dGeometry(inVal.shape, wT.shape, conv.attrs);
      const [o, cg, kh, kw] = wT.shape as [number, number, number, number];
      const k = cg * kh * kw;
      const inUnits = unitScales(inVal.enc);
      // Fold per-channel input units into the weights (docs/arithmetic.md §2).
      const theta = new Float64Array((k + 1) * o);
      for (let oc = 0; oc < o; oc++) {
        const grpIdx = Math.floor(oc / (o / geo.group));
        for (let ic = 0; ic < cg; ic++) {
          const unit = inUnits[grpIdx * cg + ic]!;
          for (let t = 0; t < kh * kw; t++) {
            const j = ic * kh * kw + t;
            theta[j * o + oc] = wT.data[oc * k + j]! * unit;
          }
        }
        theta[k * o + oc] = bT ? bT.data[oc]! : 0;
      }

      let stats: ConvStats | undefined;
      const needStats = (method.compensation || method.rounding !== "rtn") && geo.group === 1 && !synthetic;
      if (needStats) {
        const acc = new ConvStatsAccumulator(geo, rows, rand);
        const plane = geo.h * geo.w;
        for (let im = 0; im < images; im++) {
          const quant = decode(codeVals.get(input)![im]!, inVal, true);
          const fl = floatVals.get(input)![im]!.data;
          const flUnits = new Float32Array(fl.length);
          for (let i = 0; i < fl.length; i++) flUnits[i] = fl[i]! / inUnits[Math.floor(i / plane) % geo.c]!;
          await acc.add(quant, flUnits);
        }
        stats = acc.finish();
      }
      const {
        q,
        scales: sw,
        bias,
      } = await quantizeConvWeights(theta, o, k, weightBits, method, stats, fisher?.get(conv.outputs[0]!));
      const gel = isGelu
        ? geluStageAndEncoding(floatVals.get(conv.outputs[0]!)!, Float64Array.from(sw), tokenCtx)
        : undefined;
      const outEnc: Encoding = isOutput
        ? { kind: "acc32", channels: o, scales: Float64Array.from(sw) }
        : gel
          ? gel.enc
          : attention?.op === "Attention"
            ? qkvEncoding(floatOut, attention.attrs.heads, actBits)
            : (() => {
                const samples: number[][] = [];
                for (const t of floatOut) sampleChannels(t, perChannel, rand, samples);
                const enc = actBits === 4 ? lut4Encoding(samples, method) : lin8Encoding(samples, method);
                opts.onActivation?.(grp.output, samples, enc);
                return enc;
              })();
      const qnode: QConv = {
        op: "conv",
        name: conv.name,
        input,
        output: grp.output,
        weightBits,
        weights: q,
        weightShape: [o, cg, kh, kw],
        bias: new Int32Array(o),
        strides: [...conv.attrs.strides] as [number, number],
        pads: conv.attrs.pads,
        dilations: [...conv.attrs.dilations] as [number, number],
        group: conv.attrs.group,
        act,
        stage: gel ? gel.stage : outputStageFor(outEnc, sw, act),
        accScales: Float64Array.from(sw),
        ...(isGelu ? { fn: "gelu" as const } : {}),
      };
      if (posAdd) {
        const other = posAdd.inputs[0] === conv.outputs[0] ? posAdd.inputs[1]! : posAdd.inputs[0]!;
        const pos = g.initializers.get(other)!.data;
        const plane = pos.length / o;
        qnode.pixelBias = Int32Array.from(pos, (v, i) => Math.round(v / sw[Math.floor(i / plane)]!));
      }
      const offsets = zeroCodeOffsets(qnode, inVal.enc);
      for (let oc = 0; oc < o; oc++) {
        const b = Math.round(bias[oc]! / sw[oc]!) - offsets[oc]!;
        qnode.bias[oc] = Math.max(INT32_MIN, Math.min(INT32_MAX, b));
      }
      const outVal: QValue = { name: grp.output, shape: outShape, enc: outEnc };
      values.set(grp.output, outVal);
      nodes.push(qnode);
      outCodes = [];
      for (let im = 0; im < images; im++)
        outCodes.push(await runConv(qnode, codeVals.get(input)![im]!, inVal, outVal, backend));
      report = {
        name: conv.name,
        op: act.kind === "none" ? "conv" : `conv+${act.kind}`,
        sqnr_db: 0,
        weight_bits: weightBits,
        encoding: outEnc.kind,
      };
    } else if (grp.kind === "resize") {
      const node = grp.nodes[0] as Node & { op: "Resize" };
      const inVal = values.get(node.inputs[0]!)!;
      const enc = inVal.enc;
      if (enc.kind === "acc32") throw new GraphError("cannot resize raw accumulators", describeNode(node));
      const c = enc.channels;
      const stage: OutputStage =
        enc.kind === "lut4"
          ? {
              kind: "threshold",
              thresholds: Int32Array.from({ length: c * THRESHOLDS }, (_, i) => {
                const ch = Math.floor(i / THRESHOLDS);
                const kk = i % THRESHOLDS;
                return 32768 * (enc.lut[ch * LUT_LEVELS + kk]! + enc.lut[ch * LUT_LEVELS + kk + 1]!);
              }),
            }
          : {
              kind: "requant",
              multiplier: new Int32Array(c).fill(2 ** 14),
              shift: new Int32Array(c).fill(30),
              zeros: new Int32Array(c),
            };
      const outVal: QValue = { name: grp.output, shape: outShape, enc };
      values.set(grp.output, outVal);
      const qnode = {
        op: "resize" as const,
        name: node.name,
        input: node.inputs[0]!,
        output: grp.output,
        size: [...node.attrs.size] as [number, number],
        stage,
      };
      nodes.push(qnode);
      outCodes = codeVals.get(qnode.input)!.map((codes) => runResize(qnode, codes, inVal, outVal));
      report = { name: node.name, op: "resize", sqnr_db: 0, encoding: enc.kind };
    } else if (grp.kind === "add" || grp.kind === "norm" || grp.kind === "attention") {
      const r = await quantizeTokenGroup(g, grp, values, floatVals, codeVals, tokenCtx);
      nodes.push(r.node);
      values.set(grp.output, { name: grp.output, shape: outShape, enc: r.enc });
      outCodes = r.codes;
      report = { name: grp.nodes[0]!.name, op: r.node.op, sqnr_db: 0, encoding: r.enc.kind };
    } else {
      const node = grp.nodes[0] as Node & { op: "Concat" };
      const ins = node.inputs.map((n) => values.get(n)!);
      const outEnc = concatEncodings(ins.map((v) => v.enc));
      const outVal: QValue = { name: grp.output, shape: outShape, enc: outEnc };
      values.set(grp.output, outVal);
      const qnode = { op: "concat" as const, name: node.name, inputs: [...node.inputs], output: grp.output };
      nodes.push(qnode);
      outCodes = [];
      for (let im = 0; im < images; im++)
        outCodes.push(
          runConcat(
            qnode,
            node.inputs.map((n) => codeVals.get(n)![im]!),
            ins,
          ),
        );
      report = { name: node.name, op: "concat", sqnr_db: 0, encoding: outEnc.kind };
    }
    codeVals.set(grp.output, outCodes);
    const outVal = values.get(grp.output)!;
    // A few images estimate the SQNR well; dequantizing all of them would cost more than the layer.
    const probe = Math.min(images, SQNR_IMAGES);
    report.sqnr_db = synthetic
      ? Number.NaN
      : sqnr(
          floatOut.slice(0, probe).map((t) => t.data as Float32Array),
          outCodes.slice(0, probe).map((c) => dequantizeValue(c, outVal)),
        );
    layers.push(report);
    // Free what no later group reads.
    for (const n of grp.nodes.flatMap((x) => [...x.inputs, ...x.outputs])) {
      if (!n || g.outputs.includes(n)) continue;
      if ((lastUse.get(n) ?? -1) <= gi) {
        floatVals.delete(n);
        codeVals.delete(n);
      }
    }
  }
  opts.onLayer?.(groups.length, groups.length, "");
  const output = g.outputs[0]!;
  const qgraph: QGraph = {
    name: g.name,
    input: inputName,
    output,
    values,
    nodes,
    metadata: {
      recipe: opts.recipe,
      method: opts.methodName ?? "custom",
      calibration_images: images,
      source: g.metadata.file ?? g.name,
    },
  };
  return { qgraph, layers };
}

/** Quantizes an add, LayerNorm or attention group and runs it on the calibration codes. */
async function quantizeTokenGroup(
  g: Graph,
  grp: Group,
  values: Map<string, QValue>,
  floatVals: Map<string, Tensor[]>,
  codeVals: Map<string, Codes[]>,
  ctx: TokenQuantContext,
): Promise<{ node: QNode; enc: Encoding; codes: Codes[] }> {
  const node = grp.nodes[0]!;
  if (g.outputs.includes(grp.output))
    throw new GraphError("a network output must come from a convolution", describeNode(node));
  const floatOut = floatVals.get(grp.output)!;
  const shape = [...g.values.get(grp.output)!.shape];
  const enc = activationEncoding(floatOut, ctx);
  const outV: QValue = { name: grp.output, shape, enc };
  const val = (n: string) => values.get(n)!;
  const codes = (n: string) => codeVals.get(n)!;
  if (node.op === "Add") {
    const [a, b] = node.inputs as [string, string];
    const q = quantizeAdd(node.name, [a, b], grp.output, val(a), val(b), enc);
    return { node: q, enc, codes: codes(a).map((x, i) => runAdd(q, x, codes(b)[i]!, val(a), val(b), outV)) };
  }
  if (node.op === "ChannelLayerNorm") {
    const x = node.inputs[0]!;
    const q = quantizeNorm(node.name, x, grp.output, val(x), node.attrs.epsilon, enc);
    return { node: q, enc, codes: codes(x).map((c) => runNorm(q, c, val(x), outV)) };
  }
  if (node.op === "Attention") {
    const x = node.inputs[0]!;
    const { heads, scale } = node.attrs;
    const q = quantizeAttention(node.name, x, grp.output, val(x), heads, scale, floatVals.get(x)!, enc, ctx);
    return { node: q, enc, codes: codes(x).map((c) => runAttention(q, c, val(x), outV)) };
  }
  throw new GraphError("not a token operator", describeNode(node));
}

function concatEncodings(encs: readonly Encoding[]): Encoding {
  const kind = encs[0]!.kind;
  if (!encs.every((e) => e.kind === kind) || kind === "acc32")
    throw new GraphError("concatenated tensors must share an encoding kind");
  const channels = encs.reduce((s, e) => s + e.channels, 0);
  if (kind === "lut4") {
    const lut = new Int8Array(channels * LUT_LEVELS);
    const zeroCode = new Uint8Array(channels);
    const scales = new Float64Array(channels);
    let off = 0;
    for (const e of encs as Extract<Encoding, { kind: "lut4" }>[]) {
      lut.set(e.lut, off * LUT_LEVELS);
      zeroCode.set(e.zeroCode, off);
      scales.set(e.scales, off);
      off += e.channels;
    }
    return { kind: "lut4", channels, lut, zeroCode, scales };
  }
  const scales = new Float64Array(channels);
  const zeros = new Int32Array(channels);
  let off = 0;
  for (const e of encs as Extract<Encoding, { kind: "lin8" }>[]) {
    scales.set(e.scales, off);
    zeros.set(e.zeros, off);
    off += e.channels;
  }
  return { kind: "lin8", channels, scales, zeros };
}
