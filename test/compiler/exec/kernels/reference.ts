/** Naive loops straight from the definitions, in float64: the oracles the fast kernels are tested against. */

import type { Conv2dGeometry } from "../../../../compiler/exec/kernels/conv-params.js";
import { prng } from "../../../../compiler/prng.js";

export function referenceConv2d(
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array | undefined,
  g: Conv2dGeometry,
): Float32Array {
  const cg = g.c / g.group;
  const og = g.o / g.group;
  const out = new Float32Array(g.n * g.o * g.oh * g.ow);
  for (let n = 0; n < g.n; n++) {
    for (let o = 0; o < g.o; o++) {
      const gi = Math.floor(o / og);
      for (let oy = 0; oy < g.oh; oy++) {
        for (let ox = 0; ox < g.ow; ox++) {
          let sum = bias ? bias[o]! : 0;
          for (let ci = 0; ci < cg; ci++) {
            const c = gi * cg + ci;
            for (let ky = 0; ky < g.kh; ky++) {
              const iy = oy * g.strideH + ky * g.dilationH - g.padTop;
              if (iy < 0 || iy >= g.h) continue;
              for (let kx = 0; kx < g.kw; kx++) {
                const ix = ox * g.strideW + kx * g.dilationW - g.padLeft;
                if (ix < 0 || ix >= g.w) continue;
                sum +=
                  x[((n * g.c + c) * g.h + iy) * g.w + ix]! * w[((o * cg + ci) * g.kh + ky) * g.kw + kx]!;
              }
            }
          }
          out[((n * g.o + o) * g.oh + oy) * g.ow + ox] = sum;
        }
      }
    }
  }
  return out;
}

export interface ReferenceConvTransposeGeometry {
  n: number;
  c: number;
  h: number;
  w: number;
  o: number;
  kh: number;
  kw: number;
  strideH: number;
  strideW: number;
  padTop: number;
  padLeft: number;
  dilationH: number;
  dilationW: number;
  group: number;
  oh: number;
  ow: number;
}

/** Scatter form of the transposed convolution: every input pixel adds w·x into a kh×kw output window. */
export function referenceConvTranspose2d(
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array | undefined,
  g: ReferenceConvTransposeGeometry,
): Float32Array {
  const cg = g.c / g.group;
  const og = g.o / g.group;
  const acc = new Float64Array(g.n * g.o * g.oh * g.ow);
  for (let n = 0; n < g.n; n++) {
    for (let c = 0; c < g.c; c++) {
      const gi = Math.floor(c / cg);
      for (let iy = 0; iy < g.h; iy++) {
        for (let ix = 0; ix < g.w; ix++) {
          const v = x[((n * g.c + c) * g.h + iy) * g.w + ix]!;
          for (let oo = 0; oo < og; oo++) {
            const o = gi * og + oo;
            for (let ky = 0; ky < g.kh; ky++) {
              const oy = iy * g.strideH + ky * g.dilationH - g.padTop;
              if (oy < 0 || oy >= g.oh) continue;
              for (let kx = 0; kx < g.kw; kx++) {
                const ox = ix * g.strideW + kx * g.dilationW - g.padLeft;
                if (ox < 0 || ox >= g.ow) continue;
                acc[((n * g.o + o) * g.oh + oy) * g.ow + ox]! +=
                  v * w[((c * og + oo) * g.kh + ky) * g.kw + kx]!;
              }
            }
          }
        }
      }
    }
  }
  if (bias) for (let i = 0; i < acc.length; i++) acc[i]! += bias[Math.floor(i / (g.oh * g.ow)) % g.o]!;
  return Float32Array.from(acc);
}

export function referenceMatmul(
  a: Float32Array,
  b: Float32Array,
  m: number,
  k: number,
  n: number,
): Float32Array {
  const out = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let kk = 0; kk < k; kk++) sum += a[i * k + kk]! * b[kk * n + j]!;
      out[i * n + j] = sum;
    }
  }
  return out;
}

/** Deterministic uniform values in [-1, 1) from a seed (mulberry32), so failures reproduce. */
export function randomFloats(count: number, seed: number): Float32Array {
  const rand = prng(seed);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = rand() * 2 - 1;
  return out;
}

export function randomInt(lo: number, hi: number, seed: number): number {
  return lo + Math.floor(((randomFloats(1, seed)[0]! + 1) / 2) * (hi - lo + 1));
}

/** Largest |a−b|; Infinity when the lengths differ or either side has a NaN, so it can never pass. */
export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (Number.isNaN(d)) return Number.POSITIVE_INFINITY;
    if (d > worst) worst = d;
  }
  return worst;
}

/** Output size of a convolution from its input size, for building test geometries. */
export function convOutSize(
  size: number,
  k: number,
  stride: number,
  dilation: number,
  padBefore: number,
  padAfter: number,
): number {
  return Math.floor((size + padBefore + padAfter - (k - 1) * dilation - 1) / stride) + 1;
}
