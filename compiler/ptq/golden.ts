/**
 * The integer golden executor: docs/arithmetic.md, executed. Every value is an integer; the conv
 * products are summed on the float32 GEMM kernels only when the layer's worst-case |accumulator| is
 * below 2^24, where float32 represents every partial sum exactly (checked per layer, integer loops
 * otherwise), so the result is the same bits as an int32 datapath.
 */
import { defaultGemmBackend, type GemmBackend } from "../exec/float.js";
import { type Conv2dGeometry, conv2dGeometry } from "../exec/kernels/conv-params.js";
import { runAdd, runAttention, runNorm } from "./golden-tokens.js";
import {
  type Activation,
  type Codes,
  type Encoding,
  LUT_LEVELS,
  nodeInputs,
  type OutputStage,
  type QConcat,
  type QConv,
  type QGraph,
  type QNode,
  type QResize,
  type QValue,
  THRESHOLDS,
} from "./qgraph.js";

const EXACT_F32 = 2 ** 24;

/**
 * Decoded values of a tensor's codes, as float32 (exact small integers), NCHW. With `centered`, lin8
 * values are returned as v − z_c, which is 0 at a real zero: a conv over centered values with zero
 * padding equals the hardware's conv over v with zero-code padding once z_c·Σw is added back.
 */
export function decode(codes: Codes, v: QValue, centered = false): Float32Array {
  const enc = v.enc;
  const out = new Float32Array(codes.length);
  const plane = v.shape[2]! * v.shape[3]!;
  const c = v.shape[1]!;
  if (enc.kind === "lin8") {
    for (let i = 0; i < codes.length; i++) {
      out[i] = codes[i]! - 128 - (centered ? enc.zeros[Math.floor(i / plane) % c]! : 0);
    }
  } else if (enc.kind === "lut4") {
    for (let n = 0; n < v.shape[0]!; n++) {
      for (let ch = 0; ch < c; ch++) {
        const base = (n * c + ch) * plane;
        const lut = enc.lut.subarray(ch * LUT_LEVELS, (ch + 1) * LUT_LEVELS);
        for (let i = 0; i < plane; i++) out[base + i] = lut[codes[base + i]!]!;
      }
    }
  } else {
    for (let i = 0; i < codes.length; i++) out[i] = codes[i]!;
  }
  return out;
}

/** Real values of codes (for reports and float comparisons; not part of the integer path). */
export function dequantize(codes: Codes, v: QValue): Float32Array {
  const d = decode(codes, v);
  const enc = v.enc;
  const plane = v.shape[2]! * v.shape[3]!;
  const c = v.shape[1]!;
  for (let i = 0; i < d.length; i++) {
    const ch = Math.floor(i / plane) % c;
    if (enc.kind === "lin8") d[i] = enc.scales[ch]! * (d[i]! - enc.zeros[ch]!);
    else d[i] = d[i]! * enc.scales[ch]!;
  }
  return d;
}

/** Leaky ReLU in fixed point: u < 0 → ⌊u·A / 2^16⌋ (A = round(α·2^16)). */
export function applyActivation(u: number, act: Activation): number {
  if (act.kind === "none" || u >= 0) return u;
  if (act.kind === "relu") return 0;
  return Math.floor((u * act.alphaQ16) / 65536);
}

/** §3 output stage on one channel's accumulators (values are exact integers held in float64). */
export function outputStage(
  acc: Float64Array,
  channel: number,
  act: Activation,
  stage: OutputStage,
  out: Codes,
  offset: number,
): void {
  const n = acc.length;
  if (stage.kind === "threshold") {
    const t = stage.thresholds.subarray(channel * THRESHOLDS, (channel + 1) * THRESHOLDS);
    // The activation is folded into the thresholds (docs/arithmetic.md §3): compare the raw accumulator.
    for (let i = 0; i < n; i++) {
      const a = acc[i]!;
      let lo = 0;
      let hi = THRESHOLDS;
      // Count of thresholds ≤ a by binary search (thresholds are non-decreasing).
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (a >= t[mid]!) lo = mid + 1;
        else hi = mid;
      }
      out[offset + i] = lo;
    }
  } else if (stage.kind === "requant") {
    const m = stage.multiplier[channel]!;
    const s = stage.shift[channel]!;
    const div = 2 ** s;
    const round = s > 0 ? 2 ** (s - 1) : 0;
    for (let i = 0; i < n; i++) {
      const u = applyActivation(acc[i]!, act);
      const q = Math.floor((u * m + round) / div) + stage.zeros[channel]! + 128;
      const c = q < 0 ? 0 : Math.min(q, 255);
      out[offset + i] = stage.table ? stage.table[c]! : c;
    }
  } else {
    for (let i = 0; i < n; i++) out[offset + i] = acc[i]!;
  }
}

export function allocCodes(enc: Encoding, n: number): Codes {
  return enc.kind === "acc32" ? new Int32Array(n) : new Uint8Array(n);
}

/** Largest |Σ w·v| a layer can produce, for the exactness check. */
export function accumulatorBound(node: QConv, maxAbsInput: number): number {
  const [o] = node.weightShape;
  const per = node.weights.length / o;
  let bound = 0;
  for (let oc = 0; oc < o; oc++) {
    let s = 0;
    for (let i = 0; i < per; i++) s += Math.abs(node.weights[oc * per + i]!);
    bound = Math.max(bound, s * maxAbsInput);
  }
  return bound;
}

function maxAbsDecoded(enc: Encoding): number {
  if (enc.kind === "lin8") return 255;
  if (enc.kind === "lut4") return enc.lut.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  return 2 ** 31;
}

/** Integer convolution sums (without bias) as float64, exact. */
async function convSums(
  node: QConv,
  decoded: Float32Array,
  g: Conv2dGeometry,
  inEnc: Encoding,
  backend: GemmBackend,
): Promise<ArrayLike<number>> {
  const w = Float32Array.from(node.weights);
  if (accumulatorBound(node, maxAbsDecoded(inEnc)) < EXACT_F32)
    return backend.conv2d(decoded, w, undefined, g);
  // Too wide for float32: float64 loops are exact up to 2^53.
  const out = new Float64Array(g.n * g.o * g.oh * g.ow);
  const cg = g.c / g.group;
  const og = g.o / g.group;
  for (let b = 0; b < g.n; b++) {
    for (let oc = 0; oc < g.o; oc++) {
      const grp = Math.floor(oc / og);
      for (let y = 0; y < g.oh; y++) {
        for (let x = 0; x < g.ow; x++) {
          let s = 0;
          for (let ic = 0; ic < cg; ic++) {
            for (let ky = 0; ky < g.kh; ky++) {
              const iy = y * g.strideH - g.padTop + ky * g.dilationH;
              if (iy < 0 || iy >= g.h) continue;
              for (let kx = 0; kx < g.kw; kx++) {
                const ix = x * g.strideW - g.padLeft + kx * g.dilationW;
                if (ix < 0 || ix >= g.w) continue;
                s +=
                  w[((oc * cg + ic) * g.kh + ky) * g.kw + kx]! *
                  decoded[((b * g.c + grp * cg + ic) * g.h + iy) * g.w + ix]!;
              }
            }
          }
          out[((b * g.o + oc) * g.oh + y) * g.ow + x] = s;
        }
      }
    }
  }
  return out;
}

/** Σ_taps w[o,c,…]·z_c per output channel: what zero-code padding adds for lin8 inputs. */
export function zeroCodeOffsets(node: QConv, enc: Encoding): Float64Array {
  const [o, cg, kh, kw] = node.weightShape;
  const out = new Float64Array(o);
  if (enc.kind !== "lin8") return out;
  const og = o / node.group;
  for (let oc = 0; oc < o; oc++) {
    const grp = Math.floor(oc / og);
    let s = 0;
    for (let ic = 0; ic < cg; ic++) {
      const z = enc.zeros[grp * cg + ic]!;
      for (let t = 0; t < kh * kw; t++) s += node.weights[(oc * cg + ic) * kh * kw + t]! * z;
    }
    out[oc] = s;
  }
  return out;
}

export async function runConv(
  node: QConv,
  input: Codes,
  inValue: QValue,
  outValue: QValue,
  backend: GemmBackend,
): Promise<Codes> {
  const g = conv2dGeometry(inValue.shape, node.weightShape, node);
  const sums = await convSums(node, decode(input, inValue, true), g, inValue.enc, backend);
  const offsets = zeroCodeOffsets(node, inValue.enc);
  const plane = g.oh * g.ow;
  const out = allocCodes(outValue.enc, g.n * g.o * plane);
  const acc = new Float64Array(plane);
  for (let b = 0; b < g.n; b++) {
    for (let oc = 0; oc < g.o; oc++) {
      const base = (b * g.o + oc) * plane;
      const bias = node.bias[oc]! + offsets[oc]!;
      for (let i = 0; i < plane; i++) acc[i] = sums[base + i]! + bias;
      if (node.pixelBias) for (let i = 0; i < plane; i++) acc[i]! += node.pixelBias[oc * plane + i]!;
      outputStage(acc, oc, node.act, node.stage, out, base);
    }
  }
  return out;
}

/** Per-axis integer bilinear taps, align_corners: (i0, i1, f) with f in 0..256 (docs/arithmetic.md §4). */
export function alignCornersTaps(
  inSize: number,
  outSize: number,
): { i0: Int32Array; i1: Int32Array; f: Int32Array } {
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const f = new Int32Array(outSize);
  const den = outSize - 1;
  for (let o = 0; o < outSize; o++) {
    if (den === 0) continue;
    const num = o * (inSize - 1);
    i0[o] = Math.floor(num / den);
    i1[o] = Math.min(i0[o]! + 1, inSize - 1);
    f[o] = Math.floor((256 * (num % den) + Math.floor(den / 2)) / den);
  }
  return { i0, i1, f };
}

export function runResize(node: QResize, input: Codes, inValue: QValue, outValue: QValue): Codes {
  const [n, c, h, w] = inValue.shape as [number, number, number, number];
  const [oh, ow] = node.size;
  const v = decode(input, inValue);
  const ty = alignCornersTaps(h, oh);
  const tx = alignCornersTaps(w, ow);
  const out = allocCodes(outValue.enc, n * c * oh * ow);
  const acc = new Float64Array(oh * ow);
  const none: Activation = { kind: "none" };
  for (let p = 0; p < n * c; p++) {
    const plane = p * h * w;
    for (let y = 0; y < oh; y++) {
      const r0 = plane + ty.i0[y]! * w;
      const r1 = plane + ty.i1[y]! * w;
      const fy = ty.f[y]!;
      for (let x = 0; x < ow; x++) {
        const x0 = tx.i0[x]!;
        const x1 = tx.i1[x]!;
        const fx = tx.f[x]!;
        const top = v[r0 + x0]! * (256 - fx) + v[r0 + x1]! * fx;
        const bot = v[r1 + x0]! * (256 - fx) + v[r1 + x1]! * fx;
        acc[y * ow + x] = top * (256 - fy) + bot * fy;
      }
    }
    outputStage(acc, p % c, none, node.stage, out, p * oh * ow);
  }
  return out;
}

export function runConcat(node: QConcat, inputs: readonly Codes[], values: readonly QValue[]): Codes {
  const n = values[0]!.shape[0]!;
  const total = inputs.reduce((s, x) => s + x.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (let b = 0; b < n; b++) {
    inputs.forEach((x) => {
      const per = x.length / n;
      out.set(x.subarray(b * per, (b + 1) * per), offset);
      offset += per;
    });
  }
  void node;
  return out;
}

export async function runQNode(
  node: QNode,
  g: QGraph,
  codes: Map<string, Codes>,
  backend: GemmBackend,
): Promise<Codes> {
  const val = (n: string) => g.values.get(n)!;
  const get = (n: string) => {
    const c = codes.get(n);
    if (!c) throw new Error(`golden: "${n}" is not computed before ${node.op} "${node.name}"`);
    return c;
  };
  switch (node.op) {
    case "conv":
      return runConv(node, get(node.input), val(node.input), val(node.output), backend);
    case "resize":
      return runResize(node, get(node.input), val(node.input), val(node.output));
    case "concat":
      return runConcat(node, node.inputs.map(get), node.inputs.map(val));
    case "add":
      return runAdd(
        node,
        get(node.inputs[0]),
        get(node.inputs[1]),
        val(node.inputs[0]),
        val(node.inputs[1]),
        val(node.output),
      );
    case "norm":
      return runNorm(node, get(node.input), val(node.input), val(node.output));
    case "attention":
      return runAttention(node, get(node.input), val(node.input), val(node.output));
  }
}

/** Network input → lin8 codes (the camera's 8-bit values). */
export function quantizeInput(x: Float32Array, v: QValue): Uint8Array {
  const enc = v.enc;
  if (enc.kind !== "lin8") throw new Error("the network input must be lin8");
  const plane = v.shape[2]! * v.shape[3]!;
  const out = new Uint8Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const c = Math.floor(i / plane) % v.shape[1]!;
    const q = Math.round(x[i]! / enc.scales[c]!) + enc.zeros[c]! + 128;
    out[i] = q < 0 ? 0 : Math.min(q, 255);
  }
  return out;
}

export interface GoldenResult {
  codes: Codes;
  /** Every computed tensor when `keepAll`. */
  all?: Map<string, Codes>;
}

export async function runGolden(
  g: QGraph,
  inputCodes: Uint8Array,
  opts: { backend?: GemmBackend; keepAll?: boolean } = {},
): Promise<GoldenResult> {
  const backend = opts.backend ?? defaultGemmBackend();
  const codes = new Map<string, Codes>([[g.input, inputCodes]]);
  const lastUse = new Map<string, number>();
  g.nodes.forEach((node, i) => {
    for (const inp of nodeInputs(node)) lastUse.set(inp, i);
  });
  for (const [i, node] of g.nodes.entries()) {
    codes.set(node.output, await runQNode(node, g, codes, backend));
    if (!opts.keepAll) {
      for (const inp of nodeInputs(node)) if (lastUse.get(inp) === i && inp !== g.output) codes.delete(inp);
    }
  }
  const out = codes.get(g.output);
  if (!out) throw new Error(`golden: output "${g.output}" was never computed`);
  return { codes: out, ...(opts.keepAll ? { all: codes } : {}) };
}
