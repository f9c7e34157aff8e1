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
import { foldZeroPads, removeIdentities } from "../ir/passes.js";
import type { Tensor } from "../ir/tensor.js";
import { type CodebookMethod, chooseLevels, lin8Range, lin8Zero } from "./codebook.js";
import { quantizeConvWeights } from "./conv-weights.js";
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
  kind: "conv" | "resize" | "concat";
  nodes: Node[];
  output: string;
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
      if (act && activationOf(act)) {
        fused.add(act);
        groups.push({ kind: "conv", nodes: [node, act], output: act.outputs[0]! });
      } else groups.push({ kind: "conv", nodes: [node], output: node.outputs[0]! });
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

/** Per-channel samples of an NCHW tensor (n = 1), up to `count` per channel. */
function sampleChannels(t: Tensor, count: number, rand: () => number, into: number[][]): void {
  const [, c, h, w] = t.shape as [number, number, number, number];
  const plane = h * w;
  for (let ch = 0; ch < c; ch++) {
    into[ch] ??= [];
    const list = into[ch];
    const base = ch * plane;
    if (plane <= count) for (let i = 0; i < plane; i++) list.push(t.data[base + i]!);
    else for (let i = 0; i < count; i++) list.push(t.data[base + Math.floor(rand() * plane)]!);
  }
}

/** lut4 encoding from per-channel samples: levels → int8 table in per-channel units. */
function lut4Encoding(samples: number[][], method: MethodConfig): Encoding {
  const c = samples.length;
  const levels = samples.map((s) => chooseLevels(s, { method: method.codebook }));
  const maxAbs = levels.map((l) => l.reduce((m, v) => Math.max(m, Math.abs(v)), 0) || 1e-8);
  const ref = Math.max(...maxAbs);
  const lut = new Int8Array(c * LUT_LEVELS);
  const zeroCode = new Uint8Array(c);
  const scales = new Float64Array(c);
  for (let ch = 0; ch < c; ch++) {
    const unit = (maxAbs[ch]! ** method.migration * ref ** (1 - method.migration)) / 127;
    scales[ch] = unit;
    let zi = 0;
    for (let k = 0; k < LUT_LEVELS; k++) {
      const v = Math.max(-128, Math.min(127, Math.round(levels[ch]![k]! / unit)));
      lut[ch * LUT_LEVELS + k] = v;
      if (Math.abs(v) < Math.abs(lut[ch * LUT_LEVELS + zi]!)) zi = k;
    }
    lut[ch * LUT_LEVELS + zi] = 0;
    zeroCode[ch] = zi;
  }
  return { kind: "lut4", channels: c, lut, zeroCode, scales };
}

/**
 * lin8 encoding: one scale for the whole tensor and a zero point per channel. 8 bits leave enough
 * resolution that per-channel scales would only push their spread into the (4-bit) weights of the
 * consumer, where it costs more than it saves.
 */
function lin8Encoding(samples: number[][], method: MethodConfig): Encoding {
  const c = samples.length;
  const ranges = samples.map((s) =>
    lin8Range(s, { method: method.codebook === "percentile" ? "percentile" : "minmax" }),
  );
  const scale = Math.max(...ranges.map((r) => (r.hi - r.lo) / 255)) || 1;
  return {
    kind: "lin8",
    channels: c,
    scales: new Float64Array(c).fill(scale),
    zeros: Int32Array.from(ranges, (r) => lin8Zero(r.lo, scale)),
  };
}

/** Per-channel real value of one decoded unit of an input encoding (what the consumer folds). */
function unitScales(enc: Encoding): Float64Array {
  return enc.kind === "acc32" ? enc.scales : enc.scales;
}

function inverseActivation(t: number, act: Activation): number {
  if (act.kind === "leaky" && t < 0) return t / act.alpha;
  if (act.kind === "relu" && t <= 0) return Number.NEGATIVE_INFINITY;
  return t;
}

const SQNR_IMAGES = 4;
const FISHER_IMAGES = 4;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** Output stage for an accumulator of real scale `accScale[o]` into encoding `out`. */
function outputStageFor(out: Encoding, accScale: Float64Array, act: Activation): OutputStage {
  const c = accScale.length;
  if (out.kind === "acc32") return { kind: "acc32" };
  if (out.kind === "lut4") {
    const thresholds = new Int32Array(c * THRESHOLDS);
    for (let o = 0; o < c; o++) {
      const lut = out.lut.subarray(o * LUT_LEVELS, (o + 1) * LUT_LEVELS);
      for (let k = 0; k < THRESHOLDS; k++) {
        const t = (out.scales[o]! * (lut[k]! + lut[k + 1]!)) / 2;
        const pre = inverseActivation(t, act) / accScale[o]!;
        thresholds[o * THRESHOLDS + k] = Math.max(INT32_MIN, Math.min(INT32_MAX, Math.ceil(pre)));
      }
      // Rounding can only make neighbours equal, never reorder them; keep them non-decreasing anyway.
      for (let k = 1; k < THRESHOLDS; k++) {
        const i = o * THRESHOLDS + k;
        if (thresholds[i]! < thresholds[i - 1]!) thresholds[i] = thresholds[i - 1]!;
      }
    }
    return { kind: "threshold", thresholds };
  }
  const multiplier = new Int32Array(c);
  const shift = new Int32Array(c);
  for (let o = 0; o < c; o++) {
    const [m, n] = fixedPoint(accScale[o]! / out.scales[o]!);
    multiplier[o] = m;
    shift[o] = n;
  }
  return { kind: "requant", multiplier, shift, zeros: Int32Array.from(out.zeros) };
}

/** ratio ≈ m·2^−n with 2^14 ≤ m < 2^15 (docs/arithmetic.md §3). */
export function fixedPoint(ratio: number): [number, number] {
  if (!(ratio > 0) || !Number.isFinite(ratio)) throw new Error(`cannot requantize by a ratio of ${ratio}`);
  let e = Math.floor(Math.log2(ratio));
  let m = Math.round(ratio * 2 ** (14 - e));
  if (m >= 2 ** 15) {
    m = Math.round(m / 2);
    e += 1;
  }
  const n = 14 - e;
  if (n < 0 || n > 47) throw new Error(`requantization ratio ${ratio} is out of the fixed-point range`);
  return [m, n];
}

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
  const g = foldZeroPads(removeIdentities(graph));
  if (opts.calibration.length === 0) throw new GraphError("no calibration images");
  const groups = groupGraph(g);
  const method = opts.method;
  const weightBits: WeightBits = opts.recipe === "w8a8" ? 8 : 4;
  const actBits = opts.recipe === "w4a4" ? 4 : 8;
  const rand = prng(opts.seed ?? 1);
  const perChannel = opts.samplesPerChannel ?? 256;
  const rows = opts.rowsPerImage ?? 128;
  const backend = defaultGemmBackend();
  const images = opts.calibration.length;
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
    // Float path.
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
      const needStats = (method.compensation || method.rounding !== "rtn") && geo.group === 1;
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
      const outEnc: Encoding = isOutput
        ? { kind: "acc32", channels: o, scales: Float64Array.from(sw) }
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
        stage: outputStageFor(outEnc, sw, act),
        accScales: Float64Array.from(sw),
      };
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
    report.sqnr_db = sqnr(
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
