/**
 * Float simulation of a QGraph ("fake quantization"): real-valued weights and activations snapped to
 * the same grids, computed in float. It differs from the integer golden model only where rounding of
 * thresholds and biases to integers moves a value across a decision point, so comparing the two
 * checks that the integer arithmetic implements the quantizer's intent.
 */

import { gelu } from "../exec/elementwise.js";
import { defaultGemmBackend, type GemmBackend } from "../exec/float.js";
import { conv2dGeometry } from "../exec/kernels/conv-params.js";
import { attention, channelLayerNorm } from "../exec/tokens.js";
import type { Tensor } from "../ir/tensor.js";
import { zeroCodeOffsets } from "./golden.js";
import { type Encoding, LUT_LEVELS, type QConv, type QGraph, type QNode, type QValue } from "./qgraph.js";

/** Real-domain levels of channel c of an encoding (ascending), or undefined for acc32. */
function levelsOf(enc: Encoding, c: number): Float64Array | undefined {
  if (enc.kind === "lut4") {
    return Float64Array.from(
      enc.lut.subarray(c * LUT_LEVELS, (c + 1) * LUT_LEVELS),
      (v) => v * enc.scales[c]!,
    );
  }
  if (enc.kind === "lin8")
    return Float64Array.from({ length: 256 }, (_, q) => enc.scales[c]! * (q - 128 - enc.zeros[c]!));
  return undefined;
}

/** Snaps every value to the nearest level of its channel (ties to the upper level, as thresholds do). */
function snap(x: Float32Array, v: QValue): Float32Array {
  const [n, c, h, w] = v.shape as [number, number, number, number];
  const plane = h * w;
  const out = new Float32Array(x.length);
  for (let ch = 0; ch < c; ch++) {
    const levels = levelsOf(v.enc, ch);
    for (let b = 0; b < n; b++) {
      const base = (b * c + ch) * plane;
      for (let i = 0; i < plane; i++) {
        const val = x[base + i]!;
        if (!levels) {
          out[base + i] = val;
          continue;
        }
        let lo = 0;
        let hi = levels.length - 1;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (val >= (levels[mid]! + levels[mid + 1]!) / 2) lo = mid + 1;
          else hi = mid;
        }
        out[base + i] = levels[lo]!;
      }
    }
  }
  return out;
}

async function fakeConv(
  node: QConv,
  x: Float32Array,
  inV: QValue,
  outV: QValue,
  backend: GemmBackend,
): Promise<Float32Array> {
  const [o, cg, kh, kw] = node.weightShape;
  const enc = outV.enc;
  const accScale = enc.kind === "acc32" ? enc.scales : node.accScales;
  const inUnits = inV.enc.kind === "acc32" ? inV.enc.scales : inV.enc.scales;
  // Real weights in the real input domain: w·s_acc / s_c.
  const wf = new Float32Array(node.weights.length);
  const per = cg * kh * kw;
  for (let oc = 0; oc < o; oc++) {
    const grp = Math.floor(oc / (o / node.group));
    for (let j = 0; j < per; j++) {
      const ic = grp * cg + Math.floor(j / (kh * kw));
      wf[oc * per + j] = (node.weights[oc * per + j]! * accScale[oc]!) / inUnits[ic]!;
    }
  }
  const offsets = zeroCodeOffsets(node, inV.enc);
  const bias = Float32Array.from({ length: o }, (_, oc) => (node.bias[oc]! + offsets[oc]!) * accScale[oc]!);
  const g = conv2dGeometry(inV.shape, node.weightShape, node);
  const y = await backend.conv2d(x, wf, bias, g);
  if (node.pixelBias) {
    const plane = g.oh * g.ow;
    for (let i = 0; i < y.length; i++) {
      const oc = Math.floor(i / plane) % o;
      y[i]! += node.pixelBias[i % (o * plane)]! * accScale[oc]!;
    }
  }
  const act = node.act;
  if (node.fn === "gelu") for (let i = 0; i < y.length; i++) y[i] = gelu(y[i]!);
  if (act.kind === "relu") for (let i = 0; i < y.length; i++) y[i] = Math.max(y[i]!, 0);
  if (act.kind === "leaky") for (let i = 0; i < y.length; i++) if (y[i]! < 0) y[i] = y[i]! * act.alpha;
  return snap(y, outV);
}

function fakeResize(
  node: Extract<QNode, { op: "resize" }>,
  x: Float32Array,
  inV: QValue,
  outV: QValue,
): Float32Array {
  const [n, c, h, w] = inV.shape as [number, number, number, number];
  const [oh, ow] = node.size;
  const out = new Float32Array(n * c * oh * ow);
  const coord = (o: number, inSize: number, outSize: number) =>
    outSize === 1 ? 0 : (o * (inSize - 1)) / (outSize - 1);
  for (let p = 0; p < n * c; p++) {
    for (let y = 0; y < oh; y++) {
      const sy = coord(y, h, oh);
      const y0 = Math.floor(sy);
      const y1 = Math.min(y0 + 1, h - 1);
      const fy = sy - y0;
      for (let xo = 0; xo < ow; xo++) {
        const sx = coord(xo, w, ow);
        const x0 = Math.floor(sx);
        const x1 = Math.min(x0 + 1, w - 1);
        const fx = sx - x0;
        const at = (yy: number, xx: number) => x[(p * h + yy) * w + xx]!;
        const top = at(y0, x0) * (1 - fx) + at(y0, x1) * fx;
        const bot = at(y1, x0) * (1 - fx) + at(y1, x1) * fx;
        out[(p * oh + y) * ow + xo] = top * (1 - fy) + bot * fy;
      }
    }
  }
  return snap(out, outV);
}

function tensorOf(data: Float32Array, v: QValue): Tensor {
  return { dtype: "float32", shape: [...v.shape], data };
}

/** Runs a QGraph (batch 1) in float on real input values; returns the real output. */
export async function runFakeQuant(
  g: QGraph,
  input: Float32Array,
  backend = defaultGemmBackend(),
): Promise<Float32Array> {
  const inV = g.values.get(g.input)!;
  const vals = new Map<string, Float32Array>([[g.input, snap(input, inV)]]);
  for (const node of g.nodes) {
    const outV = g.values.get(node.output)!;
    if (node.op === "conv")
      vals.set(
        node.output,
        await fakeConv(node, vals.get(node.input)!, g.values.get(node.input)!, outV, backend),
      );
    else if (node.op === "resize")
      vals.set(node.output, fakeResize(node, vals.get(node.input)!, g.values.get(node.input)!, outV));
    else if (node.op === "add") {
      const [a, b] = node.inputs.map((i) => vals.get(i)!) as [Float32Array, Float32Array];
      vals.set(
        node.output,
        snap(
          Float32Array.from(a, (v, i) => v + b[i]!),
          outV,
        ),
      );
    } else if (node.op === "norm") {
      const inV = g.values.get(node.input)!;
      const y = channelLayerNorm(tensorOf(vals.get(node.input)!, inV), undefined, undefined, 0);
      vals.set(node.output, snap(y.data as Float32Array, outV));
    } else if (node.op === "attention") {
      const inV = g.values.get(node.input)!;
      const y = attention(tensorOf(vals.get(node.input)!, inV), node.heads, node.scale);
      vals.set(node.output, snap(y.data as Float32Array, outV));
    } else {
      const parts = node.inputs.map((i) => vals.get(i)!);
      const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
      let off = 0;
      for (const p of parts) {
        out.set(p, off);
        off += p.length;
      }
      vals.set(node.output, out);
    }
  }
  return vals.get(g.output)!;
}
