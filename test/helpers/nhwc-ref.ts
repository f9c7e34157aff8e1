import { prng } from "../../compiler/prng.js";
/**
 * Plain-loop NHWC reference implementations of TFLite operators, written from the TFLite reference
 * kernels' definitions (not from the importer or the float executor), for importer tests.
 */

export interface Nd {
  shape: number[];
  data: Float32Array;
}

export function nd(shape: readonly number[], data: ArrayLike<number>): Nd {
  const n = shape.reduce((a, b) => a * b, 1);
  if (data.length !== n) throw new Error(`nd: ${data.length} values for shape [${shape}]`);
  return { shape: [...shape], data: Float32Array.from(data) };
}

/** Deterministic values in [lo, hi) (mulberry32). */
export function randoms(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const rand = prng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * rand();
  return out;
}

export function randNd(shape: readonly number[], seed: number, lo = -1, hi = 1): Nd {
  return nd(
    shape,
    randoms(
      shape.reduce((a, b) => a * b, 1),
      seed,
      lo,
      hi,
    ),
  );
}

function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** Calls fn with every multi-index of `shape` in row-major order. */
function forEachIndex(shape: readonly number[], fn: (idx: number[], flat: number) => void): void {
  const n = shape.reduce((a, b) => a * b, 1);
  const idx = new Array<number>(shape.length).fill(0);
  for (let f = 0; f < n; f++) {
    fn(idx, f);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
}

export type Act = "NONE" | "RELU" | "RELU6" | "RELU_N1_TO_1" | "TANH";

export function act(v: number, a: Act = "NONE"): number {
  switch (a) {
    case "NONE":
      return v;
    case "RELU":
      return Math.max(v, 0);
    case "RELU6":
      return Math.min(Math.max(v, 0), 6);
    case "RELU_N1_TO_1":
      return Math.min(Math.max(v, -1), 1);
    case "TANH":
      return Math.tanh(v);
  }
}

export function mapNd(x: Nd, fn: (v: number) => number): Nd {
  return { shape: [...x.shape], data: x.data.map(fn) };
}

/** TFLite's padding for one spatial axis: output size and the leading pad. */
export function tflitePadding(
  padding: "SAME" | "VALID",
  inSize: number,
  k: number,
  stride: number,
  dilation: number,
): { out: number; before: number } {
  const eff = (k - 1) * dilation + 1;
  const out =
    padding === "SAME"
      ? Math.floor((inSize + stride - 1) / stride)
      : Math.floor((inSize - eff + stride) / stride);
  const total = Math.max((out - 1) * stride + eff - inSize, 0);
  return { out, before: Math.floor(total / 2) };
}

export interface ConvParams {
  padding: "SAME" | "VALID";
  strideH?: number;
  strideW?: number;
  dilationH?: number;
  dilationW?: number;
  act?: Act;
}

/** CONV_2D: x [N,H,W,I], w [O,KH,KW,I], bias [O]. */
export function conv2d(x: Nd, w: Nd, bias: ArrayLike<number> | undefined, p: ConvParams): Nd {
  const [n, h, wd, c] = x.shape as [number, number, number, number];
  const [o, kh, kw, ci] = w.shape as [number, number, number, number];
  if (ci !== c) throw new Error("conv2d: channel mismatch");
  const sh = p.strideH ?? 1;
  const sw = p.strideW ?? 1;
  const dh = p.dilationH ?? 1;
  const dw = p.dilationW ?? 1;
  const ph = tflitePadding(p.padding, h, kh, sh, dh);
  const pw = tflitePadding(p.padding, wd, kw, sw, dw);
  const out = new Float32Array(n * ph.out * pw.out * o);
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < ph.out; oy++)
      for (let ox = 0; ox < pw.out; ox++)
        for (let oc = 0; oc < o; oc++) {
          let acc = bias ? bias[oc]! : 0;
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * sh - ph.before + ky * dh;
            if (iy < 0 || iy >= h) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ox * sw - pw.before + kx * dw;
              if (ix < 0 || ix >= wd) continue;
              for (let ic = 0; ic < c; ic++) {
                acc +=
                  x.data[((b * h + iy) * wd + ix) * c + ic]! * w.data[((oc * kh + ky) * kw + kx) * c + ic]!;
              }
            }
          }
          out[((b * ph.out + oy) * pw.out + ox) * o + oc] = act(acc, p.act);
        }
  return { shape: [n, ph.out, pw.out, o], data: out };
}

/** DEPTHWISE_CONV_2D: x [N,H,W,C], w [1,KH,KW,C*M]; output channel c*M+m reads input channel c. */
export function depthwiseConv2d(
  x: Nd,
  w: Nd,
  bias: ArrayLike<number> | undefined,
  multiplier: number,
  p: ConvParams,
): Nd {
  const [n, h, wd, c] = x.shape as [number, number, number, number];
  const [, kh, kw, oc] = w.shape as [number, number, number, number];
  if (oc !== c * multiplier) throw new Error("depthwise: channel mismatch");
  const sh = p.strideH ?? 1;
  const sw = p.strideW ?? 1;
  const dh = p.dilationH ?? 1;
  const dw = p.dilationW ?? 1;
  const ph = tflitePadding(p.padding, h, kh, sh, dh);
  const pw = tflitePadding(p.padding, wd, kw, sw, dw);
  const out = new Float32Array(n * ph.out * pw.out * oc);
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < ph.out; oy++)
      for (let ox = 0; ox < pw.out; ox++)
        for (let ic = 0; ic < c; ic++)
          for (let m = 0; m < multiplier; m++) {
            const o = ic * multiplier + m;
            let acc = bias ? bias[o]! : 0;
            for (let ky = 0; ky < kh; ky++) {
              const iy = oy * sh - ph.before + ky * dh;
              if (iy < 0 || iy >= h) continue;
              for (let kx = 0; kx < kw; kx++) {
                const ix = ox * sw - pw.before + kx * dw;
                if (ix < 0 || ix >= wd) continue;
                acc += x.data[((b * h + iy) * wd + ix) * c + ic]! * w.data[(ky * kw + kx) * oc + o]!;
              }
            }
            out[((b * ph.out + oy) * pw.out + ox) * oc + o] = act(acc, p.act);
          }
  return { shape: [n, ph.out, pw.out, oc], data: out };
}

/**
 * TRANSPOSE_CONV as TFLite's reference kernel computes it: every input pixel scatters its kernel
 * window into an output of the requested shape, offset by the padding TFLite derives from that shape.
 * x [N,H,W,I], w [O,KH,KW,I].
 */
export function transposeConv(
  x: Nd,
  w: Nd,
  bias: ArrayLike<number> | undefined,
  outShape: readonly [number, number, number, number],
  p: { padding: "SAME" | "VALID"; strideH: number; strideW: number; act?: Act },
): Nd {
  const [n, h, wd, c] = x.shape as [number, number, number, number];
  const [o, kh, kw] = w.shape as [number, number, number, number];
  const [, oh, ow] = outShape;
  const padTop = tflitePadding(p.padding, oh, kh, p.strideH, 1).before;
  const padLeft = tflitePadding(p.padding, ow, kw, p.strideW, 1).before;
  const out = new Float32Array(n * oh * ow * o);
  for (let b = 0; b < n; b++)
    for (let iy = 0; iy < h; iy++)
      for (let ix = 0; ix < wd; ix++)
        for (let ic = 0; ic < c; ic++) {
          const v = x.data[((b * h + iy) * wd + ix) * c + ic]!;
          for (let ky = 0; ky < kh; ky++) {
            const oy = iy * p.strideH - padTop + ky;
            if (oy < 0 || oy >= oh) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ox = ix * p.strideW - padLeft + kx;
              if (ox < 0 || ox >= ow) continue;
              for (let oc = 0; oc < o; oc++) {
                out[((b * oh + oy) * ow + ox) * o + oc]! += v * w.data[((oc * kh + ky) * kw + kx) * c + ic]!;
              }
            }
          }
        }
  for (let i = 0; i < out.length; i++) out[i] = act(out[i]! + (bias ? bias[i % o]! : 0), p.act);
  return { shape: [n, oh, ow, o], data: out };
}

/** MAX_POOL_2D / AVERAGE_POOL_2D; the average counts only the taps inside the input, as TFLite does. */
export function pool2d(
  kind: "max" | "avg",
  x: Nd,
  p: {
    padding: "SAME" | "VALID";
    filterH: number;
    filterW: number;
    strideH: number;
    strideW: number;
    act?: Act;
  },
): Nd {
  const [n, h, wd, c] = x.shape as [number, number, number, number];
  const ph = tflitePadding(p.padding, h, p.filterH, p.strideH, 1);
  const pw = tflitePadding(p.padding, wd, p.filterW, p.strideW, 1);
  const out = new Float32Array(n * ph.out * pw.out * c);
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < ph.out; oy++)
      for (let ox = 0; ox < pw.out; ox++)
        for (let ch = 0; ch < c; ch++) {
          let acc = kind === "max" ? Number.NEGATIVE_INFINITY : 0;
          let count = 0;
          for (let ky = 0; ky < p.filterH; ky++)
            for (let kx = 0; kx < p.filterW; kx++) {
              const iy = oy * p.strideH - ph.before + ky;
              const ix = ox * p.strideW - pw.before + kx;
              if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
              const v = x.data[((b * h + iy) * wd + ix) * c + ch]!;
              acc = kind === "max" ? Math.max(acc, v) : acc + v;
              count++;
            }
          out[((b * ph.out + oy) * pw.out + ox) * c + ch] = act(kind === "max" ? acc : acc / count, p.act);
        }
  return { shape: [n, ph.out, pw.out, c], data: out };
}

/** RESIZE_BILINEAR with TFLite's coordinate rules (align_corners / half_pixel_centers / neither). */
export function resizeBilinear(x: Nd, oh: number, ow: number, alignCorners: boolean, halfPixel: boolean): Nd {
  const [n, h, wd, c] = x.shape as [number, number, number, number];
  const scale = (inSize: number, outSize: number) =>
    alignCorners && outSize > 1 ? (inSize - 1) / (outSize - 1) : inSize / outSize;
  const sy = scale(h, oh);
  const sx = scale(wd, ow);
  const out = new Float32Array(n * oh * ow * c);
  const src = (o: number, s: number) => (halfPixel ? (o + 0.5) * s - 0.5 : o * s);
  for (let b = 0; b < n; b++)
    for (let y = 0; y < oh; y++) {
      const fy = src(y, sy);
      const y0 = Math.max(Math.floor(fy), 0);
      const y1 = Math.min(Math.ceil(fy), h - 1);
      for (let xo = 0; xo < ow; xo++) {
        const fx = src(xo, sx);
        const x0 = Math.max(Math.floor(fx), 0);
        const x1 = Math.min(Math.ceil(fx), wd - 1);
        for (let ch = 0; ch < c; ch++) {
          const at = (yy: number, xx: number) => x.data[((b * h + yy) * wd + xx) * c + ch]!;
          const v =
            at(y0, x0) * (1 - (fy - y0)) * (1 - (fx - x0)) +
            at(y1, x0) * (fy - y0) * (1 - (fx - x0)) +
            at(y0, x1) * (1 - (fy - y0)) * (fx - x0) +
            at(y1, x1) * (fy - y0) * (fx - x0);
          out[((b * oh + y) * ow + xo) * c + ch] = v;
        }
      }
    }
  return { shape: [n, oh, ow, c], data: out };
}

/** RESIZE_NEAREST_NEIGHBOR with TFLite's index rule. */
export function resizeNearest(x: Nd, oh: number, ow: number, alignCorners: boolean, halfPixel: boolean): Nd {
  const [n, h, wd, c] = x.shape as [number, number, number, number];
  const pick = (o: number, inSize: number, outSize: number) => {
    const scale = alignCorners && outSize > 1 ? (inSize - 1) / (outSize - 1) : inSize / outSize;
    const offset = halfPixel ? 0.5 : 0;
    const raw = alignCorners ? Math.round((o + offset) * scale) : Math.floor((o + offset) * scale);
    let v = Math.min(raw, inSize - 1);
    if (halfPixel) v = Math.max(0, v);
    return v;
  };
  const out = new Float32Array(n * oh * ow * c);
  for (let b = 0; b < n; b++)
    for (let y = 0; y < oh; y++)
      for (let xo = 0; xo < ow; xo++)
        for (let ch = 0; ch < c; ch++) {
          out[((b * oh + y) * ow + xo) * c + ch] =
            x.data[((b * h + pick(y, h, oh)) * wd + pick(xo, wd, ow)) * c + ch]!;
        }
  return { shape: [n, oh, ow, c], data: out };
}

/** Numpy-broadcasting binary op. */
export function broadcast(a: Nd, b: Nd, fn: (x: number, y: number) => number): Nd {
  const r = Math.max(a.shape.length, b.shape.length);
  const as = [...new Array(r - a.shape.length).fill(1), ...a.shape];
  const bs = [...new Array(r - b.shape.length).fill(1), ...b.shape];
  const shape = as.map((d, i) => Math.max(d, bs[i]!));
  const sa = stridesOf(as);
  const sb = stridesOf(bs);
  const out = new Float32Array(shape.reduce((p, d) => p * d, 1));
  forEachIndex(shape, (idx, f) => {
    let ia = 0;
    let ib = 0;
    for (let d = 0; d < r; d++) {
      if (as[d] !== 1) ia += idx[d]! * sa[d]!;
      if (bs[d] !== 1) ib += idx[d]! * sb[d]!;
    }
    out[f] = fn(a.data[ia]!, b.data[ib]!);
  });
  return { shape, data: out };
}

/** MEAN / SUM / REDUCE_MAX over `axes`. */
export function reduce(
  x: Nd,
  axes: readonly number[],
  keepDims: boolean,
  kind: "mean" | "sum" | "max" = "mean",
): Nd {
  const ax = new Set(axes.map((a) => (a < 0 ? a + x.shape.length : a)));
  const kept = x.shape.map((d, i) => (ax.has(i) ? 1 : d));
  const sk = stridesOf(kept);
  const n = kept.reduce((a, b) => a * b, 1);
  const acc = new Float32Array(n).fill(kind === "max" ? Number.NEGATIVE_INFINITY : 0);
  let count = 1;
  for (const a of ax) count *= x.shape[a]!;
  forEachIndex(x.shape, (idx, f) => {
    let o = 0;
    for (let d = 0; d < idx.length; d++) if (!ax.has(d)) o += idx[d]! * sk[d]!;
    acc[o] = kind === "max" ? Math.max(acc[o]!, x.data[f]!) : acc[o]! + x.data[f]!;
  });
  if (kind === "mean") for (let i = 0; i < n; i++) acc[i] = acc[i]! / count;
  return { shape: keepDims ? kept : x.shape.filter((_, i) => !ax.has(i)), data: acc };
}

/** SOFTMAX over the last axis: exp(beta*(x - max)) / sum. */
export function softmax(x: Nd, beta: number): Nd {
  const c = x.shape[x.shape.length - 1]!;
  const out = new Float32Array(x.data.length);
  for (let r = 0; r < x.data.length / c; r++) {
    let m = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < c; i++) m = Math.max(m, x.data[r * c + i]!);
    let s = 0;
    for (let i = 0; i < c; i++) s += Math.exp(beta * (x.data[r * c + i]! - m));
    for (let i = 0; i < c; i++) out[r * c + i] = Math.exp(beta * (x.data[r * c + i]! - m)) / s;
  }
  return { shape: [...x.shape], data: out };
}

/** FULLY_CONNECTED: rows of length K from x times w [U,K]ᵀ plus bias. */
export function fullyConnected(x: Nd, w: Nd, bias: ArrayLike<number> | undefined, a: Act = "NONE"): Nd {
  const [u, k] = w.shape as [number, number];
  const rows = x.data.length / k;
  const out = new Float32Array(rows * u);
  for (let r = 0; r < rows; r++)
    for (let j = 0; j < u; j++) {
      let acc = bias ? bias[j]! : 0;
      for (let i = 0; i < k; i++) acc += x.data[r * k + i]! * w.data[j * k + i]!;
      out[r * u + j] = act(acc, a);
    }
  return { shape: [rows, u], data: out };
}

export function concat(xs: readonly Nd[], axis: number): Nd {
  const r = xs[0]!.shape.length;
  const a = axis < 0 ? axis + r : axis;
  const shape = [...xs[0]!.shape];
  shape[a] = xs.reduce((s, t) => s + t.shape[a]!, 0);
  const out = new Float32Array(shape.reduce((p, d) => p * d, 1));
  const so = stridesOf(shape);
  let offset = 0;
  for (const t of xs) {
    forEachIndex(t.shape, (idx, f) => {
      let o = 0;
      for (let d = 0; d < r; d++) o += (d === a ? idx[d]! + offset : idx[d]!) * so[d]!;
      out[o] = t.data[f]!;
    });
    offset += t.shape[a]!;
  }
  return { shape, data: out };
}

/** Slices [start, start+size) along `axis` (SPLIT pieces). */
export function sliceAxis(x: Nd, axis: number, start: number, size: number): Nd {
  const shape = [...x.shape];
  shape[axis] = size;
  const sx = stridesOf(x.shape);
  const out = new Float32Array(shape.reduce((p, d) => p * d, 1));
  forEachIndex(shape, (idx, f) => {
    let i = 0;
    for (let d = 0; d < shape.length; d++) i += (d === axis ? idx[d]! + start : idx[d]!) * sx[d]!;
    out[f] = x.data[i]!;
  });
  return { shape, data: out };
}

/** PAD with paddings [[before, after], ...] and a constant fill. */
export function pad(x: Nd, paddings: readonly (readonly [number, number])[], value = 0): Nd {
  const shape = x.shape.map((d, i) => d + paddings[i]![0] + paddings[i]![1]);
  const out = new Float32Array(shape.reduce((p, d) => p * d, 1)).fill(value);
  const so = stridesOf(shape);
  forEachIndex(x.shape, (idx, f) => {
    let o = 0;
    for (let d = 0; d < idx.length; d++) o += (idx[d]! + paddings[d]![0]) * so[d]!;
    out[o] = x.data[f]!;
  });
  return { shape, data: out };
}

/** TRANSPOSE: out.dim[k] = in.dim[perm[k]]. */
export function transpose(x: Nd, perm: readonly number[]): Nd {
  const shape = perm.map((p) => x.shape[p]!);
  const sx = stridesOf(x.shape);
  const out = new Float32Array(x.data.length);
  forEachIndex(shape, (idx, f) => {
    let i = 0;
    for (let k = 0; k < perm.length; k++) i += idx[k]! * sx[perm[k]!]!;
    out[f] = x.data[i]!;
  });
  return { shape, data: out };
}

/**
 * STRIDED_SLICE as TensorFlow defines it (no ellipsis / new-axis): per dim, masked begin/end take the
 * full range in the stride's direction, negative indices count from the end, indices are clamped, and
 * a shrink-axis dim takes the single element at begin and disappears from the output.
 */
export function stridedSlice(
  x: Nd,
  begin: readonly number[],
  end: readonly number[],
  strides: readonly number[],
  masks: { begin?: number; end?: number; shrink?: number } = {},
): Nd {
  const picks: number[][] = x.shape.map((d, i) => {
    const shrink = ((masks.shrink ?? 0) >> i) & 1;
    if (shrink) {
      const b = begin[i]! < 0 ? begin[i]! + d : begin[i]!;
      return [b];
    }
    const s = strides[i] ?? 1;
    let b: number;
    let e: number;
    if (((masks.begin ?? 0) >> i) & 1 || i >= begin.length) b = s > 0 ? 0 : d - 1;
    else {
      b = begin[i]! < 0 ? begin[i]! + d : begin[i]!;
      b = s > 0 ? Math.min(Math.max(b, 0), d) : Math.min(Math.max(b, -1), d - 1);
    }
    if (((masks.end ?? 0) >> i) & 1 || i >= end.length) e = s > 0 ? d : -1;
    else {
      e = end[i]! < 0 ? end[i]! + d : end[i]!;
      e = s > 0 ? Math.min(Math.max(e, 0), d) : Math.min(Math.max(e, -1), d - 1);
    }
    const list: number[] = [];
    for (let k = b; s > 0 ? k < e : k > e; k += s) list.push(k);
    return list;
  });
  const fullShape = picks.map((p) => p.length);
  const sx = stridesOf(x.shape);
  const out = new Float32Array(fullShape.reduce((p, d) => p * d, 1));
  forEachIndex(fullShape, (idx, f) => {
    let i = 0;
    for (let d = 0; d < idx.length; d++) i += picks[d]![idx[d]!]! * sx[d]!;
    out[f] = x.data[i]!;
  });
  return { shape: fullShape.filter((_, i) => !(((masks.shrink ?? 0) >> i) & 1)), data: out };
}

/** Largest |a-b| / (1 + |b|) over two equally long arrays. */
export function maxRelError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i]! - b[i]!) / (1 + Math.abs(b[i]!));
    if (!(e <= m)) m = Number.isNaN(e) ? Number.POSITIVE_INFINITY : e;
  }
  return m;
}
