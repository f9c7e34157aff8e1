/**
 * Running a compiled model on a device: the blob's input and output descriptors become RUN.layout (the
 * device parses the blob's header and sections but not its MessagePack IODS section), the input codes go up
 * in NCHW order, the output codes come back in NCHW order with the accelerator's counters.
 */

import { perfOfBlob } from "../../compiler/blob/perf.js";
import { type Blob, readBlob } from "../../compiler/blob/reader.js";
import { deviceImageOf } from "../../compiler/blob/writer.js";
import type { IoDescriptor } from "../../compiler/lower/index.js";
import type { TensorLayout } from "../../compiler/lower/layout.js";
import { dequantize, quantizeInput } from "../../compiler/ptq/golden.js";
import type { Codes, Encoding, QValue } from "../../compiler/ptq/qgraph.js";
import type { DeviceClient, RunResult } from "../protocol/client.js";
import { replyTimeoutMs } from "../protocol/policy.js";

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

/** The firmware's RUN watchdog when RUN.max_cycles is absent (firmware/app/main.c RUN_TIMEOUT_CYCLES), in seconds. */
export const FIRMWARE_RUN_TIMEOUT_S = 10;
/** Margin over the performance model's estimate before the watchdog fires (the device measured up to 1.4×). */
const RUN_BUDGET_MARGIN = 4;
const U32_MAX = 0xffff_ffff;

/**
 * Watchdog and reply wait for a RUN expected to take `expectedCycles`: the defaults (firmware 10 s,
 * host replyTimeoutMs("RUN")) cover small models; a larger one (a whole depth network on the board's
 * small accelerator) gets RUN_BUDGET_MARGIN times its estimate on both ends.
 */
export function runBudget(
  expectedCycles: number,
  clockHz: number,
): { maxCycles?: number; replyTimeoutMs?: number } {
  if (!(clockHz > 0) || !(expectedCycles > 0)) return {};
  const cycles = Math.ceil(RUN_BUDGET_MARGIN * expectedCycles);
  if (cycles <= FIRMWARE_RUN_TIMEOUT_S * clockHz) return {};
  const maxCycles = Math.min(U32_MAX, cycles);
  return { maxCycles, replyTimeoutMs: replyTimeoutMs("RUN") + (1000 * maxCycles) / clockHz };
}

/** The performance model's cycles for a blob on its target (computed once per blob). */
export function expectedCycles(blob: Blob): number {
  return perfOfBlob(blob).cycles;
}

/** Runs the device's active model, which must be `blob`, on input codes (as sim/isa/run.ts takes them). */
export async function runBlobOnDevice(
  client: DeviceClient,
  blob: Blob,
  inputCodes: Codes,
  opts: { signal?: AbortSignal; maxCycles?: number } = {},
): Promise<DeviceRunResult> {
  const budget =
    opts.maxCycles === undefined ? runBudget(expectedCycles(blob), client.info?.clockHz ?? 0) : {};
  const run = await client.run(codesToFrame(inputCodes, blob.io.input.layout.ebits), {
    layout: runLayout(blob),
    signal: opts.signal,
    maxCycles: opts.maxCycles ?? budget.maxCycles,
    ...(budget.replyTimeoutMs !== undefined ? { replyTimeoutMs: budget.replyTimeoutMs } : {}),
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

/** A blob's input or output descriptor as the quantized value the golden model's helpers take. */
export function ioValue(d: IoDescriptor): QValue {
  const e = d.encoding;
  const scales = Float64Array.from(e.scales);
  let enc: Encoding;
  if (e.kind === "lin8") {
    if (!e.zeros) throw new Error(`${d.name}: lin8 encoding without zero points`);
    enc = { kind: "lin8", channels: e.channels, scales, zeros: Int32Array.from(e.zeros) };
  } else if (e.kind === "lut4") {
    if (!e.lut || !e.zeroCode) throw new Error(`${d.name}: lut4 encoding without its tables`);
    enc = {
      kind: "lut4",
      channels: e.channels,
      scales,
      lut: Int8Array.from(e.lut),
      zeroCode: Uint8Array.from(e.zeroCode),
    };
  } else enc = { kind: "acc32", channels: e.channels, scales };
  return { name: d.name, shape: d.shape.slice(), enc };
}

/** Input codes from real NCHW values with the blob's input encoding (lin8), as the golden model quantizes. */
export function quantizeBlobInput(blob: Blob, x: Float32Array): Uint8Array {
  const v = ioValue(blob.io.input);
  const count = v.shape.reduce((a, b) => a * b, 1);
  if (x.length !== count)
    throw new Error(`${x.length} input values; the model input ${v.shape.join("×")} takes ${count}`);
  if (v.enc.kind !== "lin8") throw new Error(`the model input is ${v.enc.kind}, not lin8`);
  return quantizeInput(x, v);
}

/** Real values of output codes with the blob's output encoding. */
export function dequantizeBlobOutput(blob: Blob, codes: Codes): Float32Array {
  return dequantize(codes, ioValue(blob.io.output));
}
