/**
 * Accelerator targets as data: the array, the on-chip buffers, external memories and the timing the
 * performance model uses. The lowering tiles for these sizes and the simulator allocates exactly them.
 */
import { ENUMS, OPCODES } from "./spec.js";

export type BufferName = "INP" | "WGT" | "TBL" | "ACC" | "OUT";
export type SegmentName = "ACT" | "WGT" | "TBL";
export type MatrixMode = "FP32" | "W8A8" | "W4A8" | "W4A4";

export interface ExternalMemory {
  /** What backs it. */
  readonly kind: string;
  readonly bytes: number;
  /** Sustained bytes per accelerator clock cycle. */
  readonly bytesPerCycle: number;
  /** Cycles from request to first data. */
  readonly latencyCycles: number;
  /** Extra cycles per DMA row (burst setup, address phase). */
  readonly rowOverheadCycles: number;
}

export interface Target {
  readonly name: string;
  readonly doc: string;
  readonly clockHz: number;
  /** Output-stationary array: rows = output channels, cols = output pixels; one MAC per cell per cycle. */
  readonly array: { readonly rows: number; readonly cols: number };
  readonly modes: readonly MatrixMode[];
  /** Cycles per reduction step per array pass, by weight bits (W8 may run at half rate). */
  readonly cyclesPerTap: { readonly w4: number; readonly w8: number };
  /** Array pipeline fill/drain per pass. */
  readonly passOverheadCycles: number;
  /** Vector unit: results per cycle and pipeline latency. */
  readonly vector: { readonly lanes: number; readonly latencyCycles: number };
  /** On-chip buffer sizes in bytes (what the simulator allocates). */
  readonly buffers: Readonly<Record<BufferName, number>>;
  /** Where each external segment lives. */
  readonly segments: Readonly<Record<SegmentName, ExternalMemory>>;
  /** Program fetch: bytes per cycle from where the program is stored. */
  readonly fetchBytesPerCycle: number;
  readonly hostLink: string;
}

const KiB = 1024;
const MiB = 1024 * KiB;

const SPI_FLASH: ExternalMemory = {
  kind: "quad-SPI flash (16 MiB, QSPI at the 24 MHz system clock: 4 bits per clock)",
  bytes: 16 * MiB,
  bytesPerCycle: 0.5,
  latencyCycles: 20,
  rowOverheadCycles: 20,
};

/**
 * iCEBreaker (iCE40UP5K). 4 output channels × 8 pixels = 32 W4A8 MACs per cycle (fpga/rtl/accel: 16
 * multiply-accumulates inside the 8 DSPs, 16 with LUT Booth multipliers; decode + array + output
 * stage ≈ 2590 LUT4). W8A8 runs 8 MACs per cycle (channel 0 only, 1 cycle per tap), modelled as the
 * same throughput on 4 rows at 4 cycles per tap. A pass of T taps costs T + 2 cycles and a drain of
 * 32 accumulators paced by the output stage: 4 cycles per element for lut4 outputs (threshold
 * search), which is what passOverheadCycles (2 + 32·4) and vector.lanes (1/4) model.
 * SPRAM: 2 blocks are the SoC RAM, 1 block holds INP/OUT/ACC, 1 block is the activation arena; WGT and
 * TBL are EBRs (12 of the 30). Weights, tables and the program stream from the SPI flash.
 */
export const icebreaker: Target = {
  name: "icebreaker",
  doc: "iCEBreaker iCE40UP5K prototype: 4×8 W4A8 array, SPRAM buffers, weights in quad-SPI flash, UART host link",
  clockHz: 24_000_000,
  array: { rows: 4, cols: 8 },
  modes: ["W4A8", "W8A8"],
  cyclesPerTap: { w4: 1, w8: 4 },
  passOverheadCycles: 130,
  vector: { lanes: 0.25, latencyCycles: 5 },
  buffers: { INP: 16 * KiB, OUT: 8 * KiB, ACC: 8 * KiB, WGT: 4 * KiB, TBL: 2 * KiB },
  segments: {
    ACT: {
      kind: "SPRAM block (32 KiB, 16 bit per cycle)",
      bytes: 32 * KiB,
      bytesPerCycle: 2,
      latencyCycles: 2,
      rowOverheadCycles: 1,
    },
    WGT: SPI_FLASH,
    TBL: SPI_FLASH,
  },
  fetchBytesPerCycle: 0.5,
  hostLink: "UART (FTDI), 115200 baud after reset, up to 3 Mbaud",
};

const DDR: ExternalMemory = {
  kind: "DDR, 19.2 GB/s",
  bytes: 4096 * MiB,
  bytesPerCycle: 19.2,
  latencyCycles: 100,
  rowOverheadCycles: 2,
};

/** The paper's accelerator: 28 nm, 1 GHz, DDR at 19.2 GB/s, large SRAM buffers. */
export const asic28: Target = {
  name: "asic28",
  doc: "QuartDepth 28 nm accelerator model: 1 GHz, 32×32 W4A8 array (W4A4 at twice the rate), DDR 19.2 GB/s",
  clockHz: 1_000_000_000,
  array: { rows: 32, cols: 32 },
  modes: ["FP32", "W8A8", "W4A8", "W4A4"],
  cyclesPerTap: { w4: 1, w8: 1 },
  passOverheadCycles: 8,
  vector: { lanes: 32, latencyCycles: 5 },
  buffers: { INP: 512 * KiB, OUT: 256 * KiB, ACC: 256 * KiB, WGT: 256 * KiB, TBL: 64 * KiB },
  segments: { ACT: DDR, WGT: DDR, TBL: DDR },
  fetchBytesPerCycle: 16,
  hostLink: "PCIe (not modelled)",
};

export const TARGETS: Readonly<Record<string, Target>> = { icebreaker, asic28 };

export function targetByName(name: string): Target {
  const t = TARGETS[name];
  if (!t) throw new Error(`unknown target "${name}" (known: ${Object.keys(TARGETS).join(", ")})`);
  return t;
}

/** Peak MACs per cycle in W4A8 mode. */
export function peakMacsPerCycle(t: Target): number {
  return (t.array.rows * t.array.cols) / t.cyclesPerTap.w4;
}

/** The largest buffer byte address the ISA can express (widest address field of the spec). */
export function addressableBufferBytes(): number {
  const addrFields = ["addr", "inp", "wgt", "acc", "dst", "src", "itab", "btab", "ptab"];
  let bits = 64;
  for (const o of OPCODES)
    for (const fd of o.fields) if (addrFields.includes(fd.name)) bits = Math.min(bits, fd.width);
  return 2 ** bits;
}

/** Throws when a target's buffers cannot be addressed by the instruction fields. */
export function validateTarget(t: Target): void {
  const limit = addressableBufferBytes();
  for (const [name, bytes] of Object.entries(t.buffers)) {
    if (bytes > limit)
      throw new Error(`target ${t.name}: buffer ${name} (${bytes} B) exceeds ${limit} addressable bytes`);
    if (!ENUMS.buf.values.some((v) => v.name === name))
      throw new Error(`target ${t.name}: unknown buffer ${name}`);
  }
  if (t.array.rows < 1 || t.array.cols < 1) throw new Error(`target ${t.name}: empty array`);
}
