/**
 * ONNX Resize evaluated on a constant, exactly as the spec defines it (given scales, nearest rounding
 * modes, linear and cubic). Exporters resize constants when a ViT interpolates its positional
 * embedding to a new image size (DINOv2 / Depth Anything use bicubic for that); folding it here keeps
 * cubic out of the IR.
 */
import { GraphError } from "../ir/graph.js";
import { sizeOf } from "../ir/tensor.js";
import { type ConstTensor, floatConst } from "./onnx-const.js";

export interface ConstResizeRequest {
  mode: "nearest" | "linear" | "cubic";
  transform: string;
  nearestMode: string;
  cubicCoeffA: number;
  excludeOutside: boolean;
  /** Per-axis output size and the scale the coordinate transform uses. */
  sizes: readonly number[];
  scales: readonly number[];
}

/** Input coordinate of output index `o` as the ONNX spec defines it, for a given scale. */
export function sourceCoordinate(
  o: number,
  inSize: number,
  outSize: number,
  scale: number,
  transform: string,
): number {
  switch (transform) {
    case "align_corners":
      return outSize === 1 ? 0 : (o * (inSize - 1)) / (outSize - 1);
    case "asymmetric":
      return o / scale;
    case "pytorch_half_pixel":
      return outSize > 1 ? (o + 0.5) / scale - 0.5 : 0;
    case "half_pixel":
      return (o + 0.5) / scale - 0.5;
    default:
      throw new GraphError(`Resize coordinate_transformation_mode "${transform}" is not supported`);
  }
}

/** ONNX nearest_mode rounding of a source coordinate. */
export function roundNearest(s: number, mode: string, downsampling: boolean): number {
  switch (mode) {
    case "simple": // Upsample and Resize-10
      return downsampling ? Math.ceil(s) : Math.floor(s);
    case "floor":
      return Math.floor(s);
    case "ceil":
      return Math.ceil(s);
    case "round_prefer_ceil":
      return Math.floor(s + 0.5);
    case "round_prefer_floor":
      return s - Math.floor(s) === 0.5 ? Math.floor(s) : Math.round(s);
    default:
      throw new GraphError(`Resize nearest_mode "${mode}" is not supported`);
  }
}

/** Keys cubic convolution weights for the taps at floor(s)-1 .. floor(s)+2. */
function cubicWeights(t: number, a: number): number[] {
  const far = (d: number) => ((a * d - 5 * a) * d + 8 * a) * d - 4 * a; // 1 ≤ |d| < 2
  const near = (d: number) => ((a + 2) * d - (a + 3)) * d * d + 1; // |d| < 1
  return [far(t + 1), near(t), near(1 - t), far(2 - t)];
}

/** Taps (index, weight) for each output position along one axis. */
function axisTaps(
  inSize: number,
  outSize: number,
  scale: number,
  req: ConstResizeRequest,
): [number, number][][] {
  const clamp = (i: number) => Math.min(Math.max(i, 0), inSize - 1);
  const taps: [number, number][][] = [];
  for (let o = 0; o < outSize; o++) {
    const s = sourceCoordinate(o, inSize, outSize, scale, req.transform);
    if (req.mode === "nearest") {
      taps.push([[clamp(roundNearest(s, req.nearestMode, outSize < inSize)), 1]]);
    } else if (req.mode === "linear") {
      const c = Math.min(Math.max(s, 0), inSize - 1);
      const lo = Math.floor(c);
      const t = c - lo;
      taps.push([
        [lo, 1 - t],
        [clamp(lo + 1), t],
      ]);
    } else {
      const base = Math.floor(s);
      const w = cubicWeights(s - base, req.cubicCoeffA);
      let entries: [number, number][] = w.map((wt, k) => [base - 1 + k, wt]);
      if (req.excludeOutside) {
        entries = entries.filter(([i]) => i >= 0 && i < inSize);
        const sum = entries.reduce((acc, [, wt]) => acc + wt, 0);
        entries = entries.map(([i, wt]) => [i, wt / sum]);
      }
      taps.push(entries.map(([i, wt]) => [clamp(i), wt]));
    }
  }
  return taps;
}

function resizeAxis(
  data: Float64Array,
  shape: readonly number[],
  axis: number,
  outSize: number,
  scale: number,
  req: ConstResizeRequest,
) {
  const inSize = shape[axis]!;
  const outer = sizeOf(shape.slice(0, axis));
  const inner = sizeOf(shape.slice(axis + 1));
  const taps = axisTaps(inSize, outSize, scale, req);
  const out = new Float64Array(outer * outSize * inner);
  for (let p = 0; p < outer; p++) {
    for (let o = 0; o < outSize; o++) {
      const dst = (p * outSize + o) * inner;
      for (const [i, wt] of taps[o]!) {
        const src = (p * inSize + i) * inner;
        for (let q = 0; q < inner; q++) out[dst + q]! += wt * data[src + q]!;
      }
    }
  }
  const next = [...shape];
  next[axis] = outSize;
  return { data: out, shape: next };
}

/** Resizes a float constant; linear and cubic are separable, so axes are resized one at a time. */
export function resizeConst(c: ConstTensor, req: ConstResizeRequest): ConstTensor {
  if (c.kind !== "float") throw new GraphError("Resize of a non-float constant is not supported");
  let data = Float64Array.from(c.data);
  let shape: readonly number[] = c.shape;
  for (let axis = 0; axis < shape.length; axis++) {
    const outSize = req.sizes[axis]!;
    if (outSize === shape[axis] && (req.scales[axis] === 1 || req.transform === "align_corners")) continue;
    ({ data, shape } = resizeAxis(data, shape, axis, outSize, req.scales[axis]!, req));
  }
  return floatConst(shape, data);
}
