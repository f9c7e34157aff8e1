/**
 * Dense matrix products on the GEMM micro-kernel: plain row-major `matmul`, a batched form with broadcast
 * batch strides (numpy/ONNX MatMul semantics via `broadcastMatmulGeometry`), and `gemmInto`, the strided
 * building block the other kernels (transposed convolution, the worker pool) share.
 */
import type { KernelOptions } from "./conv.js";
import { type GemmEngine, gemmEngine, planScratch } from "./gemm-engine.js";

/** Element (i, j) of a matrix is `data[offset + i*rowStride + j*colStride]`; transposes are stride swaps. */
export interface MatrixView {
  data: Float32Array;
  offset: number;
  rowStride: number;
  colStride: number;
}

export function rowMajor(data: Float32Array, cols: number, offset = 0): MatrixView {
  return { data, offset, rowStride: cols, colStride: 1 };
}

export function transposed(v: MatrixView): MatrixView {
  return { data: v.data, offset: v.offset, rowStride: v.colStride, colStride: v.rowStride };
}

/** Blocking sizes: a KC×NC panel of B (128 KB) stays in L2 while every row block of A sweeps it. */
const KC = 256;
const NC = 128;
/** Upper bound (floats) on the output scratch of one chunk of rows. */
const CHUNK_FLOATS = 1 << 22;

export interface GemmRange {
  rows: [number, number];
  cols: [number, number];
}

/**
 * out[i][j] = Σ_k a[i][k]·b[k][j] for i, j in `range` (default: all of m × n). Overwrites those outputs.
 * When the output is a few columns wide and tall, the product is computed transposed, because the micro-kernel
 * vectorizes over columns.
 */
export function gemmInto(
  a: MatrixView,
  b: MatrixView,
  out: MatrixView,
  m: number,
  k: number,
  n: number,
  engine: GemmEngine,
  range: GemmRange = { rows: [0, m], cols: [0, n] },
): void {
  const [r0, r1] = range.rows;
  const [c0, c1] = range.cols;
  if (r1 <= r0 || c1 <= c0) return;
  if (c1 - c0 < engine.tilePixels && r1 - r0 > c1 - c0) {
    gemmInto(transposed(b), transposed(a), transposed(out), n, k, m, engine, {
      rows: [c0, c1],
      cols: [r0, r1],
    });
    return;
  }
  if (k === 0) {
    for (let i = r0; i < r1; i++)
      for (let j = c0; j < c1; j++) out.data[out.offset + i * out.rowStride + j * out.colStride] = 0;
    return;
  }
  const R = engine.blockRows;
  const P = engine.tilePixels;
  const width = c1 - c0;
  const tiles = Math.ceil(width / P);
  const widthPad = tiles * P;
  const chunkBlocks = Math.max(1, Math.floor(CHUNK_FLOATS / (R * widthPad)));
  const chunkRows = Math.min(chunkBlocks * R, Math.ceil((r1 - r0) / R) * R);
  const kc = Math.min(k, KC);

  const { at, total } = planScratch({
    a: chunkRows * k * 4,
    zeros: R * 4,
    offsets: kc * 4,
    // Tail tiles read up to a tile past the end of B's last row; their outputs are discarded.
    b: (k * width + widthPad) * 4,
    out: chunkRows * widthPad * 4,
  });
  engine.reserve(total);
  const { f32, i32 } = engine;
  f32.fill(0, at.zeros >> 2, (at.zeros >> 2) + R);
  for (let kk = 0; kk < kc; kk++) i32[(at.offsets >> 2) + kk] = kk * width * 4;
  copyRows(b, 0, k, c0, width, f32, at.b >> 2);

  for (let rc = r0; rc < r1; rc += chunkRows) {
    const rows = Math.min(chunkRows, r1 - rc);
    const blocks = Math.ceil(rows / R);
    packRowBlocks(a, rc, rows, k, R, f32, at.a >> 2);
    for (let j0 = 0; j0 < widthPad; j0 += NC) {
      const tilesHere = Math.min(NC, widthPad - j0) / P;
      for (let k0 = 0; k0 < k; k0 += KC) {
        const kHere = Math.min(KC, k - k0);
        for (let blk = 0; blk < blocks; blk++) {
          engine.run(
            at.a + (blk * k + k0) * R * 4,
            at.offsets,
            kHere,
            at.b + (k0 * width + j0) * 4,
            at.out + (blk * R * widthPad + j0) * 4,
            widthPad * 4,
            tilesHere,
            at.zeros,
            k0 > 0 ? 1 : 0,
          );
        }
      }
    }
    const scratchOut = at.out >> 2;
    for (let i = 0; i < rows; i++) {
      const from = scratchOut + i * widthPad;
      const dst = out.offset + (rc + i) * out.rowStride + c0 * out.colStride;
      if (out.colStride === 1) out.data.set(f32.subarray(from, from + width), dst);
      else for (let j = 0; j < width; j++) out.data[dst + j * out.colStride] = f32[from + j]!;
    }
  }
}

/** Rows [r0, r0+rows) of A as [block][k][R], zero rows past the end. */
function packRowBlocks(
  a: MatrixView,
  r0: number,
  rows: number,
  k: number,
  R: number,
  f32: Float32Array,
  at: number,
): void {
  const blocks = Math.ceil(rows / R);
  for (let blk = 0; blk < blocks; blk++) {
    const base = at + blk * k * R;
    for (let r = 0; r < R; r++) {
      const i = blk * R + r;
      if (i >= rows) {
        for (let kk = 0; kk < k; kk++) f32[base + kk * R + r] = 0;
        continue;
      }
      const src = a.offset + (r0 + i) * a.rowStride;
      for (let kk = 0; kk < k; kk++) f32[base + kk * R + r] = a.data[src + kk * a.colStride]!;
    }
  }
}

/** Columns [c0, c0+width) of rows [k0, k1) of B, packed densely (row pitch = width). */
function copyRows(
  b: MatrixView,
  k0: number,
  k1: number,
  c0: number,
  width: number,
  f32: Float32Array,
  at: number,
): void {
  for (let kk = k0; kk < k1; kk++) {
    const src = b.offset + kk * b.rowStride + c0 * b.colStride;
    const dst = at + (kk - k0) * width;
    if (b.colStride === 1) f32.set(b.data.subarray(src, src + width), dst);
    else for (let j = 0; j < width; j++) f32[dst + j] = b.data[src + j * b.colStride]!;
  }
}

function checkDims(where: string, dims: Record<string, number>): void {
  for (const [name, value] of Object.entries(dims)) {
    if (!Number.isInteger(value) || value < 0)
      throw new Error(`${where}: ${name} = ${value} must be a non-negative integer`);
  }
}

/** Row-major (m × k) · (k × n). */
export function matmul(
  a: Float32Array,
  b: Float32Array,
  m: number,
  k: number,
  n: number,
  options: KernelOptions = {},
): Float32Array {
  checkDims("matmul", { m, k, n });
  if (a.length !== m * k) throw new Error(`matmul: A has ${a.length} elements but m×k = ${m}×${k}`);
  if (b.length !== k * n) throw new Error(`matmul: B has ${b.length} elements but k×n = ${k}×${n}`);
  const out = new Float32Array(m * n);
  gemmInto(rowMajor(a, k), rowMajor(b, n), rowMajor(out, n), m, k, n, gemmEngine(options.engine));
  return out;
}

export interface BatchedMatmulGeometry {
  m: number;
  k: number;
  n: number;
  /** Output batch dimensions, outermost first; the output is [...batch, m, n], row-major. */
  batch: readonly number[];
  /** Elements between consecutive matrices of A along each batch dimension; 0 broadcasts A. */
  aBatchStrides: readonly number[];
  bBatchStrides: readonly number[];
}

export function batchCount(g: BatchedMatmulGeometry): number {
  return g.batch.reduce((p, d) => p * d, 1);
}

/** Offsets of the A and B matrices of flat batch index `index`. */
export function batchOffsets(g: BatchedMatmulGeometry, index: number): { a: number; b: number } {
  let a = 0;
  let b = 0;
  for (let d = g.batch.length - 1; d >= 0; d--) {
    const size = g.batch[d]!;
    const i = index % size;
    index = (index - i) / size;
    a += i * g.aBatchStrides[d]!;
    b += i * g.bBatchStrides[d]!;
  }
  return { a, b };
}

export function checkBatchedMatmul(
  a: Float32Array,
  b: Float32Array,
  g: BatchedMatmulGeometry,
  where = "matmulBatched",
): void {
  checkDims(where, { m: g.m, k: g.k, n: g.n });
  if (g.aBatchStrides.length !== g.batch.length || g.bBatchStrides.length !== g.batch.length) {
    throw new Error(
      `${where}: ${g.batch.length} batch dimensions but ${g.aBatchStrides.length} A strides and ${g.bBatchStrides.length} B strides`,
    );
  }
  for (const [i, d] of g.batch.entries()) checkDims(where, { [`batch[${i}]`]: d });
  // The furthest element each operand can be asked for must exist.
  const reach = (strides: readonly number[], matrix: number) =>
    g.batch.reduce((sum, d, i) => sum + Math.max(0, d - 1) * strides[i]!, 0) + matrix;
  if (batchCount(g) > 0 && reach(g.aBatchStrides, g.m * g.k) > a.length) {
    throw new Error(
      `${where}: A has ${a.length} elements, fewer than its batch strides and m×k = ${g.m}×${g.k} address`,
    );
  }
  if (batchCount(g) > 0 && reach(g.bBatchStrides, g.k * g.n) > b.length) {
    throw new Error(
      `${where}: B has ${b.length} elements, fewer than its batch strides and k×n = ${g.k}×${g.n} address`,
    );
  }
}

export function matmulBatched(
  a: Float32Array,
  b: Float32Array,
  g: BatchedMatmulGeometry,
  options: KernelOptions = {},
): Float32Array {
  checkBatchedMatmul(a, b, g);
  const { m, k, n } = g;
  const out = new Float32Array(batchCount(g) * m * n);
  const engine = gemmEngine(options.engine);
  for (let i = 0; i < batchCount(g); i++) {
    const at = batchOffsets(g, i);
    gemmInto(rowMajor(a, k, at.a), rowMajor(b, n, at.b), rowMajor(out, n, i * m * n), m, k, n, engine);
  }
  return out;
}

/**
 * numpy/ONNX MatMul broadcasting: 1-D A is a row vector and 1-D B a column vector (that dimension is dropped
 * from the output); leading dimensions broadcast against each other.
 */
export function broadcastMatmulGeometry(
  aShape: readonly number[],
  bShape: readonly number[],
): BatchedMatmulGeometry & { outShape: number[] } {
  if (aShape.length === 0 || bShape.length === 0)
    throw new Error("matmul: operands must have at least one dimension");
  const a2 = aShape.length === 1 ? [1, aShape[0]!] : [...aShape];
  const b2 = bShape.length === 1 ? [bShape[0]!, 1] : [...bShape];
  const m = a2[a2.length - 2]!;
  const k = a2[a2.length - 1]!;
  const n = b2[b2.length - 1]!;
  if (b2[b2.length - 2] !== k) {
    throw new Error(
      `matmul: inner dimensions differ: A [${aShape.join(",")}] has ${k}, B [${bShape.join(",")}] has ${b2[b2.length - 2]}`,
    );
  }
  const aBatch = a2.slice(0, -2);
  const bBatch = b2.slice(0, -2);
  const rank = Math.max(aBatch.length, bBatch.length);
  const batch: number[] = [];
  const aBatchStrides: number[] = [];
  const bBatchStrides: number[] = [];
  let aStride = m * k;
  let bStride = k * n;
  for (let d = 1; d <= rank; d++) {
    const da = aBatch[aBatch.length - d] ?? 1;
    const db = bBatch[bBatch.length - d] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(
        `matmul: batch dimensions of A [${aShape.join(",")}] and B [${bShape.join(",")}] do not broadcast`,
      );
    }
    batch.unshift(Math.max(da, db));
    aBatchStrides.unshift(da === 1 ? 0 : aStride);
    bBatchStrides.unshift(db === 1 ? 0 : bStride);
    aStride *= da;
    bStride *= db;
  }
  const outShape = [...batch, ...(aShape.length === 1 ? [] : [m]), ...(bShape.length === 1 ? [] : [n])];
  return { m, k, n, batch, aBatchStrides, bBatchStrides, outShape };
}
