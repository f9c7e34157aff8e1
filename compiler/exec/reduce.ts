/** Reductions and the normalizations built on them (softmax, layer norm). */
import { normalizeAxis } from "../ir/shapes.js";
import { sizeOf, type Tensor } from "../ir/tensor.js";

type Reducer = "mean" | "sum" | "max";

export function reduce(x: Tensor, axes: readonly number[], keepDims: boolean, kind: Reducer): Tensor {
  const rank = x.shape.length;
  const set = new Set((axes.length ? axes : x.shape.map((_, i) => i)).map((a) => normalizeAxis(a, rank)));
  const outShapeKeep = x.shape.map((d, i) => (set.has(i) ? 1 : d));
  const outN = sizeOf(outShapeKeep);
  const acc = new Float64Array(outN).fill(kind === "max" ? -Infinity : 0);
  const outStrides: number[] = [];
  let s = 1;
  for (let i = rank - 1; i >= 0; i--) {
    outStrides[i] = set.has(i) ? 0 : s;
    s *= outShapeKeep[i]!;
  }
  const idx = new Array<number>(rank).fill(0);
  const n = x.data.length;
  for (let i = 0; i < n; i++) {
    let o = 0;
    for (let d = 0; d < rank; d++) o += idx[d]! * outStrides[d]!;
    const v = x.data[i]!;
    if (kind === "max") {
      if (v > acc[o]!) acc[o] = v;
    } else acc[o]! += v;
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d]! < x.shape[d]!) break;
      idx[d] = 0;
    }
  }
  const count = n / outN;
  const out = new Float32Array(outN);
  for (let i = 0; i < outN; i++) out[i] = kind === "mean" ? acc[i]! / count : acc[i]!;
  const shape = keepDims ? outShapeKeep : x.shape.filter((_, i) => !set.has(i));
  return { dtype: "float32", shape, data: out };
}

/** Views x as [outer, axisLen, inner] around `axis`. */
function around(x: Tensor, axis: number): [number, number, number] {
  const a = normalizeAxis(axis, x.shape.length);
  return [sizeOf(x.shape.slice(0, a)), x.shape[a]!, sizeOf(x.shape.slice(a + 1))];
}

export function softmax(x: Tensor, axis: number): Tensor {
  const [outer, len, inner] = around(x, axis);
  const out = new Float32Array(x.data.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * len * inner + i;
      let max = -Infinity;
      for (let k = 0; k < len; k++) max = Math.max(max, x.data[base + k * inner]!);
      let sum = 0;
      for (let k = 0; k < len; k++) {
        const e = Math.exp(x.data[base + k * inner]! - max);
        out[base + k * inner] = e;
        sum += e;
      }
      for (let k = 0; k < len; k++) out[base + k * inner]! /= sum;
    }
  }
  return { dtype: "float32", shape: [...x.shape], data: out };
}

/** Normalizes over all dims from `axis` on; scale and bias broadcast over those dims. */
export function layerNorm(
  x: Tensor,
  scale: Tensor,
  bias: Tensor | undefined,
  axis: number,
  epsilon: number,
): Tensor {
  const a = normalizeAxis(axis, x.shape.length);
  const len = sizeOf(x.shape.slice(a));
  const rows = x.data.length / len;
  const out = new Float32Array(x.data.length);
  const sc = scale.data;
  const bi = bias?.data;
  for (let r = 0; r < rows; r++) {
    const base = r * len;
    let mean = 0;
    for (let k = 0; k < len; k++) mean += x.data[base + k]!;
    mean /= len;
    let v = 0;
    for (let k = 0; k < len; k++) {
      const d = x.data[base + k]! - mean;
      v += d * d;
    }
    const inv = 1 / Math.sqrt(v / len + epsilon);
    for (let k = 0; k < len; k++) {
      const y = (x.data[base + k]! - mean) * inv * sc[sc.length === 1 ? 0 : k % sc.length]!;
      out[base + k] = bi ? y + bi[bi.length === 1 ? 0 : k % bi.length]! : y;
    }
  }
  return { dtype: "float32", shape: [...x.shape], data: out };
}
