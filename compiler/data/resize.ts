import { DataError } from "./errors.js";

export interface BilinearOptions {
  /**
   * false (default): pixel centres are aligned (half-pixel convention of OpenCV `INTER_LINEAR`,
   * PyTorch `align_corners=False`, TF2 `half_pixel_centers`): src = (dst + 0.5)·(srcSize/dstSize) − 0.5,
   * clamped to [0, srcSize − 1].
   * true: the corner pixels of source and destination coincide (PyTorch `align_corners=True`,
   * TFLite RESIZE_BILINEAR align_corners): src = dst·(srcSize − 1)/(dstSize − 1), and 0 when dstSize = 1.
   */
  alignCorners?: boolean;
}

/** Per destination index along one axis: the two source indices and the weight of the second. */
interface AxisTaps {
  lo: Int32Array;
  hi: Int32Array;
  frac: Float64Array;
}

function checkSize(value: number, what: string): void {
  if (!Number.isInteger(value) || value <= 0) {
    throw new DataError(`${what} must be a positive integer, got ${value}`);
  }
}

function checkPlaneArgs(
  srcLength: number,
  planes: number,
  srcH: number,
  srcW: number,
  dstH: number,
  dstW: number,
) {
  checkSize(planes, "resize: plane count");
  checkSize(srcH, "resize: source height");
  checkSize(srcW, "resize: source width");
  checkSize(dstH, "resize: destination height");
  checkSize(dstW, "resize: destination width");
  if (srcLength !== planes * srcH * srcW) {
    throw new DataError(
      `resize: source has ${srcLength} values but ${planes}×${srcH}×${srcW} = ${planes * srcH * srcW} were declared`,
    );
  }
}

/** Source coordinate of destination index `d` along an axis, per the convention documented above. */
export function sourceCoordinate(d: number, srcSize: number, dstSize: number, alignCorners: boolean): number {
  if (alignCorners) return dstSize > 1 ? (d * (srcSize - 1)) / (dstSize - 1) : 0;
  const s = ((d + 0.5) * srcSize) / dstSize - 0.5;
  return Math.min(Math.max(s, 0), srcSize - 1);
}

function axisTaps(srcSize: number, dstSize: number, alignCorners: boolean): AxisTaps {
  const lo = new Int32Array(dstSize);
  const hi = new Int32Array(dstSize);
  const frac = new Float64Array(dstSize);
  for (let d = 0; d < dstSize; d++) {
    const s = sourceCoordinate(d, srcSize, dstSize, alignCorners);
    const i0 = Math.min(Math.floor(s), srcSize - 1);
    lo[d] = i0;
    hi[d] = Math.min(i0 + 1, srcSize - 1);
    frac[d] = s - i0;
  }
  return { lo, hi, frac };
}

/**
 * Bilinear resize of `planes` stacked planes (planar CHW layout, one plane when planes = 1).
 * No antialiasing on downscale, as in OpenCV/PyTorch/TFLite bilinear resize.
 */
export function resizeBilinearPlanar(
  src: Float32Array,
  planes: number,
  srcH: number,
  srcW: number,
  dstH: number,
  dstW: number,
  options: BilinearOptions = {},
): Float32Array {
  checkPlaneArgs(src.length, planes, srcH, srcW, dstH, dstW);
  const alignCorners = options.alignCorners ?? false;
  const rows = axisTaps(srcH, dstH, alignCorners);
  const cols = axisTaps(srcW, dstW, alignCorners);
  const dst = new Float32Array(planes * dstH * dstW);
  for (let p = 0; p < planes; p++) {
    const srcBase = p * srcH * srcW;
    const dstBase = p * dstH * dstW;
    for (let y = 0; y < dstH; y++) {
      const top = srcBase + rows.lo[y]! * srcW;
      const bottom = srcBase + rows.hi[y]! * srcW;
      const fy = rows.frac[y]!;
      for (let x = 0; x < dstW; x++) {
        const x0 = cols.lo[x]!;
        const x1 = cols.hi[x]!;
        const fx = cols.frac[x]!;
        const upper = src[top + x0]! + (src[top + x1]! - src[top + x0]!) * fx;
        const lower = src[bottom + x0]! + (src[bottom + x1]! - src[bottom + x0]!) * fx;
        dst[dstBase + y * dstW + x] = upper + (lower - upper) * fy;
      }
    }
  }
  return dst;
}

/** Bilinear resize of one float plane (row-major H×W); see {@link BilinearOptions} for the convention. */
export function resizeBilinear(
  src: Float32Array,
  srcH: number,
  srcW: number,
  dstH: number,
  dstW: number,
  options: BilinearOptions = {},
): Float32Array {
  return resizeBilinearPlanar(src, 1, srcH, srcW, dstH, dstW, options);
}

export type PixelArray = Uint8Array | Uint16Array | Int32Array | Float32Array | Float64Array;

/** Nearest source index with half-pixel centres: floor((d + 0.5)·srcSize/dstSize), in exact integer arithmetic. */
function nearestIndex(d: number, srcSize: number, dstSize: number): number {
  return Math.min(Math.floor(((2 * d + 1) * srcSize) / (2 * dstSize)), srcSize - 1);
}

/**
 * Nearest-neighbour resize of an interleaved HWC array (channels = 1 for a plane). Uses half-pixel
 * centres (PyTorch "nearest-exact", PIL NEAREST), so a 2× downscale picks the lower-right pixel of
 * each 2×2 block and up/down-scaling by integer factors is symmetric. Values are never mixed,
 * which keeps invalid (0) depth pixels invalid.
 */
export function resizeNearest<T extends PixelArray>(
  src: T,
  srcH: number,
  srcW: number,
  dstH: number,
  dstW: number,
  channels = 1,
): T {
  checkSize(channels, "resizeNearest: channel count");
  checkPlaneArgs(src.length, channels, srcH, srcW, dstH, dstW);
  const dst = new (src.constructor as new (length: number) => T)(dstH * dstW * channels);
  const colIndex = new Int32Array(dstW);
  for (let x = 0; x < dstW; x++) colIndex[x] = nearestIndex(x, srcW, dstW);
  for (let y = 0; y < dstH; y++) {
    const srcRow = nearestIndex(y, srcH, dstH) * srcW;
    for (let x = 0; x < dstW; x++) {
      const from = (srcRow + colIndex[x]!) * channels;
      const to = (y * dstW + x) * channels;
      for (let c = 0; c < channels; c++) dst[to + c] = src[from + c]!;
    }
  }
  return dst;
}

/** Taps of a PIL-style antialiased bilinear filter along one axis: output i reads src[start[i] .. start[i]+count[i]). */
interface FilterTaps {
  start: Int32Array;
  count: Int32Array;
  /** weights, `maxTaps` per output index, each row summing to 1 */
  weights: Float64Array;
  maxTaps: number;
}

/**
 * Triangle-filter taps as in Pillow's `Image.resize(..., BILINEAR)`: on downscale by a factor s the
 * triangle is widened to support s (so every source pixel contributes: antialiasing); on upscale it
 * is plain half-pixel bilinear. Weights are normalised over the taps that fall inside the image.
 */
function triangleTaps(srcSize: number, dstSize: number): FilterTaps {
  const scale = srcSize / dstSize;
  const widen = Math.max(scale, 1);
  const support = widen;
  const maxTaps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(dstSize);
  const count = new Int32Array(dstSize);
  const weights = new Float64Array(dstSize * maxTaps);
  for (let i = 0; i < dstSize; i++) {
    const center = (i + 0.5) * scale;
    // Math.trunc mirrors the C int cast Pillow uses, so the tap windows are the same
    const lo = Math.max(Math.trunc(center - support + 0.5), 0);
    const hi = Math.min(Math.trunc(center + support + 0.5), srcSize);
    let total = 0;
    for (let x = lo; x < hi; x++) {
      const w = Math.max(0, 1 - Math.abs((x - center + 0.5) / widen));
      weights[i * maxTaps + (x - lo)] = w;
      total += w;
    }
    for (let k = 0; k < hi - lo; k++) weights[i * maxTaps + k]! /= total;
    start[i] = lo;
    count[i] = hi - lo;
  }
  return { start, count, weights, maxTaps };
}

/** Pillow keeps 8-bit filter weights in fixed point with this many fraction bits (32 − 8 − 2). */
const PIL_PRECISION_BITS = 22;

function fixedPointWeights(taps: FilterTaps): Int32Array {
  const scaled = new Int32Array(taps.weights.length);
  const one = 2 ** PIL_PRECISION_BITS;
  for (let i = 0; i < scaled.length; i++) {
    const w = taps.weights[i]!;
    scaled[i] = Math.trunc(w < 0 ? w * one - 0.5 : w * one + 0.5);
  }
  return scaled;
}

/** One 8-bit resampling pass along rows (horizontal) or columns (vertical) of an interleaved image. */
function resampleU8Pass(
  src: Uint8Array,
  h: number,
  w: number,
  channels: number,
  outSize: number,
  horizontal: boolean,
): Uint8Array {
  const taps = triangleTaps(horizontal ? w : h, outSize);
  const k = fixedPointWeights(taps);
  const outH = horizontal ? h : outSize;
  const outW = horizontal ? outSize : w;
  const dst = new Uint8Array(outH * outW * channels);
  const half = 2 ** (PIL_PRECISION_BITS - 1);
  const one = 2 ** PIL_PRECISION_BITS;
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) {
      const i = horizontal ? x : y;
      const first = taps.start[i]!;
      const n = taps.count[i]!;
      for (let c = 0; c < channels; c++) {
        // sums stay below 2^31·256, exact in float64
        let acc = half;
        for (let t = 0; t < n; t++) {
          const srcIndex = horizontal
            ? (y * w + first + t) * channels + c
            : ((first + t) * w + x) * channels + c;
          acc += src[srcIndex]! * k[i * taps.maxTaps + t]!;
        }
        const v = Math.floor(acc / one);
        dst[(y * outW + x) * channels + c] = Math.min(Math.max(v, 0), 255);
      }
    }
  }
  return dst;
}

/**
 * Pillow-compatible `Image.resize(size, Image.BILINEAR)` of an interleaved 8-bit image: antialiased
 * triangle filter, horizontal pass then vertical pass, each rounded to 8 bits with Pillow's fixed-point
 * weights, so results match Pillow bit for bit. Python pipelines that prepare network inputs with
 * PIL (as the pydnet-mobile reference inputs were) are reproduced exactly.
 */
export function resizeAntialiasU8(
  src: Uint8Array,
  srcH: number,
  srcW: number,
  dstH: number,
  dstW: number,
  channels = 1,
): Uint8Array {
  checkSize(channels, "resizeAntialiasU8: channel count");
  checkPlaneArgs(src.length, channels, srcH, srcW, dstH, dstW);
  let out = src;
  if (dstW !== srcW) out = resampleU8Pass(out, srcH, srcW, channels, dstW, true);
  if (dstH !== srcH) out = resampleU8Pass(out, srcH, dstW, channels, dstH, false);
  return out === src ? new Uint8Array(src) : out;
}

/**
 * Float version of the antialiased triangle filter of {@link resizeAntialiasU8} on planar data
 * (no rounding between the passes).
 */
export function resizeAntialiasPlanar(
  src: Float32Array,
  planes: number,
  srcH: number,
  srcW: number,
  dstH: number,
  dstW: number,
): Float32Array {
  checkPlaneArgs(src.length, planes, srcH, srcW, dstH, dstW);
  const cols = triangleTaps(srcW, dstW);
  const rows = triangleTaps(srcH, dstH);
  const tmp = new Float64Array(planes * srcH * dstW);
  for (let p = 0; p < planes; p++) {
    for (let y = 0; y < srcH; y++) {
      const rowBase = (p * srcH + y) * srcW;
      for (let x = 0; x < dstW; x++) {
        let acc = 0;
        for (let t = 0; t < cols.count[x]!; t++)
          acc += src[rowBase + cols.start[x]! + t]! * cols.weights[x * cols.maxTaps + t]!;
        tmp[(p * srcH + y) * dstW + x] = acc;
      }
    }
  }
  const dst = new Float32Array(planes * dstH * dstW);
  for (let p = 0; p < planes; p++) {
    for (let y = 0; y < dstH; y++) {
      for (let x = 0; x < dstW; x++) {
        let acc = 0;
        for (let t = 0; t < rows.count[y]!; t++) {
          acc += tmp[(p * srcH + rows.start[y]! + t) * dstW + x]! * rows.weights[y * rows.maxTaps + t]!;
        }
        dst[(p * dstH + y) * dstW + x] = acc;
      }
    }
  }
  return dst;
}
