/**
 * Random quantized graphs for executor tests: random integer weights, monotone LUTs with a zero code,
 * sorted thresholds spread over the accumulator's range, requant parameters in the documented ranges.
 * Deterministic per seed. Shapes stay small so the golden model and the simulators run in milliseconds.
 */
import type { Pads2d } from "../../compiler/ir/graph.js";
import { convOutSize } from "../../compiler/ir/shapes.js";
import type {
  Activation,
  Encoding,
  Lin8Encoding,
  Lut4Encoding,
  OutputStage,
  QConv,
  QGraph,
  QNode,
  QResize,
  QValue,
} from "../../compiler/ptq/qgraph.js";
import { seededRandom } from "./onnx-random.js";

export type Rand = () => number;

export const randInt = (r: Rand, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
export const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

export function randomLut4(r: Rand, channels: number): Lut4Encoding {
  const lut = new Int8Array(channels * 16);
  const zeroCode = new Uint8Array(channels);
  for (let c = 0; c < channels; c++) {
    const z = randInt(r, 0, 15);
    zeroCode[c] = z;
    const base = c * 16;
    lut[base + z] = 0;
    const step = randInt(r, 1, 16);
    for (let k = z + 1; k < 16; k++) lut[base + k] = Math.min(127, lut[base + k - 1]! + randInt(r, 0, step));
    for (let k = z - 1; k >= 0; k--) lut[base + k] = Math.max(-128, lut[base + k + 1]! - randInt(r, 0, step));
  }
  const scales = Float64Array.from({ length: channels }, () => 0.01 + r() * 0.1);
  return { kind: "lut4", channels, lut, zeroCode, scales };
}

export function randomLin8(r: Rand, channels: number): Lin8Encoding {
  return {
    kind: "lin8",
    channels,
    scales: Float64Array.from({ length: channels }, () => 0.01 + r() * 0.1),
    zeros: Int32Array.from({ length: channels }, () => randInt(r, -40, 40)),
  };
}

/** Mean square decoded value of an encoding (for spreading thresholds over the accumulator). */
function meanSquare(enc: Encoding): number {
  if (enc.kind === "lut4") return Math.max(1, enc.lut.reduce((s, v) => s + v * v, 0) / enc.lut.length);
  return (128 * 128) / 3;
}

function randomStage(r: Rand, kind: "lut4" | "lin8" | "acc32", channels: number, sigma: number): OutputStage {
  if (kind === "acc32") return { kind: "acc32" };
  if (kind === "lut4") {
    const thresholds = new Int32Array(channels * 15);
    for (let c = 0; c < channels; c++) {
      const t = Array.from({ length: 15 }, () => Math.round((r() * 4 - 2) * sigma));
      // Occasional ties exercise the counting at equal thresholds.
      if (r() < 0.3) t[randInt(r, 1, 14)] = t[0]!;
      t.sort((a, b) => a - b);
      thresholds.set(t, c * 15);
    }
    return { kind: "threshold", thresholds };
  }
  const multiplier = Int32Array.from({ length: channels }, () => randInt(r, 2 ** 14, 2 ** 15 - 1));
  const shift = Int32Array.from({ length: channels }, (_, c) =>
    Math.max(0, Math.min(47, Math.round(Math.log2((Math.max(sigma, 1) * multiplier[c]!) / 50)))),
  );
  const zeros = Int32Array.from({ length: channels }, () => randInt(r, -30, 30));
  return { kind: "requant", multiplier, shift, zeros };
}

function outputEncoding(r: Rand, kind: "lut4" | "lin8" | "acc32", channels: number): Encoding {
  if (kind === "lut4") return randomLut4(r, channels);
  if (kind === "lin8") return randomLin8(r, channels);
  return { kind: "acc32", channels, scales: Float64Array.from({ length: channels }, () => 1e-4) };
}

export interface ConvChoice {
  out: number;
  k: [number, number];
  stride: [number, number];
  dil: [number, number];
  pads: Pads2d;
  group: number;
  weightBits: 4 | 8;
  act: Activation;
  outKind: "lut4" | "lin8" | "acc32";
}

function randomActivation(r: Rand): Activation {
  const k = pick(r, ["none", "relu", "leaky"] as const);
  if (k !== "leaky") return { kind: k };
  const alpha = 0.01 + r() * 0.3;
  return { kind: "leaky", alpha, alphaQ16: Math.round(alpha * 65536) };
}

export function randomConvChoice(r: Rand, inC: number, outKind: ConvChoice["outKind"]): ConvChoice {
  const kh = pick(r, [1, 3, 3, 5]);
  const kw = r() < 0.8 ? kh : pick(r, [1, 3, 5]);
  const dil: [number, number] = r() < 0.15 ? [2, pick(r, [1, 2])] : [1, 1];
  const stride: [number, number] = r() < 0.3 ? [2, 2] : r() < 0.1 ? [1, 2] : [1, 1];
  const padMax = (k: number, d: number): number => (k - 1) * d;
  const pads: Pads2d = [
    randInt(r, 0, padMax(kh, dil[0])),
    randInt(r, 0, padMax(kw, dil[1])),
    randInt(r, 0, padMax(kh, dil[0])),
    randInt(r, 0, padMax(kw, dil[1])),
  ];
  let out = randInt(r, 1, 12);
  let group = 1;
  if (r() < 0.15 && inC > 1) {
    group = inC;
    out = inC * pick(r, [1, 2]);
  } else if (r() < 0.1 && inC % 2 === 0) {
    group = 2;
    out = 2 * randInt(r, 1, 5);
  }
  return {
    out,
    k: [kh, kw],
    stride,
    dil,
    pads,
    group,
    weightBits: r() < 0.5 ? 4 : 8,
    act: randomActivation(r),
    outKind,
  };
}

export class QGraphBuilder {
  readonly values = new Map<string, QValue>();
  readonly nodes: QNode[] = [];
  private counter = 0;

  constructor(readonly r: Rand) {}

  name(prefix: string): string {
    return `${prefix}${this.counter++}`;
  }

  value(name: string, shape: number[], enc: Encoding): QValue {
    const v = { name, shape, enc };
    this.values.set(name, v);
    return v;
  }

  conv(input: QValue, ch: ConvChoice): QValue {
    const r = this.r;
    const [n, c, h, w] = input.shape as [number, number, number, number];
    const cg = c / ch.group;
    const [kh, kw] = ch.k;
    const oh = convOutSize(h, kh, ch.stride[0], ch.pads[0], ch.pads[2], ch.dil[0]);
    const ow = convOutSize(w, kw, ch.stride[1], ch.pads[1], ch.pads[3], ch.dil[1]);
    if (oh < 1 || ow < 1) throw new Error("random conv: empty output");
    const lim = ch.weightBits === 4 ? 8 : 128;
    const weights = Int8Array.from({ length: ch.out * cg * kh * kw }, () => randInt(r, -lim, lim - 1));
    const k = cg * kh * kw;
    const ew2 = ch.weightBits === 4 ? 21 : 5461;
    const sigma = Math.sqrt(k * ew2 * meanSquare(input.enc));
    const bias = Int32Array.from({ length: ch.out }, () => Math.round((r() - 0.5) * sigma));
    const name = this.name("conv");
    const out = this.value(`${name}_out`, [n, ch.out, oh, ow], outputEncoding(r, ch.outKind, ch.out));
    const node: QConv = {
      op: "conv",
      name,
      input: input.name,
      output: out.name,
      weightBits: ch.weightBits,
      weights,
      weightShape: [ch.out, cg, kh, kw],
      bias,
      strides: ch.stride,
      pads: ch.pads,
      dilations: ch.dil,
      group: ch.group,
      act: ch.act,
      stage: randomStage(r, ch.outKind, ch.out, sigma),
      accScales: Float64Array.from({ length: ch.out }, () => 1e-3 * (0.5 + r())),
    };
    this.nodes.push(node);
    return out;
  }

  resize(input: QValue, size: [number, number], outKind: "lut4" | "lin8"): QValue {
    const [n, c] = input.shape as [number, number];
    const name = this.name("resize");
    const out = this.value(`${name}_out`, [n, c, size[0], size[1]], outputEncoding(this.r, outKind, c));
    const sigma = Math.sqrt(meanSquare(input.enc)) * 65536;
    const node: QResize = {
      op: "resize",
      name,
      input: input.name,
      output: out.name,
      size,
      stage: randomStage(this.r, outKind, c, sigma),
    };
    this.nodes.push(node);
    return out;
  }

  /** Concatenation on channels; the output encoding concatenates the inputs' tables. */
  concat(inputs: QValue[]): QValue {
    const kind = inputs[0]!.enc.kind;
    const channels = inputs.reduce((s, v) => s + v.shape[1]!, 0);
    let enc: Encoding;
    if (kind === "lut4") {
      const es = inputs.map((v) => v.enc as Lut4Encoding);
      enc = {
        kind,
        channels,
        lut: Int8Array.from(es.flatMap((e) => Array.from(e.lut))),
        zeroCode: Uint8Array.from(es.flatMap((e) => Array.from(e.zeroCode))),
        scales: Float64Array.from(es.flatMap((e) => Array.from(e.scales))),
      };
    } else {
      const es = inputs.map((v) => v.enc as Lin8Encoding);
      enc = {
        kind: "lin8",
        channels,
        zeros: Int32Array.from(es.flatMap((e) => Array.from(e.zeros))),
        scales: Float64Array.from(es.flatMap((e) => Array.from(e.scales))),
      };
    }
    const [n, , h, w] = inputs[0]!.shape as [number, number, number, number];
    const name = this.name("concat");
    const out = this.value(`${name}_out`, [n, channels, h, w], enc);
    this.nodes.push({ op: "concat", name, inputs: inputs.map((v) => v.name), output: out.name });
    return out;
  }

  graph(input: QValue, output: QValue, name = "random"): QGraph {
    return {
      name,
      input: input.name,
      output: output.name,
      values: this.values,
      nodes: this.nodes,
      metadata: {},
    };
  }
}

export interface RandomGraphOptions {
  seed: number;
  /** NCHW of the lin8 network input. */
  input?: [number, number, number, number];
  layers?: number;
  /** Final conv writes acc32 (network output). */
  acc32Output?: boolean;
}

/** A chain of random convs with occasional resizes and branch+concat blocks. */
export function randomQGraph(opts: RandomGraphOptions): QGraph {
  const r = seededRandom(opts.seed);
  const b = new QGraphBuilder(r);
  const shape = opts.input ?? [1, randInt(r, 1, 4), randInt(r, 6, 14), randInt(r, 6, 14)];
  const input = b.value("input", shape.slice(), randomLin8(r, shape[1]));
  // The camera input: q = p, v = p − 128 (docs/arithmetic.md §1).
  (input.enc as Lin8Encoding).zeros.fill(-128);
  let cur = input;
  const layers = opts.layers ?? randInt(r, 2, 5);
  for (let i = 0; i < layers; i++) {
    const kind = pick(r, ["lut4", "lut4", "lin8"] as const);
    const roll = r();
    const [, c, h, w] = cur.shape as [number, number, number, number];
    if (roll < 0.15 && h * w <= 400) {
      const size: [number, number] =
        r() < 0.6 ? [2 * h, 2 * w] : [h + randInt(r, 0, 5), Math.max(1, w + randInt(r, -2, 5))];
      cur = b.resize(cur, size, kind);
    } else if (roll < 0.3) {
      const chA = {
        ...randomConvChoice(r, c, kind),
        stride: [1, 1] as [number, number],
        dil: [1, 1] as [number, number],
      };
      const keep = (x: typeof chA): typeof chA => ({
        ...x,
        k: [3, 3],
        pads: [1, 1, 1, 1],
        stride: [1, 1],
        dil: [1, 1],
      });
      const a = b.conv(cur, keep(chA));
      const bb = b.conv(cur, keep({ ...randomConvChoice(r, c, kind), group: 1, out: randInt(r, 1, 8) }));
      cur = b.concat([a, bb]);
    } else {
      let ch = randomConvChoice(r, c, kind);
      const oh = convOutSize(h, ch.k[0], ch.stride[0], ch.pads[0], ch.pads[2], ch.dil[0]);
      const ow = convOutSize(w, ch.k[1], ch.stride[1], ch.pads[1], ch.pads[3], ch.dil[1]);
      if (oh < 2 || ow < 2) ch = { ...ch, k: [1, 1], stride: [1, 1], dil: [1, 1], pads: [0, 0, 0, 0] };
      cur = b.conv(cur, ch);
    }
  }
  if (opts.acc32Output) {
    const [, c] = cur.shape as [number, number];
    cur = b.conv(cur, { ...randomConvChoice(r, c, "acc32"), group: 1, out: randInt(r, 1, 4) });
  }
  return b.graph(input, cur, `random-${opts.seed}`);
}

export function randomInputCodes(g: QGraph, seed: number): Uint8Array {
  const r = seededRandom(seed ^ 0x5eed);
  const v = g.values.get(g.input)!;
  const n = v.shape.reduce((a, b) => a * b, 1);
  return Uint8Array.from({ length: n }, () => randInt(r, 0, 255));
}
