/**
 * Runs the float kernels on several cores: each call is cut into `threads` disjoint shares (conv rows,
 * transposed-conv output channels, matmul batches/columns); the calling thread computes the first share
 * while worker threads compute the rest in place in a SharedArrayBuffer output.
 *
 * Workers are started on the first call large enough to need them and are unref'd while idle, so the pool
 * never keeps the process alive; close() terminates them. Small calls run synchronously: posting a job
 * costs about as much as a few million multiply-accumulates.
 *
 * Results of parallel calls are Float32Arrays over SharedArrayBuffers. Inputs that are not already shared
 * are copied once per call (weights included: caching them would go stale if a caller edits weights).
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { checkConv2d, conv2d, conv2dMacs } from "./conv.js";
import type { Conv2dGeometry } from "./conv-params.js";
import {
  type ConvTransposeGeometry,
  checkConvTranspose2d,
  convTranspose2d,
  convTranspose2dMacs,
} from "./conv-transpose.js";
import { gemmEngine } from "./gemm-engine.js";
import {
  type BatchedMatmulGeometry,
  batchCount,
  checkBatchedMatmul,
  type GemmRange,
  matmulBatched,
} from "./matmul.js";
import { type JobReply, type KernelJob, runKernelJob } from "./pool-jobs.js";

export interface KernelPoolOptions {
  /** Threads computing one call, the calling thread included (default: the machine's parallelism). */
  threads?: number;
  /** Calls with fewer multiply-accumulates than this run synchronously (default 5 M). */
  minParallelMacs?: number;
}

interface WorkerSlot {
  worker: Worker;
  inFlight: number;
}

interface Pending {
  slot: WorkerSlot;
  resolve: () => void;
  reject: (error: Error) => void;
}

// Measured on PyDNet layers: below about 5 M MAC the post-and-reply overhead eats the second core's gain.
const DEFAULT_MIN_PARALLEL_MACS = 5e6;

/** Splits [0, total) into at most `parts` contiguous non-empty ranges whose cut points are multiples of `quantum`. */
export function splitRange(total: number, parts: number, quantum = 1): [number, number][] {
  const ranges: [number, number][] = [];
  let start = 0;
  for (let i = 1; i <= parts && start < total; i++) {
    const end = i === parts ? total : Math.min(total, Math.round((total * i) / parts / quantum) * quantum);
    if (end > start) ranges.push([start, end]);
    start = Math.max(start, end);
  }
  return ranges;
}

function shared(a: Float32Array): Float32Array {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const copy = new Float32Array(new SharedArrayBuffer(a.byteLength));
  copy.set(a);
  return copy;
}

function sharedZeros(length: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(length * 4));
}

export class KernelPool {
  private static readonly instances = new Map<number, KernelPool>();

  /** The process-wide pool with this many threads (created on first use, re-created after close()). */
  static shared(threads: number = availableParallelism()): KernelPool {
    let pool = KernelPool.instances.get(threads);
    if (pool === undefined || pool.closed) {
      pool = new KernelPool({ threads });
      KernelPool.instances.set(threads, pool);
    }
    return pool;
  }

  readonly threads: number;
  readonly minParallelMacs: number;
  private readonly slots: WorkerSlot[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  constructor(options: KernelPoolOptions = {}) {
    const threads = options.threads ?? availableParallelism();
    if (!Number.isInteger(threads) || threads < 1) {
      throw new Error(`KernelPool: threads = ${threads} must be an integer ≥ 1`);
    }
    this.threads = threads;
    this.minParallelMacs = options.minParallelMacs ?? DEFAULT_MIN_PARALLEL_MACS;
  }

  /** Number of live worker threads (0 until a call needs them). */
  get workerCount(): number {
    return this.slots.length;
  }

  async conv2d(
    x: Float32Array,
    w: Float32Array,
    bias: Float32Array | undefined,
    g: Conv2dGeometry,
  ): Promise<Float32Array> {
    this.assertOpen("conv2d");
    checkConv2d(x, w, bias, g, "KernelPool.conv2d");
    const shares = this.parallel(conv2dMacs(g)) ? splitRange(g.n * g.oh, this.threads) : [];
    if (shares.length < 2) return conv2d(x, w, bias, g);
    const out = sharedZeros(g.n * g.o * g.oh * g.ow);
    const common = { x: shared(x), w: shared(w), bias: bias && shared(bias), g, out };
    await this.runShares(shares.map((rows) => ({ kind: "conv2d", ...common, rows })));
    return out;
  }

  async convTranspose2d(
    x: Float32Array,
    w: Float32Array,
    bias: Float32Array | undefined,
    g: ConvTransposeGeometry,
  ): Promise<Float32Array> {
    this.assertOpen("convTranspose2d");
    checkConvTranspose2d(x, w, bias, g, "KernelPool.convTranspose2d");
    const shares = this.parallel(convTranspose2dMacs(g)) ? splitRange(g.o, this.threads) : [];
    if (shares.length < 2) return convTranspose2d(x, w, bias, g);
    const out = sharedZeros(g.n * g.o * g.oh * g.ow);
    const common = { x: shared(x), w: shared(w), bias: bias && shared(bias), g, out };
    await this.runShares(shares.map((channels) => ({ kind: "convTranspose2d", ...common, channels })));
    return out;
  }

  matmul(a: Float32Array, b: Float32Array, m: number, k: number, n: number): Promise<Float32Array> {
    return this.matmulBatched(a, b, { m, k, n, batch: [], aBatchStrides: [], bBatchStrides: [] }, "matmul");
  }

  async matmulBatched(
    a: Float32Array,
    b: Float32Array,
    g: BatchedMatmulGeometry,
    where = "matmulBatched",
  ): Promise<Float32Array> {
    this.assertOpen(where);
    checkBatchedMatmul(a, b, g, `KernelPool.${where}`);
    const count = batchCount(g);
    const { m, k, n } = g;
    const full: GemmRange = { rows: [0, m], cols: [0, n] };
    let shares: { batches: [number, number]; range: GemmRange }[] = [];
    if (this.parallel(count * m * k * n)) {
      if (count >= this.threads) {
        shares = splitRange(count, this.threads).map((batches) => ({ batches, range: full }));
      } else if (n >= m) {
        const cols = splitRange(n, this.threads, gemmEngine().tilePixels);
        shares = cols.map((c) => ({ batches: [0, count], range: { rows: [0, m], cols: c } }));
      } else {
        const rows = splitRange(m, this.threads, gemmEngine().blockRows);
        shares = rows.map((r) => ({ batches: [0, count], range: { rows: r, cols: [0, n] } }));
      }
    }
    if (shares.length < 2) return matmulBatched(a, b, g);
    const out = sharedZeros(count * m * n);
    const common = { a: shared(a), b: shared(b), g, out };
    await this.runShares(shares.map((s) => ({ kind: "matmul", ...common, ...s })));
    return out;
  }

  /** Terminates the workers; pending calls reject. The pool cannot be used afterwards. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (KernelPool.instances.get(this.threads) === this) KernelPool.instances.delete(this.threads);
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(new Error("KernelPool was closed while a call was running"));
    }
    for (const slot of this.slots.splice(0)) void slot.worker.terminate();
  }

  private assertOpen(where: string): void {
    if (this.closed) throw new Error(`KernelPool.${where}: the pool has been closed`);
  }

  private parallel(macs: number): boolean {
    return this.threads > 1 && macs >= this.minParallelMacs;
  }

  /** Workers take shares 1…; the calling thread computes share 0 meanwhile. All shares finish before it returns. */
  private async runShares(jobs: KernelJob[]): Promise<void> {
    const remote = jobs.slice(1).map((job, i) => this.post(this.slot(i), job));
    let localError: unknown;
    try {
      runKernelJob(jobs[0]!);
    } catch (error) {
      localError = error;
    }
    const settled = await Promise.allSettled(remote);
    if (localError !== undefined) throw localError;
    for (const s of settled) if (s.status === "rejected") throw s.reason;
  }

  private slot(index: number): WorkerSlot {
    while (this.slots.length <= index) this.slots.push(this.spawn());
    return this.slots[index]!;
  }

  private spawn(): WorkerSlot {
    // Workers inherit node's flags, but --input-type (legal only with --eval) would make them fail to start.
    const execArgv = process.execArgv.filter((flag) => !flag.startsWith("--input-type"));
    const worker = new Worker(new URL("./conv-worker.js", import.meta.url), { execArgv });
    worker.unref();
    const slot: WorkerSlot = { worker, inFlight: 0 };
    worker.on("message", (reply: JobReply) => this.settle(reply));
    const fail = (reason: string) => {
      const index = this.slots.indexOf(slot);
      if (index >= 0) this.slots.splice(index, 1);
      for (const [id, p] of this.pending) {
        if (p.slot !== slot) continue;
        this.pending.delete(id);
        p.reject(new Error(`KernelPool worker failed: ${reason}`));
      }
    };
    worker.on("error", (error) => fail(error.message));
    worker.on("exit", (code) => fail(`exited with code ${code}`));
    return slot;
  }

  private post(slot: WorkerSlot, job: KernelJob): Promise<void> {
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      // Referenced only while it has work, so an awaited call keeps the process alive until it settles.
      if (slot.inFlight++ === 0) slot.worker.ref();
      const done = () => {
        if (--slot.inFlight === 0) slot.worker.unref();
      };
      this.pending.set(id, {
        slot,
        resolve: () => {
          done();
          resolve();
        },
        reject: (error) => {
          done();
          reject(error);
        },
      });
      slot.worker.postMessage({ id, job });
    });
  }

  private settle(reply: JobReply): void {
    const p = this.pending.get(reply.id);
    if (p === undefined) return;
    this.pending.delete(reply.id);
    if (reply.ok) p.resolve();
    else p.reject(new Error(reply.error));
  }
}
