/**
 * The one inner loop every float GEMM-family kernel here runs: a register-blocked micro-kernel that
 * computes a block of `rows` output rows (output channels, or rows of A) times a run of `tiles` pixel
 * tiles of `tilePixels` contiguous pixels:
 *
 *   out[r][t*P + j] = init[r][t*P + j] + Σ_k  w[k][r] · src[offsets[k] + t*P + j]
 *
 * where init is `bias[r]` or, when accumulating, the current output. The offsets table is what makes
 * convolution im2col-free: entry k points at the input row segment that kernel tap k reads, so the same
 * loop serves convolution (any stride/dilation after the input is split into column phases) and plain
 * matrix products (offsets = row starts of B).
 *
 * Two engines implement it: WebAssembly SIMD (f32x4, assembled at load time from the code below) and a
 * scalar JS fallback with identical semantics. All pointers are byte addresses into the engine's memory.
 */
import { assembleModule, CodeWriter, ValType } from "./wasm-assembler.js";

export type EngineName = "wasm" | "js";

export interface GemmEngine {
  readonly name: EngineName;
  /** Output rows per micro-kernel call (weights are packed in groups of this many). */
  readonly blockRows: number;
  /** Contiguous pixels per tile; outputs are computed in whole tiles. */
  readonly tilePixels: number;
  /** Scratch memory views; refreshed by reserve(). */
  f32: Float32Array;
  i32: Int32Array;
  /** Makes at least `bytes` of scratch memory addressable. Contents are not preserved. */
  reserve(bytes: number): void;
  /**
   * @param weights packed weights, `k` groups of `blockRows` floats
   * @param offsets `k` int32 byte offsets relative to `src`
   * @param outRowStride bytes between consecutive output rows of the block
   * @param bias `blockRows` floats used as the initial value unless `accumulate` is 1
   */
  run(
    weights: number,
    offsets: number,
    k: number,
    src: number,
    out: number,
    outRowStride: number,
    tiles: number,
    bias: number,
    accumulate: number,
  ): void;
}

type KernelFn = GemmEngine["run"];

/**
 * Emits the micro-kernel for `rows` × (`vectors` × 4 pixels). The inputs of one k step are loaded once and
 * kept in registers while each row's weight is broadcast; rows·vectors accumulators plus `vectors` inputs
 * plus two temporaries must fit x64's 16 vector registers or V8 spills. (Unrolling the k loop by two was
 * measured 10% slower on Zen 4: V8 then spills.)
 */
export function emitGemmKernel(rows: number, vectors: number): CodeWriter {
  const P = { weights: 0, offsets: 1, k: 2, src: 3, out: 4, outStride: 5, tiles: 6, bias: 7, accumulate: 8 };
  const kk = 9;
  const w = 10;
  const off = 11;
  const s = 12;
  const outRow = (r: number) => 13 + r;
  const firstVector = 13 + rows;
  const acc = (r: number, v: number) => firstVector + r * vectors + v;
  const input = (v: number) => firstVector + rows * vectors + v;
  const weight = firstVector + rows * vectors + vectors;
  const tileBytes = vectors * 16;

  const c = new CodeWriter();
  for (let r = 0; r < rows; r++) {
    c.localGet(P.out).localGet(P.outStride).i32Const(r).i32Mul().i32Add().localSet(outRow(r));
  }
  c.block().loop();
  c.localGet(P.tiles).i32Eqz().brIf(1);

  c.localGet(P.accumulate).if();
  for (let r = 0; r < rows; r++) {
    for (let v = 0; v < vectors; v++)
      c.localGet(outRow(r))
        .v128Load(v * 16)
        .localSet(acc(r, v));
  }
  c.else();
  for (let r = 0; r < rows; r++) {
    for (let v = 0; v < vectors; v++)
      c.localGet(P.bias)
        .v128Load32Splat(r * 4)
        .localSet(acc(r, v));
  }
  c.end();

  c.localGet(P.weights).localSet(w);
  c.localGet(P.offsets).localSet(off);
  c.localGet(P.k).localSet(kk);
  c.block();
  c.localGet(kk).i32Eqz().brIf(0);
  c.loop();
  c.localGet(P.src).localGet(off).i32Load().i32Add().localSet(s);
  for (let v = 0; v < vectors; v++)
    c.localGet(s)
      .v128Load(v * 16)
      .localSet(input(v));
  for (let r = 0; r < rows; r++) {
    c.localGet(w)
      .v128Load32Splat(r * 4)
      .localSet(weight);
    for (let v = 0; v < vectors; v++) {
      c.localGet(acc(r, v)).localGet(input(v)).localGet(weight).f32x4Mul().f32x4Add().localSet(acc(r, v));
    }
  }
  c.localGet(w)
    .i32Const(rows * 4)
    .i32Add()
    .localSet(w);
  c.localGet(off).i32Const(4).i32Add().localSet(off);
  c.localGet(kk).i32Const(1).i32Sub().localTee(kk).brIf(0);
  c.end();
  c.end();

  for (let r = 0; r < rows; r++) {
    for (let v = 0; v < vectors; v++)
      c.localGet(outRow(r))
        .localGet(acc(r, v))
        .v128Store(v * 16);
    c.localGet(outRow(r)).i32Const(tileBytes).i32Add().localSet(outRow(r));
  }
  c.localGet(P.src).i32Const(tileBytes).i32Add().localSet(P.src);
  c.localGet(P.tiles).i32Const(1).i32Sub().localSet(P.tiles);
  c.br(0);
  c.end().end();
  return c;
}

export function assembleGemmModule(rows: number, vectors: number): Uint8Array {
  const i32 = ValType.i32;
  return assembleModule(
    [
      {
        name: "gemm",
        params: [i32, i32, i32, i32, i32, i32, i32, i32, i32],
        results: [],
        locals: [
          ...new Array<ValType>(4 + rows).fill(i32),
          ...new Array<ValType>(rows * vectors + vectors + 1).fill(ValType.v128),
        ],
        body: emitGemmKernel(rows, vectors),
      },
    ],
    1,
  );
}

const PAGE_BYTES = 65536;

/**
 * The slice of the WebAssembly JS API used here, typed locally: the project's TypeScript libs (ES2022,
 * no DOM) do not declare the WebAssembly namespace.
 */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: Record<string, unknown> };
}
const wasmApi = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

class WasmEngine implements GemmEngine {
  readonly name = "wasm";
  f32: Float32Array;
  i32: Int32Array;
  readonly run: KernelFn;
  private readonly memory: WasmMemory;

  constructor(
    api: WasmApi,
    readonly blockRows: number,
    readonly tilePixels: number,
  ) {
    const module = new api.Module(assembleGemmModule(blockRows, tilePixels / 4));
    const instance = new api.Instance(module, {});
    this.memory = instance.exports.memory as WasmMemory;
    this.run = instance.exports.gemm as KernelFn;
    this.f32 = new Float32Array(this.memory.buffer);
    this.i32 = new Int32Array(this.memory.buffer);
  }

  reserve(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes <= have) return;
    this.memory.grow(Math.ceil((bytes - have) / PAGE_BYTES));
    this.f32 = new Float32Array(this.memory.buffer);
    this.i32 = new Int32Array(this.memory.buffer);
  }
}

/** Same contract as the wasm kernel, in scalar JS: the fallback and an independent check of the wasm. */
class JsEngine implements GemmEngine {
  readonly name = "js";
  f32 = new Float32Array(0);
  i32 = new Int32Array(0);

  constructor(
    readonly blockRows: number,
    readonly tilePixels: number,
  ) {}

  reserve(bytes: number): void {
    if (bytes <= this.f32.byteLength) return;
    const buffer = new ArrayBuffer(Math.ceil(bytes / PAGE_BYTES) * PAGE_BYTES);
    this.f32 = new Float32Array(buffer);
    this.i32 = new Int32Array(buffer);
  }

  run(
    weights: number,
    offsets: number,
    k: number,
    src: number,
    out: number,
    outRowStride: number,
    tiles: number,
    bias: number,
    accumulate: number,
  ): void {
    const { f32, i32, blockRows: rows, tilePixels: tile } = this;
    const wBase = weights >> 2;
    const offBase = offsets >> 2;
    const acc = new Float32Array(tile);
    for (let t = 0; t < tiles; t++) {
      const srcTile = (src >> 2) + t * tile;
      for (let r = 0; r < rows; r++) {
        const outAt = ((out + r * outRowStride) >> 2) + t * tile;
        if (accumulate) for (let j = 0; j < tile; j++) acc[j] = f32[outAt + j]!;
        else acc.fill(f32[(bias >> 2) + r]!);
        for (let kk = 0; kk < k; kk++) {
          const wv = f32[wBase + kk * rows + r]!;
          const at = srcTile + (i32[offBase + kk]! >> 2);
          for (let j = 0; j < tile; j++) acc[j]! += wv * f32[at + j]!;
        }
        f32.set(acc, outAt);
      }
    }
  }
}

/** Micro-kernel shape used by default: chosen by bench/conv-kernels (4 rows × 8 pixels fits 16 registers). */
export const DEFAULT_BLOCK_ROWS = 4;
export const DEFAULT_TILE_VECTORS = 2;

const engines = new Map<string, GemmEngine>();

/** Whether this runtime can compile WebAssembly SIMD (Node ≥ 16.4 can). */
let simdSupport: boolean | undefined;
export function wasmSimdAvailable(): boolean {
  if (simdSupport === undefined) simdSupport = wasmApi?.validate(assembleGemmModule(1, 1)) === true;
  return simdSupport;
}

/**
 * The per-thread engine singleton for a micro-kernel shape. `wasm` falls back to `js` when the runtime
 * lacks WebAssembly SIMD.
 */
export function gemmEngine(
  name: EngineName = "wasm",
  blockRows = DEFAULT_BLOCK_ROWS,
  tileVectors = DEFAULT_TILE_VECTORS,
): GemmEngine {
  if (!Number.isInteger(blockRows) || blockRows < 1 || !Number.isInteger(tileVectors) || tileVectors < 1) {
    throw new Error(`gemmEngine: block shape ${blockRows}x${tileVectors} must be positive integers`);
  }
  const resolved: EngineName = name === "wasm" && !wasmSimdAvailable() ? "js" : name;
  const key = `${resolved}:${blockRows}x${tileVectors}`;
  let engine = engines.get(key);
  if (engine === undefined) {
    engine =
      resolved === "wasm" && wasmApi !== undefined
        ? new WasmEngine(wasmApi, blockRows, tileVectors * 4)
        : new JsEngine(blockRows, tileVectors * 4);
    engines.set(key, engine);
  }
  return engine;
}

/**
 * Lays out named scratch regions back to back, each 64-byte aligned (a cache line, so regions written by
 * different loops never share one), returning byte offsets and the total to reserve.
 */
export function planScratch<K extends string>(
  bytesByRegion: Record<K, number>,
): { at: Record<K, number>; total: number } {
  const at = {} as Record<K, number>;
  let total = 0;
  for (const region of Object.keys(bytesByRegion) as K[]) {
    at[region] = total;
    total += Math.ceil(bytesByRegion[region] / 64) * 64;
  }
  return { at, total };
}
