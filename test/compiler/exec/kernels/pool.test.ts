import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, test } from "node:test";
import { Worker } from "node:worker_threads";
import { conv2d } from "../../../../compiler/exec/kernels/conv.js";
import type { Conv2dGeometry } from "../../../../compiler/exec/kernels/conv-params.js";
import { convTranspose2d, convTransposeGeometry } from "../../../../compiler/exec/kernels/conv-transpose.js";
import { broadcastMatmulGeometry, matmul, matmulBatched } from "../../../../compiler/exec/kernels/matmul.js";
import { KernelPool, splitRange } from "../../../../compiler/exec/kernels/pool.js";
import { randomFloats } from "./reference.js";

const pools: KernelPool[] = [];
function pool(threads: number, minParallelMacs = 0): KernelPool {
  const p = new KernelPool({ threads, minParallelMacs });
  pools.push(p);
  return p;
}
after(() => {
  for (const p of pools) p.close();
});

const geometry: Conv2dGeometry = {
  n: 2,
  c: 6,
  h: 13,
  w: 21,
  o: 10,
  kh: 3,
  kw: 3,
  strideH: 1,
  strideW: 2,
  padTop: 1,
  padLeft: 1,
  dilationH: 1,
  dilationW: 1,
  group: 2,
  oh: 13,
  ow: 11,
};

test("splitRange covers [0, total) with contiguous non-empty ranges on quantum boundaries", () => {
  assert.deepEqual(splitRange(10, 3), [
    [0, 3],
    [3, 7],
    [7, 10],
  ]);
  assert.deepEqual(splitRange(2, 4), [
    [0, 1],
    [1, 2],
  ]);
  assert.deepEqual(splitRange(20, 2, 8), [
    [0, 8],
    [8, 20],
  ]);
  assert.deepEqual(splitRange(5, 2, 8), [[0, 5]]);
  assert.deepEqual(splitRange(0, 2), []);
});

for (const threads of [2, 3]) {
  test(`KernelPool(${threads}).conv2d gives the same bits as the synchronous kernel`, async () => {
    const p = pool(threads);
    const x = randomFloats(geometry.n * geometry.c * geometry.h * geometry.w, 1);
    const w = randomFloats((geometry.o * geometry.c * 9) / geometry.group, 2);
    const bias = randomFloats(geometry.o, 3);
    const got = await p.conv2d(x, w, bias, geometry);
    assert.ok(got.buffer instanceof SharedArrayBuffer, "the call ran in parallel");
    assert.equal(p.workerCount, threads - 1);
    assert.deepEqual(got, conv2d(x, w, bias, geometry));
  });
}

test("KernelPool.convTranspose2d matches the synchronous kernel", async () => {
  const g = convTransposeGeometry({
    n: 1,
    c: 6,
    h: 9,
    w: 10,
    o: 8,
    kh: 4,
    kw: 4,
    strides: [2, 2],
    pads: [1, 1, 1, 1],
    group: 2,
  });
  const x = randomFloats(g.n * g.c * g.h * g.w, 4);
  const w = randomFloats((g.c * g.o * 16) / g.group, 5);
  const got = await pool(2).convTranspose2d(x, w, undefined, g);
  assert.ok(got.buffer instanceof SharedArrayBuffer);
  assert.deepEqual(got, convTranspose2d(x, w, undefined, g));
});

test("KernelPool.matmul splits wide products by columns and tall ones by rows", async () => {
  const p = pool(2);
  for (const [m, k, n] of [
    [5, 40, 200],
    [300, 30, 9],
    [64, 64, 64],
  ] as const) {
    const a = randomFloats(m * k, m);
    const b = randomFloats(k * n, n);
    const got = await p.matmul(a, b, m, k, n);
    assert.ok(got.buffer instanceof SharedArrayBuffer, `${m}x${k}x${n} ran in parallel`);
    const want = matmul(a, b, m, k, n);
    for (let i = 0; i < want.length; i++)
      assert.ok(Math.abs(got[i]! - want[i]!) <= 1e-5, `${m}x${k}x${n} at ${i}`);
  }
});

test("KernelPool.matmulBatched splits batches and broadcasts", async () => {
  const g = broadcastMatmulGeometry([3, 1, 7, 12], [4, 12, 9]);
  const a = randomFloats(3 * 7 * 12, 6);
  const b = randomFloats(4 * 12 * 9, 7);
  assert.deepEqual(await pool(2).matmulBatched(a, b, g), matmulBatched(a, b, g));
});

test("KernelPool runs small calls synchronously without starting workers", async () => {
  const p = pool(2, 1e9);
  const x = randomFloats(geometry.n * geometry.c * geometry.h * geometry.w, 8);
  const w = randomFloats((geometry.o * geometry.c * 9) / geometry.group, 9);
  const got = await p.conv2d(x, w, undefined, geometry);
  assert.equal(p.workerCount, 0);
  assert.ok(!(got.buffer instanceof SharedArrayBuffer));
});

test("KernelPool validates before dispatching and refuses calls after close()", async () => {
  const p = pool(2);
  await assert.rejects(
    p.conv2d(new Float32Array(3), new Float32Array(3), undefined, geometry),
    /KernelPool.conv2d: input has 3 elements/,
  );
  await p.matmul(randomFloats(64 * 64, 1), randomFloats(64 * 64, 2), 64, 64, 64);
  assert.equal(p.workerCount, 1);
  p.close();
  assert.equal(p.workerCount, 0);
  await assert.rejects(
    p.matmul(new Float32Array(1), new Float32Array(1), 1, 1, 1),
    /the pool has been closed/,
  );
});

test("KernelPool.shared returns one pool per thread count and a fresh one after close()", () => {
  const a = KernelPool.shared(2);
  assert.equal(KernelPool.shared(2), a);
  a.close();
  const b = KernelPool.shared(2);
  assert.notEqual(b, a);
  b.close();
});

test("a script awaiting a pooled call gets its result and then exits without close()", () => {
  const poolUrl = new URL("../../../../compiler/exec/kernels/pool.js", import.meta.url).href;
  const script = `
    const { KernelPool } = await import(${JSON.stringify(poolUrl)});
    const p = KernelPool.shared(2);
    const n = 256;
    const out = await p.matmul(new Float32Array(n * n).fill(1), new Float32Array(n * n).fill(2), n, n, n);
    console.log("result", out[0], out.buffer instanceof SharedArrayBuffer);
  `;
  const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    encoding: "utf8",
    timeout: 30_000,
  });
  assert.equal(run.signal, null, "the script was killed: the pool kept the process alive");
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /result 512 true/);
});

test("the worker replies with the error message of a job that throws, and keeps serving", async () => {
  const worker = new Worker(new URL("../../../../compiler/exec/kernels/conv-worker.js", import.meta.url));
  try {
    const ask = (message: unknown) =>
      new Promise<unknown>((resolve) => {
        worker.once("message", resolve);
        worker.postMessage(message);
      });
    assert.deepEqual(await ask({ id: 7, job: { kind: "nope" } }), {
      id: 7,
      ok: false,
      error: 'unknown kernel job kind "nope"',
    });
    const g = { m: 1, k: 1, n: 1, batch: [], aBatchStrides: [], bBatchStrides: [] };
    const out = new Float32Array(new SharedArrayBuffer(4));
    const a = new Float32Array(new SharedArrayBuffer(4)).fill(3);
    const job = { kind: "matmul", a, b: a, g, batches: [0, 1], range: { rows: [0, 1], cols: [0, 1] }, out };
    assert.deepEqual(await ask({ id: 8, job }), { id: 8, ok: true });
    assert.equal(out[0], 9);
  } finally {
    await worker.terminate();
  }
});
