/** Data-movement kernels: transpose, concat, split, slice, pad. They work for any dtype. */
import { normalizeAxis } from "../ir/shapes.js";
import { allocData, sizeOf, stridesOf, type Tensor } from "../ir/tensor.js";

export function transpose(x: Tensor, perm: readonly number[]): Tensor {
  const shape = perm.map((p) => x.shape[p]!);
  const inStrides = stridesOf(x.shape);
  const permStrides = perm.map((p) => inStrides[p]!);
  const n = sizeOf(shape);
  const out = allocData(x.dtype, n);
  const rank = shape.length;
  const idx = new Array<number>(rank).fill(0);
  const src = x.data;
  const inner = shape[rank - 1] ?? 1;
  const innerStride = permStrides[rank - 1] ?? 1;
  for (let o = 0; o < n; o += inner) {
    let p = 0;
    for (let d = 0; d < rank - 1; d++) p += idx[d]! * permStrides[d]!;
    for (let j = 0; j < inner; j++) out[o + j] = src[p + j * innerStride]!;
    for (let d = rank - 2; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
  return { dtype: x.dtype, shape, data: out };
}

export function concat(xs: readonly Tensor[], axis: number): Tensor {
  const first = xs[0]!;
  const a = normalizeAxis(axis, first.shape.length);
  const outer = sizeOf(first.shape.slice(0, a));
  const shape = [...first.shape];
  shape[a] = xs.reduce((s, t) => s + t.shape[a]!, 0);
  const out = allocData(first.dtype, sizeOf(shape));
  const outRow = sizeOf(shape.slice(a));
  let offset = 0;
  for (const t of xs) {
    const row = sizeOf(t.shape.slice(a));
    for (let i = 0; i < outer; i++) out.set(t.data.subarray(i * row, (i + 1) * row), i * outRow + offset);
    offset += row;
  }
  return { dtype: first.dtype, shape, data: out };
}

export function split(x: Tensor, axis: number, sizes: readonly number[]): Tensor[] {
  const a = normalizeAxis(axis, x.shape.length);
  const outer = sizeOf(x.shape.slice(0, a));
  const inRow = sizeOf(x.shape.slice(a));
  const inner = sizeOf(x.shape.slice(a + 1));
  let offset = 0;
  return sizes.map((s) => {
    const shape = [...x.shape];
    shape[a] = s;
    const row = s * inner;
    const out = allocData(x.dtype, outer * row);
    for (let i = 0; i < outer; i++)
      out.set(x.data.subarray(i * inRow + offset, i * inRow + offset + row), i * row);
    offset += row;
    return { dtype: x.dtype, shape, data: out };
  });
}

export function slice(
  x: Tensor,
  starts: readonly number[],
  ends: readonly number[],
  steps: readonly number[],
): Tensor {
  const shape = x.shape.map((_, i) => Math.max(0, Math.ceil((ends[i]! - starts[i]!) / steps[i]!)));
  const n = sizeOf(shape);
  const out = allocData(x.dtype, n);
  const strides = stridesOf(x.shape);
  const rank = shape.length;
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0; o < n; o++) {
    let p = 0;
    for (let d = 0; d < rank; d++) p += (starts[d]! + idx[d]! * steps[d]!) * strides[d]!;
    out[o] = x.data[p]!;
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
  return { dtype: x.dtype, shape, data: out };
}

function sourceIndex(i: number, size: number, mode: "constant" | "reflect" | "edge"): number {
  if (i >= 0 && i < size) return i;
  if (mode === "constant") return -1;
  if (mode === "edge") return i < 0 ? 0 : size - 1;
  // reflect without repeating the border, as numpy/ONNX "reflect"
  const period = 2 * (size - 1);
  if (period === 0) return 0;
  let m = ((i % period) + period) % period;
  if (m >= size) m = period - m;
  return m;
}

export function pad(
  x: Tensor,
  pads: readonly number[],
  mode: "constant" | "reflect" | "edge",
  value: number,
): Tensor {
  const rank = x.shape.length;
  const shape = x.shape.map((d, i) => d + pads[i]! + pads[i + rank]!);
  const n = sizeOf(shape);
  const out = allocData(x.dtype, n);
  const strides = stridesOf(x.shape);
  const idx = new Array<number>(rank).fill(0);
  const inner = shape[rank - 1]!;
  const lastPad = pads[rank - 1]!;
  const lastSize = x.shape[rank - 1]!;
  const colMap = new Int32Array(inner);
  for (let j = 0; j < inner; j++) colMap[j] = sourceIndex(j - lastPad, lastSize, mode);
  for (let o = 0; o < n; o += inner) {
    let p = 0;
    let outside = false;
    for (let d = 0; d < rank - 1; d++) {
      const s = sourceIndex(idx[d]! - pads[d]!, x.shape[d]!, mode);
      if (s < 0) {
        outside = true;
        break;
      }
      p += s * strides[d]!;
    }
    for (let j = 0; j < inner; j++) {
      const c = colMap[j]!;
      out[o + j] = outside || c < 0 ? value : x.data[p + c]!;
    }
    for (let d = rank - 2; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
  return { dtype: x.dtype, shape, data: out };
}
