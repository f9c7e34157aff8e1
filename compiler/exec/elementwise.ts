/** Elementwise float/int kernels with numpy broadcasting. */
import {
  allocData,
  broadcastShapes,
  type DType,
  sizeOf,
  stridesOf,
  type Tensor,
  type TensorData,
} from "../ir/tensor.js";

export type BinaryFn = (a: number, b: number) => number;
export type UnaryFn = (a: number) => number;

/** Strides of `shape` viewed in the broadcast `out` shape (0 where the dim is broadcast). */
function broadcastStrides(shape: readonly number[], out: readonly number[]): number[] {
  const own = stridesOf(shape);
  const offset = out.length - shape.length;
  return out.map((d, i) => {
    const k = i - offset;
    if (k < 0) return 0;
    return shape[k] === 1 && d !== 1 ? 0 : own[k]!;
  });
}

export function binary(a: Tensor, b: Tensor, fn: BinaryFn, dtype: DType = a.dtype): Tensor {
  const shape = broadcastShapes(a.shape, b.shape);
  const n = sizeOf(shape);
  const out = allocData(dtype, n);
  const ad = a.data;
  const bd = b.data;
  if (ad.length === n && bd.length === n) {
    for (let i = 0; i < n; i++) out[i] = fn(ad[i]!, bd[i]!);
  } else if (bd.length === 1) {
    const s = bd[0]!;
    for (let i = 0; i < n; i++) out[i] = fn(ad[i]!, s);
  } else if (ad.length === 1) {
    const s = ad[0]!;
    for (let i = 0; i < n; i++) out[i] = fn(s, bd[i]!);
  } else {
    stridedBinary(ad, bd, out, shape, broadcastStrides(a.shape, shape), broadcastStrides(b.shape, shape), fn);
  }
  return { dtype, shape, data: out };
}

function stridedBinary(
  ad: TensorData,
  bd: TensorData,
  out: TensorData,
  shape: readonly number[],
  sa: readonly number[],
  sb: readonly number[],
  fn: BinaryFn,
): void {
  const rank = shape.length;
  const inner = shape[rank - 1] ?? 1;
  const ia = sa[rank - 1] ?? 0;
  const ib = sb[rank - 1] ?? 0;
  const outer = sizeOf(shape) / inner;
  const idx = new Array<number>(rank).fill(0);
  let o = 0;
  for (let row = 0; row < outer; row++) {
    let pa = 0;
    let pb = 0;
    for (let d = 0; d < rank - 1; d++) {
      pa += idx[d]! * sa[d]!;
      pb += idx[d]! * sb[d]!;
    }
    for (let j = 0; j < inner; j++, o++) out[o] = fn(ad[pa + j * ia]!, bd[pb + j * ib]!);
    for (let d = rank - 2; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
}

export function unary(x: Tensor, fn: UnaryFn, dtype: DType = x.dtype): Tensor {
  const out = allocData(dtype, x.data.length);
  const d = x.data;
  for (let i = 0; i < d.length; i++) out[i] = fn(d[i]!);
  return { dtype, shape: [...x.shape], data: out };
}

/** erf with |error| < 1.2e-7 (Numerical Recipes' erfc Chebyshev fit), enough for float32 GELU. */
export function erf(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - r : r - 1;
}

export function gelu(x: number): number {
  return 0.5 * x * (1 + erf(x / Math.SQRT2));
}

export function geluTanh(x: number): number {
  return 0.5 * x * (1 + Math.tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));
}

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}
