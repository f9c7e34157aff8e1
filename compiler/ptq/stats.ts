/**
 * Second-order statistics of a convolution's inputs, gathered from sampled im2col rows without ever
 * materializing all patches: H = Σ v·vᵀ over the quantized inputs and C = Σ v·xᵀ against the float
 * inputs (both with a trailing 1 for the bias), accumulated in float64 block by block.
 */
import { defaultGemmBackend } from "../exec/float.js";
import type { Conv2dGeometry } from "../exec/kernels/conv-params.js";

export { prng } from "../prng.js";

export interface ConvStats {
  /** Row length including the trailing 1. */
  k: number;
  h: Float64Array;
  c: Float64Array;
  n: number;
}

/** Fills `row` with the im2col patch of output position (b, y, x); out-of-image taps are 0. */
function patch(
  src: Float32Array,
  g: Conv2dGeometry,
  b: number,
  y: number,
  x: number,
  row: Float32Array,
  offset: number,
): void {
  let i = offset;
  const cg = g.c / g.group;
  for (let c = 0; c < cg; c++) {
    const plane = (b * g.c + c) * g.h * g.w;
    for (let ky = 0; ky < g.kh; ky++) {
      const iy = y * g.strideH - g.padTop + ky * g.dilationH;
      for (let kx = 0; kx < g.kw; kx++) {
        const ix = x * g.strideW - g.padLeft + kx * g.dilationW;
        row[i++] = iy < 0 || iy >= g.h || ix < 0 || ix >= g.w ? 0 : src[plane + iy * g.w + ix]!;
      }
    }
  }
  row[i] = 1;
}

export class ConvStatsAccumulator {
  readonly k: number;
  private readonly h: Float64Array;
  private readonly c: Float64Array;
  private n = 0;

  constructor(
    private readonly g: Conv2dGeometry,
    private readonly perImage: number,
    private readonly rand: () => number,
  ) {
    if (g.group !== 1) throw new Error("second-order statistics need group = 1");
    this.k = (g.c / g.group) * g.kh * g.kw + 1;
    this.h = new Float64Array(this.k * this.k);
    this.c = new Float64Array(this.k * this.k);
  }

  /** One image: `quant` are the centered decoded inputs, `float` the float inputs in the same units. */
  async add(quant: Float32Array, float: Float32Array): Promise<void> {
    const { g, k } = this;
    const positions = g.oh * g.ow;
    const p = Math.min(this.perImage, positions);
    const v = new Float32Array(p * k);
    const x = new Float32Array(p * k);
    for (let s = 0; s < p; s++) {
      const pos = p === positions ? s : Math.floor(this.rand() * positions);
      const y = Math.floor(pos / g.ow);
      const xx = pos % g.ow;
      patch(quant, g, 0, y, xx, v, s * k);
      patch(float, g, 0, y, xx, x, s * k);
    }
    const vt = new Float32Array(k * p);
    for (let s = 0; s < p; s++) for (let j = 0; j < k; j++) vt[j * p + s] = v[s * k + j]!;
    const backend = defaultGemmBackend();
    const hh = await backend.matmul(vt, v, k, p, k);
    const cc = await backend.matmul(vt, x, k, p, k);
    for (let i = 0; i < k * k; i++) {
      this.h[i]! += hh[i]!;
      this.c[i]! += cc[i]!;
    }
    this.n += p;
  }

  finish(): ConvStats {
    return { k: this.k, h: this.h, c: this.c, n: this.n };
  }
}
