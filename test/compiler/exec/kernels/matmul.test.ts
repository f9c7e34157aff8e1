import assert from "node:assert/strict";
import { test } from "node:test";
import type { EngineName } from "../../../../compiler/exec/kernels/gemm-engine.js";
import { gemmEngine } from "../../../../compiler/exec/kernels/gemm-engine.js";
import {
  broadcastMatmulGeometry,
  gemmInto,
  matmul,
  matmulBatched,
  rowMajor,
  transposed,
} from "../../../../compiler/exec/kernels/matmul.js";
import { maxAbsDiff, randomFloats, referenceMatmul } from "./reference.js";

const tolerance = (k: number) => 1e-6 * k + 1e-6;

const shapes: [number, number, number][] = [
  [1, 1, 1],
  [3, 5, 7],
  [4, 8, 8],
  [17, 33, 9],
  [2, 300, 3],
  [64, 1, 40],
  [1, 70, 257],
  [130, 600, 5],
  [37, 520, 300],
];

for (const engine of ["wasm", "js"] as EngineName[]) {
  test(`matmul [${engine}] matches the reference loop on ${shapes.length} shapes`, () => {
    for (const [m, k, n] of shapes) {
      const a = randomFloats(m * k, m * 1000 + k);
      const b = randomFloats(k * n, n * 1000 + k);
      const diff = maxAbsDiff(matmul(a, b, m, k, n, { engine }), referenceMatmul(a, b, m, k, n));
      assert.ok(diff <= tolerance(k), `${m}x${k}x${n}: max diff ${diff}`);
    }
  });
}

test("matmul with an empty inner dimension gives zeros", () => {
  assert.deepEqual(matmul(new Float32Array(0), new Float32Array(0), 2, 0, 3), new Float32Array(6));
});

test("gemmInto handles transposed operands and writes only the requested range", () => {
  const [m, k, n] = [9, 11, 20];
  const at = randomFloats(k * m, 1); // A stored transposed: k × m
  const b = randomFloats(k * n, 2);
  const a = new Float32Array(m * k);
  for (let i = 0; i < m; i++) for (let kk = 0; kk < k; kk++) a[i * k + kk] = at[kk * m + i]!;
  const want = referenceMatmul(a, b, m, k, n);
  const out = new Float32Array(m * n).fill(-7);
  gemmInto(transposed(rowMajor(at, m)), rowMajor(b, n), rowMajor(out, n), m, k, n, gemmEngine(), {
    rows: [2, 7],
    cols: [3, 19],
  });
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const inside = i >= 2 && i < 7 && j >= 3 && j < 19;
      if (inside) assert.ok(Math.abs(out[i * n + j]! - want[i * n + j]!) <= tolerance(k), `(${i},${j})`);
      else assert.equal(out[i * n + j], -7, `(${i},${j}) outside the range was written`);
    }
  }
});

test("matmulBatched broadcasts batch dimensions like numpy", () => {
  const aShape = [2, 1, 3, 4];
  const bShape = [3, 4, 5];
  const g = broadcastMatmulGeometry(aShape, bShape);
  assert.deepEqual(g.outShape, [2, 3, 3, 5]);
  const a = randomFloats(2 * 3 * 4, 3);
  const b = randomFloats(3 * 4 * 5, 4);
  const got = matmulBatched(a, b, g);
  for (let i = 0; i < 2; i++) {
    for (let j = 0; j < 3; j++) {
      const want = referenceMatmul(a.subarray(i * 12, i * 12 + 12), b.subarray(j * 20, j * 20 + 20), 3, 4, 5);
      const start = (i * 3 + j) * 15;
      assert.ok(maxAbsDiff(got.subarray(start, start + 15), want) <= tolerance(4), `batch (${i},${j})`);
    }
  }
});

test("broadcastMatmulGeometry treats 1-D operands as vectors and drops their dimension", () => {
  assert.deepEqual(broadcastMatmulGeometry([4], [4, 6]).outShape, [6]);
  assert.deepEqual(broadcastMatmulGeometry([2, 3, 4], [4]).outShape, [2, 3]);
  assert.deepEqual(broadcastMatmulGeometry([4], [4]).outShape, []);
  const a = randomFloats(4, 5);
  const b = randomFloats(24, 6);
  const g = broadcastMatmulGeometry([4], [4, 6]);
  assert.ok(maxAbsDiff(matmulBatched(a, b, g), referenceMatmul(a, b, 1, 4, 6)) <= tolerance(4));
});

test("matmul errors name the operand and the shapes", () => {
  assert.throws(
    () => matmul(new Float32Array(5), new Float32Array(6), 2, 3, 2),
    /matmul: A has 5 elements but m×k = 2×3/,
  );
  assert.throws(
    () => matmul(new Float32Array(6), new Float32Array(5), 2, 3, 2),
    /matmul: B has 5 elements but k×n = 3×2/,
  );
  assert.throws(
    () => broadcastMatmulGeometry([2, 3], [4, 5]),
    /inner dimensions differ: A \[2,3\] has 3, B \[4,5\] has 4/,
  );
  assert.throws(() => broadcastMatmulGeometry([2, 3, 4], [3, 4, 5]), /do not broadcast/);
  const g = { m: 2, k: 2, n: 2, batch: [3], aBatchStrides: [4], bBatchStrides: [0] };
  assert.throws(
    () => matmulBatched(new Float32Array(8), new Float32Array(4), g),
    /A has 8 elements, fewer than/,
  );
});
