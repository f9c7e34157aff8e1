/**
 * Transposed 2-D convolution ("deconvolution"), NCHW, weights C_in × O/group × kh × kw as in ONNX and
 * PyTorch. Output pixel (oy, ox) gathers input pixel (iy, ix) through tap (ky, kx) when
 * oy = iy·strideH − padTop + ky·dilationH (likewise for x).
 *
 * Computed as a GEMM followed by col2im: cols[(o, ky, kx)][pixel] = Σ_c W[c][o][ky][kx] · x[c][pixel] on the
 * micro-kernel, then each column is added into its output window. Input rows are processed in chunks so
 * the cols buffer stays bounded.
 */
import type { KernelOptions } from "./conv.js";
import type { Conv2dGeometry } from "./conv-params.js";
import { type GemmEngine, gemmEngine } from "./gemm-engine.js";
import { gemmInto, rowMajor } from "./matmul.js";

/**
 * (c, h, w) describe the input, (o, oh, ow) the output. Only the top/left padding enters the arithmetic:
 * bottom/right padding and output padding are implied by oh/ow (see `convTransposeGeometry`). The fields
 * are those of a convolution; only their roles differ.
 */
export type ConvTransposeGeometry = Conv2dGeometry;

/** ONNX/PyTorch attributes of a transposed convolution, from which oh/ow follow. */
export interface ConvTransposeAttributes {
  n: number;
  c: number;
  h: number;
  w: number;
  o: number;
  kh: number;
  kw: number;
  strides?: [number, number];
  /** top, left, bottom, right */
  pads?: [number, number, number, number];
  outputPadding?: [number, number];
  dilations?: [number, number];
  group?: number;
}

export function convTransposeGeometry(a: ConvTransposeAttributes): ConvTransposeGeometry {
  const [strideH, strideW] = a.strides ?? [1, 1];
  const [padTop, padLeft, padBottom, padRight] = a.pads ?? [0, 0, 0, 0];
  const [outPadH, outPadW] = a.outputPadding ?? [0, 0];
  const [dilationH, dilationW] = a.dilations ?? [1, 1];
  if (outPadH >= Math.max(strideH, dilationH) || outPadW >= Math.max(strideW, dilationW)) {
    throw new Error(
      `convTranspose2d: output padding ${outPadH}×${outPadW} must be smaller than the stride or dilation (${strideH}×${strideW}, ${dilationH}×${dilationW})`,
    );
  }
  return {
    n: a.n,
    c: a.c,
    h: a.h,
    w: a.w,
    o: a.o,
    kh: a.kh,
    kw: a.kw,
    strideH,
    strideW,
    padTop,
    padLeft,
    dilationH,
    dilationW,
    group: a.group ?? 1,
    oh: (a.h - 1) * strideH - padTop - padBottom + dilationH * (a.kh - 1) + outPadH + 1,
    ow: (a.w - 1) * strideW - padLeft - padRight + dilationW * (a.kw - 1) + outPadW + 1,
  };
}

export function checkConvTranspose2d(
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array | undefined,
  g: ConvTransposeGeometry,
  where = "convTranspose2d",
): void {
  const { n, c, h, w: width, o, kh, kw, strideH, strideW, dilationH, dilationW, group, oh, ow } = g;
  const positive = { n, c, h, w: width, o, kh, kw, strideH, strideW, dilationH, dilationW, group, oh, ow };
  for (const [name, value] of Object.entries(positive)) {
    if (!Number.isInteger(value) || value < 1)
      throw new Error(`${where}: geometry.${name} = ${value} must be an integer ≥ 1`);
  }
  for (const [name, value] of Object.entries({ padTop: g.padTop, padLeft: g.padLeft })) {
    if (!Number.isInteger(value) || value < 0)
      throw new Error(`${where}: geometry.${name} = ${value} must be an integer ≥ 0`);
  }
  if (c % group !== 0 || o % group !== 0) {
    throw new Error(`${where}: channels in ${c} and out ${o} must both be divisible by group ${group}`);
  }
  if (x.length !== n * c * h * width) {
    throw new Error(`${where}: input has ${x.length} elements but n×c×h×w = ${n}×${c}×${h}×${width}`);
  }
  const og = o / group;
  if (w.length !== c * og * kh * kw) {
    throw new Error(
      `${where}: weights have ${w.length} elements but C×(O/group)×kh×kw = ${c}×${og}×${kh}×${kw} = ${c * og * kh * kw}`,
    );
  }
  if (bias !== undefined && bias.length !== o) {
    throw new Error(`${where}: bias has ${bias.length} elements but there are ${o} output channels`);
  }
}

export function convTranspose2dMacs(g: ConvTransposeGeometry): number {
  return g.n * g.c * g.h * g.w * (g.o / g.group) * g.kh * g.kw;
}

export function convTranspose2d(
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array | undefined,
  g: ConvTransposeGeometry,
  options: KernelOptions = {},
): Float32Array {
  checkConvTranspose2d(x, w, bias, g);
  const out = new Float32Array(g.n * g.o * g.oh * g.ow);
  convTranspose2dChannelsInto(x, w, bias, g, 0, g.o, out, gemmEngine(options.engine));
  return out;
}

/** Upper bound (floats) on the cols buffer of one chunk of input rows. */
const COLS_FLOATS = 1 << 21;

/**
 * Writes output channels [oStart, oEnd) (absolute channel indices, any groups) of every image into `out`,
 * a full NCHW output. Workers call this on disjoint channel ranges. The caller has validated the arguments.
 */
export function convTranspose2dChannelsInto(
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array | undefined,
  g: ConvTransposeGeometry,
  oStart: number,
  oEnd: number,
  out: Float32Array,
  engine: GemmEngine,
): void {
  const { c, h, w: width, o, kh, kw, group, oh, ow } = g;
  const cg = c / group;
  const og = o / group;
  const taps = kh * kw;
  const plane = oh * ow;
  for (let img = 0; img < g.n; img++) {
    for (let ch = oStart; ch < oEnd; ch++)
      out.fill(bias ? bias[ch]! : 0, (img * o + ch) * plane, (img * o + ch + 1) * plane);
  }
  const firstGroup = Math.floor(oStart / og);
  const lastGroup = Math.floor((oEnd - 1) / og);
  const maxRows = (Math.min(oEnd - oStart, og) * taps) | 0;
  const chunkInRows = Math.max(1, Math.min(h, Math.floor(COLS_FLOATS / (maxRows * width))));
  const cols = new Float32Array(maxRows * chunkInRows * width);

  for (let img = 0; img < g.n; img++) {
    for (let gi = firstGroup; gi <= lastGroup; gi++) {
      const o0 = Math.max(oStart, gi * og) - gi * og;
      const o1 = Math.min(oEnd, (gi + 1) * og) - gi * og;
      for (let iy0 = 0; iy0 < h; iy0 += chunkInRows) {
        const rows = Math.min(chunkInRows, h - iy0);
        const pixels = rows * width;
        // A[(oo, ky, kx)][c] = w[gi·cg + c][oo][ky][kx]: the group's weight slice read transposed.
        const a = { data: w, offset: (gi * cg * og + o0) * taps, rowStride: 1, colStride: og * taps };
        const b = {
          data: x,
          offset: ((img * c + gi * cg) * h + iy0) * width,
          rowStride: h * width,
          colStride: 1,
        };
        gemmInto(a, b, rowMajor(cols, pixels), (o1 - o0) * taps, cg, pixels, engine);
        addColumnsToImage(cols, g, img, gi * og + o0, o1 - o0, iy0, rows, out);
      }
    }
  }
}

/** col2im: adds cols[(oo, ky, kx)][(iy − iy0)·w + ix] into out at the output pixel that tap reaches. */
function addColumnsToImage(
  cols: Float32Array,
  g: ConvTransposeGeometry,
  img: number,
  firstChannel: number,
  channels: number,
  iy0: number,
  rows: number,
  out: Float32Array,
): void {
  const {
    w: width,
    kh,
    kw,
    strideH: sH,
    strideW: sW,
    padTop,
    padLeft,
    dilationH: dH,
    dilationW: dW,
    oh,
    ow,
    o,
  } = g;
  const pixels = rows * width;
  for (let oo = 0; oo < channels; oo++) {
    const outPlane = (img * o + firstChannel + oo) * oh * ow;
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++) {
        const colRow = ((oo * kh + ky) * kw + kx) * pixels;
        const shiftX = kx * dW - padLeft;
        // Input columns whose tap lands inside the output: 0 ≤ ix·sW + shiftX < ow.
        const ixStart = Math.max(0, Math.ceil(-shiftX / sW));
        const ixEnd = Math.min(width, Math.floor((ow - 1 - shiftX) / sW) + 1);
        if (ixEnd <= ixStart) continue;
        for (let r = 0; r < rows; r++) {
          const oy = (iy0 + r) * sH + ky * dH - padTop;
          if (oy < 0 || oy >= oh) continue;
          const src = colRow + r * width;
          const dst = outPlane + oy * ow + shiftX;
          for (let ix = ixStart; ix < ixEnd; ix++) out[dst + ix * sW]! += cols[src + ix]!;
        }
      }
    }
  }
}
