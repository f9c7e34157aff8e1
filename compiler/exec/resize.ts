/** Spatial resize of NCHW tensors with the coordinate conventions of ONNX Resize / TFLite RESIZE_*. */
import type { CoordinateTransform, ResizeMode } from "../ir/graph.js";
import { allocData, type Tensor } from "../ir/tensor.js";

/** Source coordinate of output index `o` along an axis of `inSize` → `outSize`. */
export function sourceCoordinate(
  o: number,
  inSize: number,
  outSize: number,
  ct: CoordinateTransform,
): number {
  const scale = outSize / inSize;
  switch (ct) {
    case "align_corners":
      return outSize === 1 ? 0 : (o * (inSize - 1)) / (outSize - 1);
    case "half_pixel":
      return (o + 0.5) / scale - 0.5;
    case "pytorch_half_pixel":
      return outSize > 1 ? (o + 0.5) / scale - 0.5 : 0;
    case "asymmetric":
      return o / scale;
  }
}

export interface AxisTaps {
  lo: Int32Array;
  hi: Int32Array;
  frac: Float32Array;
}

/** Per output index: the two source indices and the weight of the second (shared with the adjoint). */
export function bilinearTaps(inSize: number, outSize: number, ct: CoordinateTransform): AxisTaps {
  const lo = new Int32Array(outSize);
  const hi = new Int32Array(outSize);
  const frac = new Float32Array(outSize);
  for (let o = 0; o < outSize; o++) {
    const s = Math.min(Math.max(sourceCoordinate(o, inSize, outSize, ct), 0), inSize - 1);
    const l = Math.floor(s);
    lo[o] = l;
    hi[o] = Math.min(l + 1, inSize - 1);
    frac[o] = s - l;
  }
  return { lo, hi, frac };
}

export function nearestIndex(o: number, inSize: number, outSize: number, ct: CoordinateTransform): number {
  const s = sourceCoordinate(o, inSize, outSize, ct);
  const i = ct === "asymmetric" ? Math.floor(s) : Math.floor(s + 0.5);
  return Math.min(Math.max(i, 0), inSize - 1);
}

export function resize(
  x: Tensor,
  mode: ResizeMode,
  ct: CoordinateTransform,
  size: readonly [number, number],
): Tensor {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const [oh, ow] = size;
  const out = allocData(x.dtype, n * c * oh * ow);
  const src = x.data;
  if (mode === "nearest") {
    const rows = Int32Array.from({ length: oh }, (_, o) => nearestIndex(o, h, oh, ct));
    const cols = Int32Array.from({ length: ow }, (_, o) => nearestIndex(o, w, ow, ct));
    for (let p = 0; p < n * c; p++) {
      for (let y = 0; y < oh; y++) {
        const rowBase = p * h * w + rows[y]! * w;
        const outBase = (p * oh + y) * ow;
        for (let xo = 0; xo < ow; xo++) out[outBase + xo] = src[rowBase + cols[xo]!]!;
      }
    }
  } else {
    const ty = bilinearTaps(h, oh, ct);
    const tx = bilinearTaps(w, ow, ct);
    for (let p = 0; p < n * c; p++) {
      const plane = p * h * w;
      for (let y = 0; y < oh; y++) {
        const r0 = plane + ty.lo[y]! * w;
        const r1 = plane + ty.hi[y]! * w;
        const fy = ty.frac[y]!;
        const outBase = (p * oh + y) * ow;
        for (let xo = 0; xo < ow; xo++) {
          const x0 = tx.lo[xo]!;
          const x1 = tx.hi[xo]!;
          const fx = tx.frac[xo]!;
          const top = src[r0 + x0]! + (src[r0 + x1]! - src[r0 + x0]!) * fx;
          const bot = src[r1 + x0]! + (src[r1 + x1]! - src[r1 + x0]!) * fx;
          out[outBase + xo] = top + (bot - top) * fy;
        }
      }
    }
  }
  return { dtype: x.dtype, shape: [n, c, oh, ow], data: out };
}
