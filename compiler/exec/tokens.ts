/**
 * Float kernels of the channel-major transformer ops (compiler/ir/graph.ts: ChannelLayerNorm,
 * Attention). Tokens are the pixels of an NCHW tensor, features its channels.
 */
import type { Tensor } from "../ir/tensor.js";

function f32(t: Tensor | undefined): Float32Array | undefined {
  return t ? (t.data as Float32Array) : undefined;
}

export function channelLayerNorm(
  x: Tensor,
  scale: Tensor | undefined,
  bias: Tensor | undefined,
  epsilon: number,
): Tensor {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const plane = h * w;
  const xd = f32(x)!;
  const g = f32(scale);
  const b = f32(bias);
  const out = new Float32Array(xd.length);
  for (let i = 0; i < n; i++) {
    const base = i * c * plane;
    for (let p = 0; p < plane; p++) {
      let mean = 0;
      for (let ch = 0; ch < c; ch++) mean += xd[base + ch * plane + p]!;
      mean /= c;
      let variance = 0;
      for (let ch = 0; ch < c; ch++) {
        const d = xd[base + ch * plane + p]! - mean;
        variance += d * d;
      }
      const inv = 1 / Math.sqrt(variance / c + epsilon);
      for (let ch = 0; ch < c; ch++) {
        const k = base + ch * plane + p;
        out[k] = (xd[k]! - mean) * inv * (g ? g[ch]! : 1) + (b ? b[ch]! : 0);
      }
    }
  }
  return { dtype: "float32", shape: [...x.shape], data: out };
}

export function attention(qkv: Tensor, heads: number, scale: number): Tensor {
  const [n, c3, h, w] = qkv.shape as [number, number, number, number];
  const d = c3 / 3;
  const hd = d / heads;
  const t = h * w;
  const x = f32(qkv)!;
  const out = new Float32Array(n * d * t);
  const row = new Float64Array(t);
  for (let b = 0; b < n; b++) {
    const base = b * c3 * t;
    for (let head = 0; head < heads; head++) {
      const q0 = base + head * hd * t;
      const k0 = base + (d + head * hd) * t;
      const v0 = base + (2 * d + head * hd) * t;
      const o0 = b * d * t + head * hd * t;
      for (let i = 0; i < t; i++) {
        let max = Number.NEGATIVE_INFINITY;
        for (let j = 0; j < t; j++) {
          let s = 0;
          for (let e = 0; e < hd; e++) s += x[q0 + e * t + i]! * x[k0 + e * t + j]!;
          row[j] = s * scale;
          if (row[j]! > max) max = row[j]!;
        }
        let sum = 0;
        for (let j = 0; j < t; j++) {
          row[j] = Math.exp(row[j]! - max);
          sum += row[j]!;
        }
        for (let e = 0; e < hd; e++) {
          let acc = 0;
          for (let j = 0; j < t; j++) acc += row[j]! * x[v0 + e * t + j]!;
          out[o0 + e * t + i] = acc / sum;
        }
      }
    }
  }
  return { dtype: "float32", shape: [n, d, h, w], data: out };
}
