/** Straightforward GEMM-family loops: the readable definition the fast kernels are tested against. */
import type { Conv2dGeometry } from "./kernels/conv-params.js";

export function conv2dNaive(x: Float32Array, w: Float32Array, bias: Float32Array | undefined, g: Conv2dGeometry) {
  const out = new Float32Array(g.n * g.o * g.oh * g.ow);
  const cg = g.c / g.group;
  const og = g.o / g.group;
  for (let b = 0; b < g.n; b++) {
    for (let oc = 0; oc < g.o; oc++) {
      const grp = Math.floor(oc / og);
      const outPlane = (b * g.o + oc) * g.oh * g.ow;
      out.fill(bias ? bias[oc]! : 0, outPlane, outPlane + g.oh * g.ow);
      for (let ic = 0; ic < cg; ic++) {
        const inPlane = (b * g.c + grp * cg + ic) * g.h * g.w;
        for (let ky = 0; ky < g.kh; ky++) {
          for (let kx = 0; kx < g.kw; kx++) {
            const wv = w[((oc * cg + ic) * g.kh + ky) * g.kw + kx]!;
            if (wv === 0) continue;
            for (let y = 0; y < g.oh; y++) {
              const iy = y * g.strideH - g.padTop + ky * g.dilationH;
              if (iy < 0 || iy >= g.h) continue;
              const row = inPlane + iy * g.w;
              const orow = outPlane + y * g.ow;
              for (let xo = 0; xo < g.ow; xo++) {
                const ix = xo * g.strideW - g.padLeft + kx * g.dilationW;
                if (ix < 0 || ix >= g.w) continue;
                out[orow + xo]! += wv * x[row + ix]!;
              }
            }
          }
        }
      }
    }
  }
  return out;
}

export interface ConvTransposeGeometryNaive {
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
  group: number;
  oh: number;
  ow: number;
}

/** Weight layout C_in × (O/group) × kh × kw; output cropped by padTop/padLeft. */
export function convTranspose2dNaive(
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array | undefined,
  g: ConvTransposeGeometryNaive,
) {
  const out = new Float32Array(g.n * g.o * g.oh * g.ow);
  const cg = g.c / g.group;
  const og = g.o / g.group;
  for (let b = 0; b < g.n; b++) {
    for (let oc = 0; oc < g.o; oc++) out.fill(bias ? bias[oc]! : 0, (b * g.o + oc) * g.oh * g.ow, (b * g.o + oc + 1) * g.oh * g.ow);
    for (let ic = 0; ic < g.c; ic++) {
      const grp = Math.floor(ic / cg);
      for (let ocg = 0; ocg < og; ocg++) {
        const oc = grp * og + ocg;
        for (let iy = 0; iy < g.h; iy++) {
          for (let ix = 0; ix < g.w; ix++) {
            const v = x[((b * g.c + ic) * g.h + iy) * g.w + ix]!;
            for (let ky = 0; ky < g.kh; ky++) {
              const oy = iy * g.strideH + ky - g.padTop;
              if (oy < 0 || oy >= g.oh) continue;
              for (let kx = 0; kx < g.kw; kx++) {
                const ox = ix * g.strideW + kx - g.padLeft;
                if (ox < 0 || ox >= g.ow) continue;
                out[((b * g.o + oc) * g.oh + oy) * g.ow + ox]! += v * w[((ic * og + ocg) * g.kh + ky) * g.kw + kx]!;
              }
            }
          }
        }
      }
    }
  }
  return out;
}

/** Row-major [m×k]·[k×n]. */
export function matmulNaive(a: Float32Array, b: Float32Array, m: number, k: number, n: number): Float32Array {
  const out = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const av = a[i * k + p]!;
      for (let j = 0; j < n; j++) out[i * n + j]! += av * b[p * n + j]!;
    }
  }
  return out;
}
