/**
 * One share of a kernel call, as the pool sends it to a worker (or runs it on the calling thread). Arrays
 * are views of SharedArrayBuffers, so posting a job copies no tensor data; every share writes a disjoint
 * part of `out`.
 */

import { conv2dRowsInto } from "./conv.js";
import type { Conv2dGeometry } from "./conv-params.js";
import { type ConvTransposeGeometry, convTranspose2dChannelsInto } from "./conv-transpose.js";
import { gemmEngine } from "./gemm-engine.js";
import { type BatchedMatmulGeometry, batchOffsets, type GemmRange, gemmInto, rowMajor } from "./matmul.js";

export type KernelJob =
  | {
      kind: "conv2d";
      x: Float32Array;
      w: Float32Array;
      bias: Float32Array | undefined;
      g: Conv2dGeometry;
      /** Flattened (image, output row) range. */
      rows: [number, number];
      out: Float32Array;
    }
  | {
      kind: "convTranspose2d";
      x: Float32Array;
      w: Float32Array;
      bias: Float32Array | undefined;
      g: ConvTransposeGeometry;
      channels: [number, number];
      out: Float32Array;
    }
  | {
      kind: "matmul";
      a: Float32Array;
      b: Float32Array;
      g: BatchedMatmulGeometry;
      /** Flat batch indices this share covers, and the part of each product. */
      batches: [number, number];
      range: GemmRange;
      out: Float32Array;
    };

export interface JobRequest {
  id: number;
  job: KernelJob;
}

export type JobReply = { id: number; ok: true } | { id: number; ok: false; error: string };

export function runKernelJob(job: KernelJob): void {
  const engine = gemmEngine();
  switch (job.kind) {
    case "conv2d":
      conv2dRowsInto(job.x, job.w, job.bias, job.g, job.rows[0], job.rows[1], job.out, engine);
      return;
    case "convTranspose2d":
      convTranspose2dChannelsInto(
        job.x,
        job.w,
        job.bias,
        job.g,
        job.channels[0],
        job.channels[1],
        job.out,
        engine,
      );
      return;
    case "matmul": {
      const { m, k, n } = job.g;
      for (let i = job.batches[0]; i < job.batches[1]; i++) {
        const at = batchOffsets(job.g, i);
        const out = rowMajor(job.out, n, i * m * n);
        gemmInto(rowMajor(job.a, k, at.a), rowMajor(job.b, n, at.b), out, m, k, n, engine, job.range);
      }
      return;
    }
    default:
      throw new Error(`unknown kernel job kind ${JSON.stringify((job as { kind: unknown }).kind)}`);
  }
}
