import assert from "node:assert/strict";
import { test } from "node:test";
import {
  assembleGemmModule,
  type GemmEngine,
  gemmEngine,
  planScratch,
  wasmSimdAvailable,
} from "../../../../compiler/exec/kernels/gemm-engine.js";
import { sleb128, uleb128 } from "../../../../compiler/exec/kernels/wasm-assembler.js";
import { randomFloats } from "./reference.js";

test("LEB128 encodings match the format's examples", () => {
  assert.deepEqual(uleb128(0), [0]);
  assert.deepEqual(uleb128(624485), [0xe5, 0x8e, 0x26]);
  assert.deepEqual(sleb128(-123456), [0xc0, 0xbb, 0x78]);
  assert.deepEqual(sleb128(63), [0x3f]);
  assert.deepEqual(sleb128(64), [0xc0, 0x00]);
  assert.deepEqual(sleb128(-64), [0x40]);
  assert.throws(() => uleb128(-1), /not a non-negative integer/);
});

/** The project's TypeScript libs do not declare WebAssembly; this is the one call the test needs. */
const wasm = (globalThis as unknown as { WebAssembly: { validate(bytes: Uint8Array): boolean } }).WebAssembly;

test("the assembled micro-kernel modules validate for several block shapes", () => {
  assert.ok(wasmSimdAvailable(), "Node 20 supports WebAssembly SIMD");
  for (const [rows, vectors] of [
    [1, 1],
    [4, 2],
    [3, 4],
    [8, 1],
  ]) {
    assert.ok(wasm.validate(assembleGemmModule(rows, vectors)), `${rows}x${vectors}`);
  }
});

/** Runs one micro-kernel call on identical random memory in both engines. */
function runBoth(
  rows: number,
  vectors: number,
  k: number,
  tiles: number,
  accumulate: 0 | 1,
): [Float32Array, Float32Array] {
  const results: Float32Array[] = [];
  for (const engine of [gemmEngine("wasm", rows, vectors), gemmEngine("js", rows, vectors)] as GemmEngine[]) {
    const P = engine.tilePixels;
    const srcFloats = k * 3 + tiles * P + 16;
    const { at, total } = planScratch({
      weights: k * rows * 4,
      offsets: k * 4,
      bias: rows * 4,
      src: srcFloats * 4,
      out: rows * tiles * P * 4 + 64,
    });
    engine.reserve(total);
    engine.f32.set(randomFloats(total / 4, 42));
    // Offsets are arbitrary (even overlapping and unaligned) rows of src.
    for (let kk = 0; kk < k; kk++) engine.i32[(at.offsets >> 2) + kk] = ((kk * 7) % (k * 3)) * 4;
    const outStride = tiles * P * 4 + 4;
    engine.run(at.weights, at.offsets, k, at.src, at.out, outStride, tiles, at.bias, accumulate);
    results.push(engine.f32.slice(at.out >> 2, (at.out + rows * outStride) >> 2));
  }
  return [results[0]!, results[1]!];
}

test("wasm and JS micro-kernels agree, with and without accumulation", () => {
  for (const [rows, vectors, k, tiles] of [
    [4, 2, 9, 5],
    [3, 3, 1, 2],
    [2, 1, 17, 1],
    [4, 2, 0, 3],
  ] as const) {
    for (const accumulate of [0, 1] as const) {
      const [wasm, js] = runBoth(rows, vectors, k, tiles, accumulate);
      for (let i = 0; i < js.length; i++) {
        assert.ok(
          Math.abs(wasm[i]! - js[i]!) <= 1e-5,
          `${rows}x${vectors} k=${k} acc=${accumulate} at ${i}: ${wasm[i]} vs ${js[i]}`,
        );
      }
    }
  }
});

test("planScratch aligns regions to cache lines without overlap", () => {
  const { at, total } = planScratch({ a: 10, b: 64, c: 1 });
  assert.deepEqual(at, { a: 0, b: 64, c: 128 });
  assert.equal(total, 192);
});
