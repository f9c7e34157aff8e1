/**
 * Accelerator targets as data: the array, the on-chip buffers, external memories and the timing the
 * performance model uses. The lowering tiles for these sizes and the simulator allocates exactly them.
 */
import { constant, SOC_CLOCK_HZ, XMEM_LAYOUT } from "../../fpga/soc/map.js";
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
  /** Extra cycles per DMA row (burst setup, address phase; the DMA engine's own cycles per row included). */
  readonly rowOverheadCycles: number;
  /**
   * Set for a device that times every transfer from its addresses (the SoC's PSRAM): the averages above
   * then serve the tiling heuristics only, and the performance model times each DMA row exactly.
   */
  readonly burst?: BurstTiming;
}

/**
 * A memory that serves one transfer (one DMA row) at a time: the read or write latency, then a byte every
 * `byteCycles`, the latency again at every multiple of `bytes` (the PSRAM's chip-select limit), and the
 * DMA engine's `engineCycles` per row around it (its row set-up and hand-over). Segments start on a
 * multiple of `bytes` (the SoC's slots and arena, the blob's section placement).
 */
export interface BurstTiming {
  readonly bytes: number;
  readonly readLatency: number;
  readonly writeLatency: number;
  readonly byteCycles: number;
  readonly engineCycles: number;
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
  /**
   * INP held once, in this many byte-interleaved banks that the array's columns read in parallel (absent:
   * a copy per column). A tap takes one cycle per window of `inpBanks` consecutive bytes its columns'
   * codes span (perf.ts passTapCycles).
   */
  readonly inpBanks?: number;
  /** Array pipeline fill per pass. */
  readonly passOverheadCycles: number;
  /** Cycles per output-channel block of a CONV (a pass's rows) spent setting up its rows (0: none). */
  readonly blockOverheadCycles?: number;
  /**
   * W8 passes on an array whose W8 taps compute fewer output channels than W4 ones: output channels
   * per W8 pass and drain cycles per W8 output (absent: W8 passes are W4 passes at cyclesPerTap.w8).
   */
  readonly w8Pass?: { readonly rows: number; readonly drainCyclesPerOutput: number };
  /**
   * Cycles per output of a pass spent draining the accumulators before the next pass starts (1: one
   * accumulator per cycle, not overlapped with the next pass's taps; 0: drained in the background).
   */
  readonly drainCyclesPerOutput: number;
  /**
   * Cycles per byte of copying a CONV's or RESIZE's decode tables (LUT4: 16 bytes per channel, LIN8: 1)
   * from TBL into the decoder when it does not hold them already (0: not modelled).
   */
  readonly decodeTableCycles: number;
  /**
   * Vector unit: results per cycle, pipeline latency (with the instruction's setup), and cycles per
   * 32-bit stage-parameter word (bias, thresholds, requant) read from TBL before each channel of VEC
   * and RESIZE (0: prefetched).
   */
  readonly vector: {
    readonly lanes: number;
    readonly latencyCycles: number;
    readonly tableWordCycles: number;
    /**
     * An output stage that takes one element at a time for several cycles (absent: `lanes` results per
     * cycle). CONV drains, VEC and RESIZE then issue their elements one per cycle (RESIZE: every other
     * cycle) into a queue of `queue` elements in front of the stage; an element reaches the stage
     * `pipeCycles` after its issue (RESIZE: `resizePipeCycles`). Cycles per element: `thresh`, `requant`
     * (+ `leaky` with a LeakyReLU slope ≠ 1), `acc32`. The stage parameters of the next channels are
     * read only once every element of the previous ones has left the stage. `tailCycles`: from the
     * last issue to done (drain pipeline, ACC write), unless the stage finishes later.
     * `groupedSetupCycles` / `resizeSetupCycles`: added to the setup of a grouped CONV (og ≠ 0) / a
     * RESIZE, where the setup divides one bit per cycle instead of in a combinational divider.
     */
    readonly stage?: {
      readonly thresh: number;
      readonly requant: number;
      readonly leaky: number;
      readonly acc32: number;
      readonly queue: number;
      readonly pipeCycles: number;
      readonly resizePipeCycles: number;
      readonly tailCycles: number;
      readonly groupedSetupCycles?: number;
      readonly resizeSetupCycles?: number;
      /**
       * NORM and SMAX on the core's transformer units (quart_norm, quart_softmax), one element at a
       * time. NORM, per pixel: `normPixelCycles` (pixel setup, the pipeline drain and the unit's
       * per-pixel setup) + per channel one statistics cycle, the channel's stage-parameter words, then
       * `normChannelCycles` + the stage time (the value's read, its normalizing product and the stage,
       * written before the next channel's parameters). SMAX, per column: `smaxColumnCycles` (column
       * start, pass changes, the divider) + per score the three passes `smaxScoreCycles`; into INP a
       * probability waits for the previous one to be written: `smaxInpScoreCycles` + the stage time
       * instead of the third pass. Without per-channel parameters (THRESH or ACC32, no bias) a NORM
       * channel's value follows the previous one as soon as the unit takes it: `normFastChannelCycles`
       * per channel, `normFastPixelCycles` per pixel. At REQUANT (no TABLE) the next channel's
       * parameters load once the stage has taken the previous value: a channel every
       * 1 + max(stage, `normRequantChannelCycles`) cycles (its statistics cycle, then the stage's pace),
       * + `normRequantPixelCycles` per pixel.
       */
      readonly normPixelCycles?: number;
      readonly normChannelCycles?: number;
      readonly normFastPixelCycles?: number;
      readonly normFastChannelCycles?: number;
      readonly normRequantPixelCycles?: number;
      readonly normRequantChannelCycles?: number;
      readonly smaxColumnCycles?: number;
      readonly smaxScoreCycles?: readonly [number, number, number];
      readonly smaxInpScoreCycles?: number;
    };
  };
  /** On-chip buffer sizes in bytes (what the simulator allocates). */
  readonly buffers: Readonly<Record<BufferName, number>>;
  /** Where each external segment lives. */
  readonly segments: Readonly<Record<SegmentName, ExternalMemory>>;
  /** Program fetch: bytes per cycle from where the program is stored. */
  readonly fetchBytesPerCycle: number;
  /** Cycles from an instruction's end to the start of one that waits for its token (0 when absent). */
  readonly tokenCycles?: number;
  /** Instructions each queue holds before dispatch stalls (quart_accel QD); unbounded when absent. */
  readonly queueDepth?: number;
  /**
   * Every segment and the program sit in one external memory that serves one transfer at a time,
   * granted round-robin (the SoC's XMEM arbiter): the performance model replays the DMA rows of the three
   * queues and the program words on that memory. `engineCyclesPerRow`: the part of a DMA row's cycles
   * spent in the DMA engine, not holding the memory. Absent: each segment and the fetch have their own
   * bandwidth.
   */
  readonly sharedMemory?: {
    readonly engineCyclesPerRow: number;
    /** How far the program prefetcher may run ahead of the dispatch point, in words. */
    readonly fetchAheadWords: number;
  };
  readonly hostLink: string;
  /** Energy per operation (pJ) for the performance model's per-frame energy. */
  readonly energy: EnergyTable;
  /** Cycles per tap of an FP32 MAC (the FP32 mode of the array), when it has one. */
  readonly fp32TapCycles?: number;
  /** Set on the FP32 view of a target (fp32View): MACs are costed as FP32. */
  readonly fp32?: boolean;
}

/**
 * Energy per operation in pJ. A MAC is a multiply plus a 32-bit accumulate; SRAM is per byte of
 * on-chip buffer traffic, external memory per byte moved by DMA or fetched as program.
 */
export interface EnergyTable {
  readonly doc: string;
  readonly macW4: number;
  readonly macW8: number;
  readonly macFp32: number;
  readonly sramByte: number;
  readonly extByte: number;
  /** One vector-unit result (stage, resize tap pair, norm or softmax step). */
  readonly vectorOp: number;
}

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * A segment on the SoC's external PSRAM (fpga/soc/map.ts XMEM_*: the timing of the simulated device and
 * of the board's memory at SCLK = clk). A DMA row is one PSRAM transfer: the read or write latency plus
 * the DMA engine's own 2 cycles per row, then a byte every XMEM_BYTE_CYCLES, paying the latency again at
 * every XMEM_BURST_BYTES boundary. The performance model times each row exactly from `burst`; the
 * bandwidth and row overhead spread the same costs over the bytes for the tiling heuristics.
 */
const XMEM_DMA_ENGINE_CYCLES = 2;

function xmemSegment(bytes: number, use: string): ExternalMemory {
  const lat = constant("XMEM_READ_LATENCY");
  const byte = constant("XMEM_BYTE_CYCLES");
  const burst = constant("XMEM_BURST_BYTES");
  return {
    kind: `QSPI PSRAM (${use}, ${bytes / KiB} KiB of the SoC's XMEM)`,
    bytes,
    bytesPerCycle: burst / (burst * byte + lat),
    latencyCycles: 0,
    rowOverheadCycles: lat + XMEM_DMA_ENGINE_CYCLES,
    burst: {
      bytes: burst,
      readLatency: lat,
      writeLatency: constant("XMEM_WRITE_LATENCY"),
      byteCycles: byte,
      engineCycles: XMEM_DMA_ENGINE_CYCLES,
    },
  };
}

/** Program words come from the model slot in XMEM: 16 bytes per transfer, its latency and the hand-over. */
const XMEM_FETCH_BYTES_PER_CYCLE =
  16 / (constant("XMEM_READ_LATENCY") + 16 * constant("XMEM_BYTE_CYCLES") + 2);

/**
 * iCEBreaker (iCE40UP5K). 4 output channels × 8 pixels = 32 W4A8 MACs per cycle (fpga/rtl/accel: 16
 * multiply-accumulates inside the 8 DSPs, 16 with LUT Booth multipliers). W8A8 runs 8 MACs per
 * cycle (channel 0 only, 1 cycle per tap: `w8Pass`). Outputs go through a one-element-at-a-time
 * output stage (4 cycles for a lut4 code, 29 for a lin8 requant), which paces the drain of fused
 * convolutions and VEC/RESIZE (`vector.stage`); the pass schedule in perf.ts models it.
 * The SoC as built (fpga/rtl/soc): INP/OUT/ACC in SPRAM, WGT and TBL in EBRs; the program, weights and
 * tables are read in place from the model slot in the external PSRAM (XMEM), and the ACT arena is the
 * part of XMEM the firmware's layout leaves for activations (map.ts XMEM_LAYOUT). The CPU, the program
 * port and the three DMA ports share that one memory through a round-robin arbiter.
 */
export const icebreaker: Target = {
  name: "icebreaker",
  doc: "iCEBreaker iCE40UP5K prototype: 4×8 W4A8 array, SPRAM buffers, model and activations in an 8 MiB QSPI PSRAM, UART host link",
  clockHz: SOC_CLOCK_HZ,
  array: { rows: 4, cols: 8 },
  modes: ["W4A8", "W8A8"],
  // Measured on fpga/rtl/accel/quart_accel.v with the area-optimised array and output stage.
  // W8 taps take one cycle but compute output channel 0 only: a W8 pass is 1 channel × 8 pixels, and
  // each of its outputs takes two drain addresses (the high- and low-nibble partial sums).
  cyclesPerTap: { w4: 1, w8: 1 },
  inpBanks: 8,
  w8Pass: { rows: 1, drainCyclesPerOutput: 2 },
  // A pass: 1 cycle of pixel setup + the taps + 4 (the last tap lands and its spill commits, the drain
  // may start 3 cycles after it), then one drain address per cycle, not overlapped with the next
  // pass's taps. An output-channel block: 1 cycle of row setup.
  passOverheadCycles: 5,
  blockOverheadCycles: 1,
  drainCyclesPerOutput: 1,
  decodeTableCycles: 1,
  vector: {
    lanes: 1,
    // instruction setup (fields, tile geometry) and hand-over to the next instruction
    latencyCycles: 7,
    tableWordCycles: 1,
    // quart_out_stage (CONST_REQUANT): 4 cycles per threshold search, 29 per requant (+17 for
    // LeakyReLU), 1 per acc32 pass-through, behind a 16-element queue (8 measured 79.2 % MAC utilization on PyDNet, 16 83.5 %); a drained element reaches it
    // 5 cycles after its address (3 in the array, ACC read, bias add), a resized one 5 cycles after
    // its issue (its two input rows are read in consecutive cycles from the one INP copy).
    stage: {
      thresh: 4,
      requant: 29,
      leaky: 17,
      acc32: 1,
      queue: 16,
      pipeCycles: 5,
      resizePipeCycles: 5,
      tailCycles: 4,
      // the group count (oc_n - 1 + gphase) / og: 13 dividend bits, one per cycle, overlapping 2 setup
      // cycles; RESIZE: the x and y steps 256 (in - 1) / (out - 1) (20 bits, + 1) and y0's first tap
      // (13 double-and-add bits, 2 cycles each, + 1)
      groupedSetupCycles: 11,
      resizeSetupCycles: 49,
      // quart_norm: 137 setup cycles per pixel + pixel start, pipeline drain and hand-over (6); a
      // value's read (2), its 9-step product (10) and the queue and write-back around the stage (6).
      // quart_softmax: max 1 cycle per score, Σe 21 (16-step product, ROM, add, issue), p 39 (two
      // 16-step products), a 46-step divider per column
      normPixelCycles: 143,
      normChannelCycles: 18,
      // without stage parameters: the read (2), the 9-step product and its result (10)
      normFastPixelCycles: 145,
      normFastChannelCycles: 12,
      // REQUANT: the stage paces the channels (1 + 29 cycles a channel: 1081 cycles a pixel at
      // c_n = 32); the parameter job, the read and the product alone would take 19; per pixel the
      // setup above, the first channel's parameters and the last value's product (121)
      normRequantPixelCycles: 121,
      normRequantChannelCycles: 19,
      smaxColumnCycles: 53,
      smaxScoreCycles: [1, 21, 39],
      smaxInpScoreCycles: 45,
    },
  },
  buffers: { INP: 16 * KiB, OUT: 8 * KiB, ACC: 8 * KiB, WGT: 4 * KiB, TBL: 2 * KiB },
  segments: {
    ACT: xmemSegment(XMEM_LAYOUT.act.size, "ACT arena"),
    WGT: xmemSegment(XMEM_LAYOUT.slotSize, "weights in the model slot"),
    TBL: xmemSegment(XMEM_LAYOUT.slotSize, "tables in the model slot"),
  },
  fetchBytesPerCycle: XMEM_FETCH_BYTES_PER_CYCLE,
  // a token is counted at the end of its instruction's last cycle, so its waiter starts one cycle after
  // the next instruction of the same queue would
  tokenCycles: 1,
  queueDepth: 2,
  // quart_accel_fetch: 2^(CAW - 2) words ahead, CAW = 9
  sharedMemory: { engineCyclesPerRow: XMEM_DMA_ENGINE_CYCLES, fetchAheadWords: 128 },
  hostLink: "UART (FTDI), 115200 baud after reset, up to 3 Mbaud",
  energy: {
    doc:
      "iCE40UP5K at 24 MHz, from the UltraPlus power estimator's order of magnitude: DSP/LUT MACs ~20 pJ, " +
      "SPRAM/EBR ~10 pJ/byte, QSPI PSRAM ~150 pJ/byte",
    macW4: 20,
    macW8: 30,
    macFp32: 400,
    sramByte: 10,
    extByte: 150,
    vectorOp: 30,
  },
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
  drainCyclesPerOutput: 0,
  decodeTableCycles: 0,
  vector: { lanes: 32, latencyCycles: 5, tableWordCycles: 0 },
  // ACC holds the scores of 32 queries against 4096 keys (ViT-L at 1024: 16 × 4096 × 32 × 4 bytes per
  // head group); TBL the decode and threshold tables of a 1024-channel LayerNorm.
  buffers: { INP: 512 * KiB, OUT: 256 * KiB, ACC: 512 * KiB, WGT: 256 * KiB, TBL: 128 * KiB },
  segments: { ACT: DDR, WGT: DDR, TBL: DDR },
  fetchBytesPerCycle: 16,
  hostLink: "PCIe (not modelled)",
  fp32TapCycles: 4,
  energy: {
    doc:
      "28 nm, scaled from Horowitz (ISSCC 2014, 45 nm) by ~0.5 for logic: int8 multiply 0.1 pJ, 4×8 0.05 pJ, " +
      "32-bit add 0.05 pJ, FP32 multiply-add 2.3 pJ; SRAM 64 KB-class 1 pJ/byte; LPDDR4-class DRAM 4 pJ/bit",
    macW4: 0.1,
    macW8: 0.15,
    macFp32: 2.3,
    sramByte: 1,
    extByte: 32,
    vectorOp: 0.5,
  },
};

export const TARGETS: Readonly<Record<string, Target>> = { icebreaker, asic28 };

/**
 * The FP32 mode of a target, as a target the lowering tiles for: an FP32 element takes 4 bytes where
 * the W8A8 program moves 1, so a W8A8 program lowered for this view has the FP32 program's tiles,
 * passes and instruction stream; buffers hold a quarter of the elements, external bandwidth moves a
 * quarter of the elements per cycle, and a tap costs `fp32TapCycles`.
 */
export function fp32View(t: Target): Target {
  if (!t.fp32TapCycles) throw new Error(`target ${t.name} has no FP32 mode`);
  const quarter = (m: ExternalMemory): ExternalMemory => ({ ...m, bytesPerCycle: m.bytesPerCycle / 4 });
  return {
    ...t,
    name: `${t.name}-fp32`,
    doc: `${t.doc} — FP32 mode`,
    cyclesPerTap: { w4: t.fp32TapCycles, w8: t.fp32TapCycles },
    buffers: {
      ...t.buffers,
      INP: t.buffers.INP / 4,
      WGT: t.buffers.WGT / 4,
      OUT: t.buffers.OUT / 4,
    },
    segments: { ACT: quarter(t.segments.ACT), WGT: quarter(t.segments.WGT), TBL: t.segments.TBL },
    fp32: true,
  };
}

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
