/**
 * 2-D convolution (NCHW, OIHW weights, groups, stride, dilation, zero padding) without im2col.
 *
 * Per (image, group, chunk of output rows) the input rows the chunk needs are copied into scratch memory,
 * zero-padded and split into `strideW` column phases; after that split, the pixels one kernel tap reads
 * for consecutive output columns are contiguous, whatever the stride or dilation. A table with one offset
 * per tap (c, ky, kx) then lets the GEMM micro-kernel (gemm-engine.ts) treat the convolution as
 * W[O × K] · X[K × pixels] while reading X in place.
 */
import type { Conv2dGeometry } from "./conv-params.js";
import { type EngineName, type GemmEngine, gemmEngine, planScratch } from "./gemm-engine.js";

export interface KernelOptions {
  /** "wasm" (default; falls back to "js" without WebAssembly SIMD) or the scalar "js" engine. */
  engine?: EngineName;
}

/** Upper bound (floats) on each of the packed-input and output scratch buffers of one row chunk. */
const CHUNK_FLOATS = 1 << 22;

function checkPositiveInts(where: string, fields: Record<string, number>, min: number): void {
  for (const [name, value] of Object.entries(fields)) {
    if (!Number.isInteger(value) || value < min) {
      throw new Error(`${where}: geometry.${name} = ${value} must be an integer ≥ ${min}`);
    }
  }
}

/** Throws a message naming the offending field when the geometry or a buffer size is inconsistent. */
export function checkConv2d(
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array | undefined,
  g: Conv2dGeometry,
  where = "conv2d",
): void {
  const { n, c, h, w: width, o, kh, kw, strideH, strideW, dilationH, dilationW, group, oh, ow } = g;
  checkPositiveInts(
    where,
    { n, c, h, w: width, o, kh, kw, strideH, strideW, dilationH, dilationW, group, oh, ow },
    1,
  );
  checkPositiveInts(where, { padTop: g.padTop, padLeft: g.padLeft }, 0);
  if (c % group !== 0 || o % group !== 0) {
    throw new Error(`${where}: channels in ${c} and out ${o} must both be divisible by group ${group}`);
  }
  if (x.length !== n * c * h * width) {
    throw new Error(`${where}: input has ${x.length} elements but n×c×h×w = ${n}×${c}×${h}×${width}`);
  }
  const cg = c / group;
  if (w.length !== o * cg * kh * kw) {
    throw new Error(
      `${where}: weights have ${w.length} elements but O×(C/group)×kh×kw = ${o}×${cg}×${kh}×${kw} = ${o * cg * kh * kw}`,
    );
  }
  if (bias !== undefined && bias.length !== o) {
    throw new Error(`${where}: bias has ${bias.length} elements but there are ${o} output channels`);
  }
}

export function conv2dMacs(g: Conv2dGeometry): number {
  return g.n * g.o * g.oh * g.ow * (g.c / g.group) * g.kh * g.kw;
}

export function conv2d(
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array | undefined,
  g: Conv2dGeometry,
  options: KernelOptions = {},
): Float32Array {
  checkConv2d(x, w, bias, g);
  const out = new Float32Array(g.n * g.o * g.oh * g.ow);
  conv2dRowsInto(x, w, bias, g, 0, g.n * g.oh, out, gemmEngine(options.engine));
  return out;
}

/**
 * Computes output rows [rowStart, rowEnd) of the flattened (image, output row) index space, every channel,
 * into `out` (full NCHW output). Workers call this on disjoint row ranges of one shared output.
 * The caller has validated the arguments.
 */
export function conv2dRowsInto(
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array | undefined,
  g: Conv2dGeometry,
  rowStart: number,
  rowEnd: number,
  out: Float32Array,
  engine: GemmEngine,
): void {
  const { c, o, kh, kw, strideH: sH, strideW: sW, dilationH: dH, dilationW: dW, group, oh, ow } = g;
  const R = engine.blockRows;
  const P = engine.tilePixels;
  const cg = c / group;
  const og = o / group;
  const K = cg * kh * kw;
  const blocks = Math.ceil(og / R);
  const ogPad = blocks * R;
  const tiles = Math.ceil(ow / P);
  const owPad = tiles * P;
  // Width of one column phase: enough for every tap of every real output column (see the header).
  const phaseWidth = Math.ceil(((ow - 1) * sW + (kw - 1) * dW + 1) / sW);
  const rowPitch = sW * phaseWidth;

  const inRowsFor = (outRows: number) => (outRows - 1) * sH + (kh - 1) * dH + 1;
  const perOutRow = Math.max(cg * sH * rowPitch, ogPad * owPad);
  const chunkRows = Math.max(1, Math.min(rowEnd - rowStart, Math.floor(CHUNK_FLOATS / perOutRow)));
  const inRows = inRowsFor(chunkRows);

  const inFloats = cg * inRows * rowPitch;
  const { at, total } = planScratch({
    weights: group * ogPad * K * 4,
    bias: group * ogPad * 4,
    offsets: K * 4,
    // Tail tiles read up to owPad floats past the last phase row; their outputs are discarded.
    input: (inFloats + owPad) * 4,
    output: ogPad * chunkRows * owPad * 4,
  });
  engine.reserve(total);
  const { f32, i32 } = engine;

  packWeights(w, f32, at.weights >> 2, group, og, K, R, blocks);
  const biasAt = at.bias >> 2;
  f32.fill(0, biasAt, biasAt + group * ogPad);
  if (bias !== undefined)
    for (let gi = 0; gi < group; gi++) f32.set(bias.subarray(gi * og, (gi + 1) * og), biasAt + gi * ogPad);
  for (let ci = 0, k = at.offsets >> 2; ci < cg; ci++) {
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++, k++) {
        const phase = (kx * dW) % sW;
        const shift = Math.floor((kx * dW) / sW);
        i32[k] = (((ci * inRows + ky * dH) * sW + phase) * phaseWidth + shift) * 4;
      }
    }
  }

  for (let row = rowStart; row < rowEnd; ) {
    const img = Math.floor(row / oh);
    const oy0 = row - img * oh;
    const rows = Math.min(chunkRows, rowEnd - row, oh - oy0);
    for (let gi = 0; gi < group; gi++) {
      const packed: PackedInput = {
        x,
        g,
        img,
        gi,
        oy0,
        inRows: inRowsFor(rows),
        inRowsStride: inRows,
        phaseWidth,
      };
      packInputRows(packed, f32, at.input >> 2);
      for (let j = 0; j < rows; j++) {
        const src = at.input + j * sH * rowPitch * 4;
        for (let b = 0; b < blocks; b++) {
          engine.run(
            at.weights + (gi * blocks + b) * K * R * 4,
            at.offsets,
            K,
            src,
            at.output + (b * R * chunkRows + j) * owPad * 4,
            chunkRows * owPad * 4,
            tiles,
            at.bias + (gi * ogPad + b * R) * 4,
            0,
          );
        }
      }
      const outAt = at.output >> 2;
      for (let oo = 0; oo < og; oo++) {
        const dst = ((img * o + gi * og + oo) * oh + oy0) * ow;
        for (let j = 0; j < rows; j++) {
          const from = outAt + (oo * chunkRows + j) * owPad;
          out.set(f32.subarray(from, from + ow), dst + j * ow);
        }
      }
    }
    row += rows;
  }
}

/** Weights of each group in blocks of R output channels: [group][block][k][R], zero rows past O/group. */
function packWeights(
  w: Float32Array,
  f32: Float32Array,
  at: number,
  group: number,
  og: number,
  K: number,
  R: number,
  blocks: number,
): void {
  for (let gi = 0; gi < group; gi++) {
    for (let b = 0; b < blocks; b++) {
      const base = at + (gi * blocks + b) * K * R;
      for (let r = 0; r < R; r++) {
        const oo = b * R + r;
        if (oo >= og) {
          for (let k = 0; k < K; k++) f32[base + k * R + r] = 0;
          continue;
        }
        const src = (gi * og + oo) * K;
        for (let k = 0; k < K; k++) f32[base + k * R + r] = w[src + k]!;
      }
    }
  }
}

interface PackedInput {
  x: Float32Array;
  g: Conv2dGeometry;
  img: number;
  gi: number;
  /** First output row of the chunk. */
  oy0: number;
  /** Padded input rows the chunk reads. */
  inRows: number;
  /** Rows reserved per channel in scratch (the largest chunk's need), which the offsets table assumes. */
  inRowsStride: number;
  phaseWidth: number;
}

/** Copies the chunk's input rows to scratch as [channel][padded row][column phase][phaseWidth]. */
function packInputRows(p: PackedInput, f32: Float32Array, at: number): void {
  const { x, g, img, gi, inRows, inRowsStride, phaseWidth } = p;
  const { c, h, w: width, strideW: sW, padTop, padLeft, group } = g;
  const cg = c / group;
  const firstRow = p.oy0 * g.strideH - padTop;
  for (let ci = 0; ci < cg; ci++) {
    const plane = (img * c + gi * cg + ci) * h * width;
    for (let r = 0; r < inRows; r++) {
      const iy = firstRow + r;
      const rowAt = at + (ci * inRowsStride + r) * sW * phaseWidth;
      if (iy < 0 || iy >= h) {
        f32.fill(0, rowAt, rowAt + sW * phaseWidth);
        continue;
      }
      const srcRow = plane + iy * width;
      for (let phase = 0; phase < sW; phase++) {
        const dst = rowAt + phase * phaseWidth;
        // Phase columns q map to input column q·sW + phase − padLeft; keep the q whose column exists.
        const qStart = Math.min(phaseWidth, Math.max(0, Math.ceil((padLeft - phase) / sW)));
        const qEnd = Math.max(qStart, Math.min(phaseWidth, Math.ceil((padLeft - phase + width) / sW)));
        f32.fill(0, dst, dst + qStart);
        if (sW === 1) {
          const ix = qStart - padLeft;
          f32.set(x.subarray(srcRow + ix, srcRow + ix + (qEnd - qStart)), dst + qStart);
        } else {
          for (let q = qStart, ix = qStart * sW + phase - padLeft; q < qEnd; q++, ix += sW) {
            f32[dst + q] = x[srcRow + ix]!;
          }
        }
        f32.fill(0, dst + qEnd, dst + phaseWidth);
      }
    }
  }
}
