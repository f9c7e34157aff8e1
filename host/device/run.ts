/**
 * Running a compiled model on a device: the blob's input and output descriptors become RUN.layout (the
 * device parses the blob's header and sections but not its MessagePack IODS section), the input codes go up
 * in NCHW order, the output codes come back in NCHW order with the accelerator's counters.
 */
import { type Blob, readBlob } from "../../compiler/blob/reader.js";
import { deviceImageOf } from "../../compiler/blob/writer.js";
import type { TensorLayout } from "../../compiler/lower/layout.js";
import type { Codes } from "../../compiler/ptq/qgraph.js";
import type { DeviceClient, RunResult } from "../protocol/client.js";

/**
 * What goes up the link for a file: a blob's device image (without META, which only host tools read),
 * or the bytes as given when they do not parse as this build's blob (the device refuses them itself,
 * naming why).
 */
export function uploadImage(bytes: Uint8Array): Uint8Array {
  let blob: Blob;
  try {
    blob = readBlob(bytes);
  } catch {
    return bytes;
  }
  return deviceImageOf(blob);
}

/** RUN_DONE.counters of the quart SoC firmware (firmware/app/main.c run_counter_regs), in order. */
export const RUN_COUNTERS = [
  "run_cycles",
  "load_busy",
  "load_stall",
  "compute_busy",
  "compute_stall",
  "store_busy",
  "store_stall",
  "macs_lo",
  "macs_hi",
  "load_bytes",
  "loadt_bytes",
  "store_bytes",
  "prog_words",
  "dispatched",
  "tap_cycles",
  "vec_outputs",
  "tokens",
  "xmem_busy",
  "xmem_wait",
] as const;
export type RunCounterName = (typeof RUN_COUNTERS)[number];

export function layoutWords(l: TensorLayout): number[] {
  return [l.base, l.ebits, l.n, l.c, l.h, l.w, l.rowBytes, l.planeBytes, l.batchBytes];
}

/** RUN.layout for a blob: input layout, then output layout. */
export function runLayout(blob: Blob): number[] {
  return [...layoutWords(blob.io.input.layout), ...layoutWords(blob.io.output.layout)];
}

/** Codes as the frame carries them: one byte each, or 4 bytes little-endian for 32-bit tensors. */
export function codesToFrame(codes: Codes, ebits: number): Uint8Array {
  if (ebits !== 32) return Uint8Array.from(codes);
  const out = new Uint8Array(codes.length * 4);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < codes.length; i++) dv.setInt32(4 * i, codes[i]!, true);
  return out;
}

export function frameToCodes(frame: Uint8Array, ebits: number): Codes {
  if (ebits !== 32) return frame;
  const dv = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const out = new Int32Array(frame.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = dv.getInt32(4 * i, true);
  return out;
}

export interface DeviceRunResult {
  readonly codes: Codes;
  readonly run: RunResult;
  /** Accelerator cycles from start to DONE (RUN_DONE.cycles). */
  readonly cycles: number;
  readonly counters: Readonly<Partial<Record<RunCounterName, number>>>;
  readonly macs: number;
}

/** Runs the device's active model, which must be `blob`, on input codes (as sim/isa/run.ts takes them). */
export async function runBlobOnDevice(
  client: DeviceClient,
  blob: Blob,
  inputCodes: Codes,
  opts: { signal?: AbortSignal; maxCycles?: number } = {},
): Promise<DeviceRunResult> {
  const run = await client.run(codesToFrame(inputCodes, blob.io.input.layout.ebits), {
    layout: runLayout(blob),
    signal: opts.signal,
    maxCycles: opts.maxCycles,
  });
  const counters: Partial<Record<RunCounterName, number>> = {};
  RUN_COUNTERS.forEach((name, i) => {
    const v = run.counters[i];
    if (v !== undefined) counters[name] = v;
  });
  return {
    codes: frameToCodes(run.output, blob.io.output.layout.ebits),
    run,
    cycles: run.cycles,
    counters,
    macs: (counters.macs_lo ?? 0) + (counters.macs_hi ?? 0) * 2 ** 32,
  };
}
