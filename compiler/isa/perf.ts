/**
 * Performance model of the microarchitecture the instructions describe: a fetch unit (program words
 * from flash/DRAM, LOOP bodies replayed from a loop buffer), three in-order queues that overlap as far
 * as the dependency tokens allow, DMA cost from each segment's bandwidth/latency/row overhead, the
 * output-stationary array (passes of rows×cols outputs, one reduction step per cycle), and the vector
 * unit (lanes, latency; a fused CONV drains through it while the array works).
 */
import { fieldValue, normalizeInstr } from "./encode.js";
import { expandLoops } from "./loops.js";
import { EBITS, ENUMS, EV, INSTR_BYTES, type Instr, opcodeDef, type Queue } from "./spec.js";
import { type BurstTiming, peakMacsPerCycle, type SegmentName, type Target } from "./targets.js";

/** Layer word ranges (LayerInfo of the lowering, or the blob's META). */
export interface PerfLayer {
  name: string;
  op: string;
  firstWord: number;
  words: number;
  /** Model MACs (padding taps excluded). */
  macs: number;
}

export interface LayerPerf {
  name: string;
  op: string;
  startCycle: number;
  endCycle: number;
  cycles: number;
  macs: number;
  arrayMacs: number;
  mac_utilization: number;
  dmaBytes: number;
  busy: { load: number; compute: number; store: number };
  /** The queue busiest in this layer. */
  bound: "load" | "compute" | "store";
}

export interface PerfReport {
  target: string;
  clockHz: number;
  cycles: number;
  seconds: number;
  fps: number;
  /** Model MACs (from the layers; array MACs when no layers are given). */
  macs: number;
  /** MACs the array executes, padding taps included. */
  arrayMacs: number;
  peakMacsPerCycle: number;
  mac_utilization: number;
  bytes: { actRead: number; actWrite: number; weights: number; tables: number; program: number };
  busy: { fetch: number; load: number; compute: number; store: number };
  instructions: number;
  layers: LayerPerf[];
  /** Energy per frame from the target's per-operation table (docs: Target.energy). */
  energy: EnergyReport;
}

export interface EnergyReport {
  /** µJ per frame. */
  total_uj: number;
  mac_uj: number;
  sram_uj: number;
  ext_uj: number;
  vector_uj: number;
  /** Model MACs per µJ (higher is better). */
  macs_per_uj: number;
}

type Fields = Record<string, number>;
const SEGS = ENUMS.seg.values.map((v) => v.name) as SegmentName[];

function dmaByteCount(f: Fields): number {
  return Math.ceil((f.n0! * f.n1! * f.n2! * EBITS[f.ebits!]!) / 8);
}

/** A DMA's cycles; `rowSink`, when given, receives each row's share (every row's own on a burst memory). */
function dmaCycles(t: Target, f: Fields, store: boolean, rowSink?: number[]): number {
  const mem = t.segments[SEGS[f.seg!]!];
  if (mem.burst) return burstDmaCycles(mem.burst, f, store, rowSink);
  const rows = f.n1! * f.n2!;
  const cycles =
    mem.latencyCycles + rows * mem.rowOverheadCycles + Math.ceil(dmaByteCount(f) / mem.bytesPerCycle);
  if (rowSink) for (let r = 0; r < rows; r++) rowSink.push(cycles / rows);
  return cycles;
}

/**
 * A DMA on a memory that serves each row as one transfer (Target segment `burst`): every row's byte range
 * from the instruction's addressing (docs/isa.md, LOAD), the latency once per burst piece it touches.
 * A load of a 4-bit row at an odd element with an odd count writes its last buffer nibble in one more
 * cycle (quart_accel_dma's tail). `rows`, when given, receives each row's cycles.
 */
function burstDmaCycles(m: BurstTiming, f: Fields, store: boolean, rows?: number[]): number {
  const eb = EBITS[f.ebits!]!;
  const lat = store ? m.writeLatency : m.readLatency;
  const split = lat + 1 - m.byteCycles;
  const oddTail = !store && eb === 4 && f.n0! % 2 === 1;
  let cycles = 0;
  for (let p = 0; p < f.n2!; p++) {
    for (let r = 0; r < f.n1!; r++) {
      const e = f.ext! + (p * f.rows! + r) * f.pitch!;
      const first = Math.floor((e * eb) / 8);
      const end = Math.ceil(((e + f.n0!) * eb) / 8);
      const pieces = Math.floor((end - 1) / m.bytes) - Math.floor(first / m.bytes) + 1;
      const row =
        m.engineCycles +
        lat +
        m.byteCycles * (end - first) +
        (pieces - 1) * split +
        (oddTail && e % 2 === 1 ? 1 : 0);
      rows?.push(row);
      cycles += row;
    }
  }
  return cycles;
}

/** 32-bit stage-parameter words per channel (bias + thresholds or requant). */
function stageWords(vcfg: Fields | undefined): number {
  const stage = vcfg?.stage ?? EV.stage.ACC32;
  return 1 + (stage === EV.stage.THRESH ? 15 : stage === EV.stage.REQUANT ? 2 : 0);
}

/** Cycles spent reading the stage parameters of c channels before VEC/RESIZE process them. */
function channelSetup(t: Target, vcfg: Fields | undefined, c: number): number {
  if (!t.vector.tableWordCycles) return 0;
  // + 2: the read pipeline and the hand-over to the element loop
  return c * (stageWords(vcfg) * t.vector.tableWordCycles + 2);
}

/**
 * What the matrix unit holds from TBL (targets with decodeTableCycles / tableWordCycles): the decode
 * tables copied into the decoder and the stage parameters of the last output-channel block. A LOADT
 * into TBL drops both; VCFG, VEC and RESIZE drop the stage parameters.
 */
export interface TableCache {
  win?: { ienc: number; src: number; n: number };
  par?: { ch0: number; rows: number };
}

/** Extra cycles of copying decode tables into the decoder when they are not the ones it holds. */
function decodeWindow(
  t: Target,
  cache: TableCache | undefined,
  ienc: number,
  src: number,
  n: number,
): number {
  if (!t.decodeTableCycles || !cache || n === 0) return 0;
  const w = cache.win;
  if (w && w.ienc === ienc && w.src === src && w.n >= n) return 0;
  cache.win = { ienc, src, n };
  return n * t.decodeTableCycles;
}

/**
 * Stage-parameter words read per channel on a target whose output stage reads the thresholds itself
 * (vector.stage): the bias, and M / n, zero for REQUANT.
 */
function stagedWords(vcfg: Fields | undefined): number {
  return (vcfg?.stage ?? EV.stage.ACC32) === EV.stage.REQUANT ? 3 : 1;
}

/** Cycles per element of a vector.stage output stage, from the VCFG in force. */
function stageElementCycles(t: Target, vcfg: Fields | undefined): number {
  const st = t.vector.stage!;
  const stage = vcfg?.stage ?? EV.stage.ACC32;
  if (stage === EV.stage.THRESH) return st.thresh;
  if (stage === EV.stage.REQUANT)
    return st.requant + (vcfg?.act === EV.act.LEAKY && vcfg.alpha !== 65536 ? st.leaky : 0);
  return st.acc32;
}

/**
 * The queue in front of a vector.stage output stage: elements enter in order, each one takes a queue
 * entry from its issue until the stage accepts it, and the stage takes one element at a time.
 */
class StageQueue {
  private readonly accepted: number[];
  private k = 0;
  private free = Number.NEGATIVE_INFINITY;
  private readonly cycles: number;
  /** First cycle at which every element issued so far has left the stage (its result written). */
  empty = 0;
  constructor(queue: number, cycles: number) {
    this.accepted = new Array<number>(queue).fill(Number.NEGATIVE_INFINITY);
    this.cycles = cycles;
  }
  /** Earliest cycle ≥ c at which a queue entry is free for the next element. */
  entryAt(c: number): number {
    return Math.max(c, this.accepted[this.k]! + 1);
  }
  /** An element issued at cycle `issue` reaches the stage `pipe` cycles later at the earliest. */
  push(issue: number, pipe: number): void {
    const a = Math.max(issue + pipe, this.free);
    this.accepted[this.k] = a;
    this.k = (this.k + 1) % this.accepted.length;
    this.free = a + this.cycles;
    // the result is written 2 cycles after the stage's last cycle of the element
    this.empty = a + this.cycles + 2;
  }
}

/**
 * Cycles of the taps of one pass over one input channel (every (ky, kx) once) on a target whose INP is
 * one copy in `inpBanks` byte-interleaved banks (Target.inpBanks): a tap reads the bytes of the pass's
 * lanes in windows of `inpBanks` consecutive bytes, each cycle the window that starts at the first lane
 * not yet served, so lanes on one input row at stride 1 (lut4 also at stride 2) take one cycle and a
 * pass that wraps to the next output row takes one more. The lanes' byte offsets depend on the tap
 * only through the parity of kx·dx (two lut4 codes per byte); ky and the channel move every lane alike.
 */
function passTapCycles(t: Target, c: Fields, p0: number, cv: number): number {
  const banks = t.inpBanks;
  if (!banks) return c.kh! * c.kw!;
  const lut = c.ienc === EV.ienc.LUT4;
  const size = t.buffers.INP;
  const inW = (c.ow_n! - 1) * c.sx! + (c.kw! - 1) * c.dx! + 1 - c.pl! - c.pr!;
  const rowBytes = lut ? Math.ceil(inW / 2) : inW;
  const windows = (parity: number): number => {
    const addr: number[] = [];
    for (let m = 0; m < cv; m++) {
      const p = p0 + m;
      const ix = (p % c.ow_n!) * c.sx! - c.pl! + parity;
      const row = (Math.floor(p / c.ow_n!) * c.sy! - c.pt!) * rowBytes;
      addr.push(row + (lut ? Math.floor(ix / 2) : ix));
    }
    const served = new Array<boolean>(cv).fill(false);
    let cycles = 0;
    for (let first = 0; first < cv; first = served.indexOf(false) === -1 ? cv : served.indexOf(false)) {
      const s = addr[first]!;
      for (let m = 0; m < cv; m++)
        if (!served[m] && (((addr[m]! - s) % size) + size) % size < banks) served[m] = true;
      cycles++;
    }
    return cycles;
  };
  const even = windows(0);
  const odd = lut ? windows(1) : even;
  let perRow = 0;
  for (let kx = 0; kx < c.kw!; kx++) perRow += (kx * c.dx!) % 2 === 0 ? even : odd;
  return c.kh! * perRow;
}

/**
 * CONV on a target with vector.stage, cycle by cycle of the pass schedule: per output-channel block
 * its setup and the load of its stage parameters (during the first pass's taps, once the stage has
 * finished the previous block), per pass the taps and the pipeline fill, then the drain: one address
 * per cycle (W8: two per output), a fused output waiting for a queue entry. Returns the cycles from
 * the first block's setup to done.
 */
function convStaged(t: Target, c: Fields, f: Fields, cfg: { vcfg?: Fields; tables?: TableCache }): number {
  const st = t.vector.stage!;
  const w8 = c.wbits === EV.wbits.W8;
  const rowsPer = w8 && t.w8Pass ? t.w8Pass.rows : t.array.rows;
  const addrPerOut = w8 && t.w8Pass ? t.w8Pass.drainCyclesPerOutput : t.drainCyclesPerOutput;
  const cpt = w8 ? t.cyclesPerTap.w8 : t.cyclesPerTap.w4;
  const taps = c.kh! * c.kw!;
  const pixels = c.oh_n! * c.ow_n!;
  const fuse = !!f.fuse;
  const q = new StageQueue(st.queue, stageElementCycles(t, cfg.vcfg));
  const words = stagedWords(cfg.vcfg) * t.vector.tableWordCycles;
  // the pass geometry repeats for every output-channel block
  const passMemo = new Map<number, number>();
  const passTaps = (p0: number, cv: number): number => {
    let v = passMemo.get(p0);
    if (v === undefined) {
      v = passTapCycles(t, c, p0, cv);
      passMemo.set(p0, v);
    }
    return v;
  };
  let time = 0;
  let next = 0;
  for (let jb = 0; jb < c.oc_n!; jb += rowsPer) {
    const rb = Math.min(rowsPer, c.oc_n! - jb);
    const last = jb + rb - 1;
    const turns =
      c.og === 0 ? 1 : Math.floor((last + f.gphase!) / c.og!) - Math.floor((jb + f.gphase!) / c.og!) + 1;
    const channelTaps = t.inpBanks ? passTaps : undefined;
    const o = time;
    time += t.blockOverheadCycles ?? 0;
    let jobDone = Number.NEGATIVE_INFINITY;
    const tc = cfg.tables;
    if (fuse && tc) {
      const ch0 = f.oc0! + jb;
      if (!(tc.par && tc.par.ch0 === ch0 && tc.par.rows >= rb)) {
        tc.par = { ch0, rows: rb };
        // one word per cycle once the stage is empty; done is seen the cycle after the last read's data
        jobDone = Math.max(o + 1, q.empty) + rb * words + 1;
      }
    }
    for (let p0 = 0; p0 < pixels; p0 += t.array.cols) {
      const cv = Math.min(t.array.cols, pixels - p0);
      const tapCycles = turns * c.ic_n! * cpt * (channelTaps ? channelTaps(p0, cv) : taps);
      next = Math.max(time + tapCycles + t.passOverheadCycles, jobDone + 1);
      jobDone = Number.NEGATIVE_INFINITY;
      for (let e = 0; e < rb * cv; e++) {
        if (fuse) {
          const issue = q.entryAt(next) + addrPerOut - 1;
          q.push(issue, st.pipeCycles);
          next = issue + 1;
        } else next += addrPerOut;
      }
      time = next;
    }
  }
  return Math.max(next + st.tailCycles, fuse ? q.empty : 0);
}

/**
 * VEC (resize = false) or RESIZE on a target with vector.stage: per channel the stage parameters
 * (once the stage is empty), then one element per cycle (RESIZE: per two cycles, + 1 per output row,
 * + 3 per channel), each waiting for a queue entry. Returns the cycles from setup to done.
 */
function vecStaged(
  t: Target,
  vcfg: Fields | undefined,
  channels: number,
  rows: number,
  cols: number,
  resize: boolean,
): number {
  const st = t.vector.stage!;
  const q = new StageQueue(st.queue, stageElementCycles(t, vcfg));
  const words = stagedWords(vcfg) * t.vector.tableWordCycles;
  let next = resize ? 0 : 1;
  for (let ch = 0; ch < channels; ch++) {
    // parameter reads from `next` (RESIZE: one cycle later) once the stage is empty
    const r = Math.max(next + (resize ? 1 : 0), q.empty);
    next = r + words + (resize ? 3 : 2);
    for (let y = 0; y < rows; y++) {
      for (let x = 0; x < cols; x++) {
        const issue = q.entryAt(next);
        q.push(issue, resize ? st.resizePipeCycles : st.pipeCycles);
        next = issue + (resize ? 2 : 1);
      }
      // RESIZE: a cycle per output row (the channel's first row is in the +3 above)
      if (resize && y + 1 < rows) next += 1;
    }
  }
  return Math.max(next + st.tailCycles, q.empty);
}

/** Cycles of one instruction on its queue, given the configuration registers in force. */
export function instrCycles(
  t: Target,
  instr: Instr,
  cfg: { ccfg?: Fields; rcfg?: Fields; vcfg?: Fields; tables?: TableCache },
): { cycles: number; arrayMacs: number; vectorOps?: number } {
  const lanes = t.vector.lanes;
  const vlat = t.vector.latencyCycles;
  const f = normalizeInstr(instr) as unknown as Fields;
  switch (instr.op) {
    case "LOAD":
    case "LOADT":
    case "STORE":
      return { cycles: dmaCycles(t, f, instr.op === "STORE"), arrayMacs: 0 };
    case "CONV": {
      const c = cfg.ccfg;
      if (!c) return { cycles: 1, arrayMacs: 0 };
      const taps = c.kh! * c.kw!;
      const outputs = c.oc_n! * c.oh_n! * c.ow_n!;
      if (t.vector.stage) {
        const lut = c.ienc === EV.ienc.LUT4;
        const chN = c.og === 0 ? c.ic_n! : (Math.floor((c.oc_n! - 1 + f.gphase!) / c.og!) + 1) * c.ic_n!;
        const window = decodeWindow(
          t,
          cfg.tables,
          c.ienc!,
          c.itab! + (c.ishared ? 0 : f.ic0! * (lut ? 16 : 1)),
          (c.ishared ? 1 : chN) * (lut ? 16 : 1),
        );
        const grouped = c.og === 0 ? 0 : (t.vector.stage.groupedSetupCycles ?? 0);
        return {
          cycles: window + vlat + grouped + convStaged(t, c, f, cfg),
          arrayMacs: outputs * c.ic_n! * taps,
          vectorOps: f.fuse ? outputs : 0,
        };
      }
      const pixPasses = Math.ceil((c.oh_n! * c.ow_n!) / t.array.cols);
      const passes = Math.ceil(c.oc_n! / t.array.rows) * pixPasses;
      const cpt = c.wbits === EV.wbits.W8 ? t.cyclesPerTap.w8 : t.cyclesPerTap.w4;
      // Grouped convolutions: the rows of a pass that belong to different groups take turns (each
      // group's taps with the other rows' weights at zero), so a pass runs its taps once per group.
      let turns = 0;
      // The stage parameters of an output-channel block load during its first pass's taps; the
      // drain waits for them.
      let paramStall = 0;
      for (let jb = 0; jb < c.oc_n!; jb += t.array.rows) {
        const last = Math.min(jb + t.array.rows, c.oc_n!) - 1;
        const blockTurns =
          c.og === 0 ? 1 : Math.floor((last + f.gphase!) / c.og!) - Math.floor((jb + f.gphase!) / c.og!) + 1;
        turns += blockTurns;
        const tc = cfg.tables;
        if (f.fuse && t.vector.tableWordCycles && tc) {
          const rows = last + 1 - jb;
          const ch0 = f.oc0! + jb;
          if (!(tc.par && tc.par.ch0 === ch0 && tc.par.rows >= rows)) {
            tc.par = { ch0, rows };
            const job = rows * stageWords(cfg.vcfg) * t.vector.tableWordCycles + 2;
            paramStall += Math.max(0, job - (blockTurns * c.ic_n! * taps * cpt + t.passOverheadCycles));
          }
        }
      }
      const lut = c.ienc === EV.ienc.LUT4;
      const chN = c.og === 0 ? c.ic_n! : (Math.floor((c.oc_n! - 1 + f.gphase!) / c.og!) + 1) * c.ic_n!;
      // One shared table (ishared) serves every channel.
      const window = decodeWindow(
        t,
        cfg.tables,
        c.ienc!,
        c.itab! + (c.ishared ? 0 : f.ic0! * (lut ? 16 : 1)),
        (c.ishared ? 1 : chN) * (lut ? 16 : 1),
      );
      const mac =
        window +
        paramStall +
        turns * pixPasses * c.ic_n! * taps * cpt +
        passes * t.passOverheadCycles +
        outputs * t.drainCyclesPerOutput;
      const cycles = (f.fuse ? Math.max(mac, Math.ceil(outputs / lanes)) : mac) + vlat;
      return { cycles, arrayMacs: outputs * c.ic_n! * taps, vectorOps: f.fuse ? outputs : 0 };
    }
    case "VEC": {
      const n = f.c_n! * f.rows! * f.cols!;
      if (t.vector.stage)
        return {
          cycles: vlat + vecStaged(t, cfg.vcfg, f.c_n!, f.rows!, f.cols!, false),
          arrayMacs: 0,
          vectorOps: n,
        };
      return {
        cycles: Math.ceil(n / lanes) + vlat + channelSetup(t, cfg.vcfg, f.c_n!),
        arrayMacs: 0,
        vectorOps: n,
      };
    }
    case "RESIZE": {
      // Two fixed-point lerps per axis: two vector cycles per output and lane.
      const rc = cfg.rcfg;
      const lut = rc?.ienc === EV.ienc.LUT4;
      const window =
        rc && lut ? decodeWindow(t, cfg.tables, rc.ienc!, rc.itab! + f.c0! * 16, f.c_n! * 16) : 0;
      const n = 2 * f.c_n! * f.ny! * (cfg.rcfg?.out_w ?? 1);
      if (t.vector.stage)
        return {
          cycles:
            window +
            vlat +
            (t.vector.stage.resizeSetupCycles ?? 0) +
            vecStaged(t, cfg.vcfg, f.c_n!, f.ny!, cfg.rcfg?.out_w ?? 1, true),
          arrayMacs: 0,
          vectorOps: n,
        };
      return {
        cycles: window + Math.ceil(n / lanes) + vlat + channelSetup(t, cfg.vcfg, f.c_n!),
        arrayMacs: 0,
        vectorOps: n,
      };
    }
    case "NORM": {
      const st = t.vector.stage;
      if (st?.normPixelCycles !== undefined) {
        const lut = f.ienc === EV.ienc.LUT4;
        const window = decodeWindow(t, cfg.tables, f.ienc!, f.itab!, f.c_n! * (lut ? 16 : 1));
        const words = stagedWords(cfg.vcfg) * t.vector.tableWordCycles;
        const stage = stageElementCycles(t, cfg.vcfg);
        // THRESH / ACC32 without bias: no parameters per channel, the values stream through the unit
        const fast = cfg.vcfg?.stage !== EV.stage.REQUANT && !cfg.vcfg?.bias && st.normFastChannelCycles;
        // REQUANT without TABLE: the next channel's parameters load while the stage works; the last
        // value then waits for the one before it in the stage (measured: stage + normRequantChannelCycles - 1 at the end)
        const early =
          !fast && cfg.vcfg?.act !== EV.act.TABLE && st.normRequantChannelCycles !== undefined
            ? Math.max(stage, st.normRequantChannelCycles)
            : 0;
        let perChannel = 1 + words + (st.normChannelCycles ?? 0) + stage;
        let perPixel = st.normPixelCycles;
        if (fast) {
          perChannel = 1 + fast;
          perPixel = st.normFastPixelCycles ?? perPixel;
        } else if (early) {
          perChannel = 1 + early;
          perPixel = st.normRequantPixelCycles ?? perPixel;
        }
        const pixels = f.rows! * f.cols!;
        return {
          cycles:
            vlat +
            window +
            pixels * (perPixel + f.c_n! * perChannel) +
            st.tailCycles +
            (fast ? stage : early ? stage + (st.normRequantChannelCycles ?? 0) - 1 : 0),
          arrayMacs: 0,
          vectorOps: 2 * f.c_n! * pixels,
        };
      }
      // Statistics pass, then the normalizing pass; one reciprocal per pixel from a 32-cycle divider
      // per lane, overlapped with the statistics of the next pixels.
      const n = 2 * f.c_n! * f.rows! * f.cols!;
      return {
        cycles: Math.ceil(n / lanes) + vlat + NORM_DIV_CYCLES + channelSetup(t, cfg.vcfg, f.c_n!),
        arrayMacs: 0,
        vectorOps: n,
      };
    }
    case "SMAX": {
      const st = t.vector.stage;
      if (st?.smaxScoreCycles !== undefined) {
        const [p0, p1, p2] = st.smaxScoreCycles;
        const words = stagedWords(cfg.vcfg) * t.vector.tableWordCycles;
        const stage = stageElementCycles(t, cfg.vcfg);
        const n = f.c_n!;
        // into INP, each probability but the last waits for the previous one's write
        const probs = f.dbuf ? (n - 1) * ((st.smaxInpScoreCycles ?? 0) + stage) + p2 : n * p2;
        const column = (st.smaxColumnCycles ?? 0) + n * (p0 + p1) + probs;
        return {
          cycles: vlat + words + 1 + f.cols! * column + stage + st.tailCycles,
          arrayMacs: 0,
          vectorOps: 3 * n * f.cols!,
        };
      }
      // Max, exp2+sum and normalize passes down each column; a 46-cycle divider per column and lane.
      const n = 3 * f.c_n! * f.cols!;
      return {
        cycles: Math.ceil(n / lanes) + Math.ceil(f.cols! / lanes) * SMAX_DIV_CYCLES + vlat,
        arrayMacs: 0,
        vectorOps: n,
      };
    }
    default:
      return { cycles: 1, arrayMacs: 0 };
  }
}

const NORM_DIV_CYCLES = 32;
const SMAX_DIV_CYCLES = 46;

type ModuleName = "load" | "compute" | "store";
const TOKEN_OF: Record<
  ModuleName,
  Partial<Record<"pop_prev" | "pop_next" | "push_prev" | "push_next", string>>
> = {
  load: { pop_next: "c2l", push_next: "l2c" },
  compute: { pop_prev: "l2c", pop_next: "s2c", push_prev: "c2l", push_next: "c2s" },
  store: { pop_prev: "c2s", push_prev: "s2c" },
};

/**
 * A requester's run of transfers on the shared memory (Target.sharedMemory): a DMA instruction (one
 * transfer per row) or a program word, as the schedule placed it. Rows `first .. first + count` of the
 * schedule's row list hold each transfer's cycles, the requester's own cycles around it included.
 */
interface MemSpan {
  q: ModuleName | "fetch";
  /** When the requester may ask for the first transfer. */
  start: number;
  /** A prefetch past the program's end: made only if it can start by then (the fetch unit stops at FINISH). */
  until?: number;
  first: number;
  count: number;
}

/** Round-robin order of the SoC's memory arbiter (soc_xmem.v: CPU, program port, DMA ports 0..2). */
const ARBITER_ORDER: readonly MemSpan["q"][] = ["fetch", "load", "compute", "store"];

/**
 * Extra cycles each span waits for the shared memory: the transfers of all spans replayed on one memory
 * that serves one transfer at a time, granted round-robin between the requesters that are waiting, as
 * the SoC's arbiter does. A requester asks for a span's first transfer at the span's start and for each
 * next one `engine` cycles after the previous one ended (the DMA engine's row hand-over), so a transfer
 * that arrives while a long one of another port runs waits for all of it.
 */
function sharedMemoryWaits(spans: readonly MemSpan[], rows: readonly number[], engine: number): Float64Array {
  const lists = ARBITER_ORDER.map(() => [] as number[]);
  spans.forEach((sp, i) => {
    lists[ARBITER_ORDER.indexOf(sp.q)]!.push(i);
  });
  for (const l of lists) l.sort((x, y) => spans[x]!.start - spans[y]!.start);
  const n = ARBITER_ORDER.length;
  const pos = new Int32Array(n); // span index in the requester's list
  const row = new Int32Array(n); // row inside that span
  const ready = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
  const own = new Float64Array(n); // the span's own cycles so far
  const began = new Float64Array(n); // when the span asked for its first transfer
  const waits = new Float64Array(spans.length);
  // requester k moves on to its next span, which it asks for at its start, not before `after`
  const nextSpan = (k: number, after: number): void => {
    const next = ++pos[k]!;
    ready[k] =
      next < lists[k]!.length ? Math.max(spans[lists[k]![next]!]!.start, after) : Number.POSITIVE_INFINITY;
  };
  for (let k = 0; k < n; k++) if (lists[k]!.length) ready[k] = spans[lists[k]![0]!]!.start;
  let free = 0;
  let last = n - 1;
  for (;;) {
    let earliest = Number.POSITIVE_INFINITY;
    for (let k = 0; k < n; k++) earliest = Math.min(earliest, ready[k]!);
    if (!Number.isFinite(earliest)) break;
    const at = Math.max(free, earliest);
    let k = last;
    do k = (k + 1) % n;
    while (ready[k]! > at);
    const i = lists[k]![pos[k]!]!;
    const sp = spans[i]!;
    if (sp.until !== undefined && at > sp.until) {
      // a prefetch the core never makes: it had stopped by then
      nextSpan(k, ready[k]!);
      continue;
    }
    if (row[k] === 0) began[k] = ready[k]!;
    const cycles = rows[sp.first + row[k]!]!;
    const end = at + cycles - engine;
    free = end;
    last = k;
    own[k] += cycles;
    if (++row[k]! < sp.count) {
      ready[k] = end + engine;
      continue;
    }
    waits[i] = end + engine - began[k]! - own[k]!;
    row[k] = 0;
    own[k] = 0;
    nextSpan(k, end + engine);
  }
  return waits;
}

/**
 * The shared-memory fixed point: waits from one schedule stretch the DMAs of the next. Damped rounds
 * until the frame's cycles move by at most SHARED_MEMORY_TOLERANCE from one round to the next, then
 * SHARED_MEMORY_AVERAGE_ROUNDS more whose waits are the mean of every wait computed since: near the
 * fixed point a few long transfers (a weight block is one row) change places at the arbiter from one
 * schedule to the next, so single rounds keep flipping small layers by 10 % while their mean settles.
 * (Four fixed damped rounds: PyDNet-mobile at 192×640 1.0 % below the RTL and 0.87–1.09 per layer.)
 */
const SHARED_MEMORY_TOLERANCE = 2e-4;
const SHARED_MEMORY_AVERAGE_ROUNDS = 8;
const SHARED_MEMORY_MAX_ROUNDS = 40;

export function perfModel(
  program: readonly Instr[],
  t: Target,
  layers: readonly PerfLayer[] = [],
): PerfReport {
  let run = schedule(program, t, layers);
  const shared = t.sharedMemory;
  if (!shared) return run.report;
  // Damped: a wait computed from a schedule with too little stretch overestimates the next one (an
  // undamped step makes the layers oscillate).
  let waits = new Float64Array(run.spans.length);
  let sum: Float64Array | undefined;
  let averaged = 0;
  let before = run.report.cycles;
  for (let round = 0; round < SHARED_MEMORY_MAX_ROUNDS; round++) {
    const next = sharedMemoryWaits(run.spans, run.rows, shared.engineCyclesPerRow);
    if (sum) {
      for (let i = 0; i < next.length; i++) sum[i]! += next[i]!;
      averaged++;
      waits = sum.map((v) => v / averaged);
    } else waits = waits.map((w, i) => (round === 0 ? next[i]! : (w + next[i]!) / 2));
    run = schedule(program, t, layers, waits);
    if (averaged >= SHARED_MEMORY_AVERAGE_ROUNDS) break;
    const now = run.report.cycles;
    if (!sum && round > 0 && Math.abs(now - before) <= SHARED_MEMORY_TOLERANCE * before)
      sum = new Float64Array(waits.length);
    before = now;
  }
  return run.report;
}

function schedule(
  program: readonly Instr[],
  t: Target,
  layers: readonly PerfLayer[],
  dmaWaits?: Float64Array,
): { report: PerfReport; spans: MemSpan[]; rows: number[] } {
  const spans: MemSpan[] = [];
  const rows: number[] = [];
  const free: Record<ModuleName, number> = { load: 0, compute: 0, store: 0 };
  const busy = { fetch: 0, load: 0, compute: 0, store: 0 };
  const tokens: Record<string, number[]> = { l2c: [], c2l: [], c2s: [], s2c: [] };
  const bytes = { actRead: 0, actWrite: 0, weights: 0, tables: 0, program: program.length * INSTR_BYTES };
  const layerOfWord = new Int32Array(program.length).fill(-1);
  layers.forEach((l, i) => {
    layerOfWord.fill(i, l.firstWord, Math.min(program.length, l.firstWord + l.words));
  });
  const lp = layers.map((l) => ({
    name: l.name,
    op: l.op,
    startCycle: Number.POSITIVE_INFINITY,
    endCycle: 0,
    cycles: 0,
    macs: l.macs,
    arrayMacs: 0,
    mac_utilization: 0,
    dmaBytes: 0,
    busy: { load: 0, compute: 0, store: 0 },
    bound: "compute" as LayerPerf["bound"],
  }));
  let vectorTotal = 0;
  let macsW8 = 0;
  let operandBytes = 0;
  let fetchedUpTo = 0;
  let fetchClock = 0;
  let dispatch = 0;
  let arrayMacs = 0;
  let count = 0;
  let end = 0;
  const cfg: { ccfg?: Fields; rcfg?: Fields; vcfg?: Fields; tables: TableCache } = { tables: {} };
  // Words are fetched in order (LOOP headers and patches too); a loop replays its body from the
  // loop buffer, so a word already fetched costs nothing again.
  // The prefetcher runs ahead of the dispatch point by up to `fetchAheadWords` (with a shared memory,
  // where its transfers hold up the DMAs): when the dispatch point first reached each word.
  const depth = t.queueDepth;
  const started: Record<ModuleName, number[]> = { load: [], compute: [], store: [] };
  const reachedAt = new Float64Array(program.length);
  let reached = -1;
  const ahead = t.sharedMemory?.fetchAheadWords ?? Number.POSITIVE_INFINITY;
  const windowOpen = (w: number): number => (w - ahead < 0 ? 0 : reachedAt[Math.min(w - ahead, reached)]!);
  const wordCycles = INSTR_BYTES / t.fetchBytesPerCycle;
  const fetchWord = (w: number): number => {
    if (w >= fetchedUpTo && t.sharedMemory) {
      // a transfer per word, waiting for the DMAs on the same memory
      for (; fetchedUpTo <= w; fetchedUpTo++) {
        const open = windowOpen(fetchedUpTo);
        fetchClock = Math.max(fetchClock, open) + wordCycles + (dmaWaits?.[spans.length] ?? 0);
        spans.push({ q: "fetch", start: open, first: rows.length, count: 1 });
        rows.push(wordCycles);
      }
    } else if (w >= fetchedUpTo) {
      fetchClock += (w + 1 - fetchedUpTo) * wordCycles;
      fetchedUpTo = w + 1;
    }
    return fetchClock;
  };
  for (const d of expandLoops(program)) {
    const f = normalizeInstr(d.instr) as unknown as Fields;
    const op = opcodeDef(d.instr.op);
    const q = op.queue as Exclude<Queue, "fetch">;
    dispatch = Math.max(dispatch + 1, fetchWord(d.word));
    // in-order dispatch into a queue of `queueDepth` waiting instructions: a full queue holds up the rest
    const waiting = started[q];
    if (depth !== undefined && waiting.length >= depth)
      dispatch = Math.max(dispatch, waiting[waiting.length - depth]! + 1);
    for (; reached < d.word; reached++) reachedAt[reached + 1] = dispatch;
    let start = Math.max(free[q], dispatch);
    for (const flag of ["pop_prev", "pop_next"] as const) {
      if (!fieldValue(d.instr, flag)) continue;
      const tq = TOKEN_OF[q][flag];
      const ready = tq ? tokens[tq]!.shift() : undefined;
      if (ready !== undefined) start = Math.max(start, ready + (t.tokenCycles ?? 0));
    }
    if (d.instr.op === "CCFG") cfg.ccfg = f;
    if (d.instr.op === "RCFG") cfg.rcfg = f;
    if (d.instr.op === "VCFG") cfg.vcfg = f;
    if (["VCFG", "VEC", "RESIZE", "NORM", "SMAX"].includes(d.instr.op)) cfg.tables.par = undefined;
    if (d.instr.op === "LOADT" && f.buf === EV.buf.TBL) cfg.tables = {};
    // on a shared memory a DMA's rows are transfers of their own: timed once, kept for the replay
    const span: MemSpan | undefined =
      t.sharedMemory && op.cls === "dma"
        ? { q, start: 0, first: rows.length, count: f.n1! * f.n2! }
        : undefined;
    const timed = span
      ? { cycles: dmaCycles(t, f, d.instr.op === "STORE", rows), arrayMacs: 0 }
      : instrCycles(t, d.instr, cfg);
    const { arrayMacs: am, vectorOps = 0 } = timed;
    const cycles = timed.cycles + (span ? Math.round(dmaWaits?.[spans.length] ?? 0) : 0);
    vectorTotal += vectorOps;
    if (am > 0) {
      const w8 = cfg.ccfg?.wbits === EV.wbits.W8;
      macsW8 += w8 ? am : 0;
      // Array operands: a weight feeds a row of `cols` MACs, an activation a column of `rows`.
      operandBytes += am * ((w8 ? 1 : 0.5) / t.array.cols + 1 / t.array.rows);
    }
    const stop = start + cycles;
    if (depth !== undefined) started[q].push(start);
    if (span) {
      span.start = start;
      spans.push(span);
    }
    free[q] = stop;
    busy[q] += cycles;
    end = Math.max(end, stop);
    arrayMacs += am;
    count++;
    for (const flag of ["push_prev", "push_next"] as const) {
      if (!fieldValue(d.instr, flag)) continue;
      const tq = TOKEN_OF[q][flag];
      if (tq) tokens[tq]!.push(stop);
    }
    let dma = 0;
    if (op.cls === "dma") {
      const seg = SEGS[f.seg!]!;
      // The FP32 view runs the W8A8 program: each of its bytes stands for a 4-byte element.
      dma = (t.fp32 && seg !== "TBL" ? 4 : 1) * dmaByteCount(f);
      if (seg === "ACT") {
        if (op.name === "STORE") bytes.actWrite += dma;
        else bytes.actRead += dma;
      } else if (seg === "WGT") bytes.weights += dma;
      else bytes.tables += dma;
    }
    const L = lp[layerOfWord[d.word]!];
    if (L) {
      L.startCycle = Math.min(L.startCycle, start);
      L.endCycle = Math.max(L.endCycle, stop);
      L.arrayMacs += am;
      L.dmaBytes += dma;
      L.busy[q] += cycles;
    }
  }
  if (t.sharedMemory && Number.isFinite(ahead)) {
    // words past the end, prefetched until FINISH is dispatched
    for (let w = program.length; w < program.length + ahead; w++) {
      spans.push({ q: "fetch", start: windowOpen(w), until: dispatch, first: rows.length, count: 1 });
      rows.push(wordCycles);
    }
  }
  busy.fetch = fetchClock;
  const peak = peakMacsPerCycle(t);
  for (const L of lp) {
    if (!Number.isFinite(L.startCycle)) L.startCycle = 0;
    L.cycles = L.endCycle - L.startCycle;
    L.mac_utilization = L.cycles > 0 ? L.macs / (L.cycles * peak) : 0;
    const b = L.busy;
    L.bound = b.load >= b.compute && b.load >= b.store ? "load" : b.store > b.compute ? "store" : "compute";
  }
  const macs = layers.length ? layers.reduce((s, l) => s + l.macs, 0) : arrayMacs;
  const e = t.energy;
  const dmaBytes = bytes.actRead + bytes.actWrite + bytes.weights + bytes.tables;
  const macPj = t.fp32 ? arrayMacs * e.macFp32 : macsW8 * e.macW8 + (arrayMacs - macsW8) * e.macW4;
  // Every DMA byte is written to or read from a buffer once; the array reads its operands.
  const sramPj = (dmaBytes + operandBytes * (t.fp32 ? 4 : 1)) * e.sramByte;
  const extPj = (dmaBytes + bytes.program) * e.extByte;
  const vecPj = vectorTotal * e.vectorOp;
  const totalUj = (macPj + sramPj + extPj + vecPj) / 1e6;
  const energy: EnergyReport = {
    total_uj: totalUj,
    mac_uj: macPj / 1e6,
    sram_uj: sramPj / 1e6,
    ext_uj: extPj / 1e6,
    vector_uj: vecPj / 1e6,
    macs_per_uj: totalUj > 0 ? macs / totalUj : 0,
  };
  const report: PerfReport = {
    target: t.name,
    clockHz: t.clockHz,
    cycles: end,
    seconds: end / t.clockHz,
    fps: end > 0 ? t.clockHz / end : 0,
    macs,
    arrayMacs,
    peakMacsPerCycle: peak,
    mac_utilization: end > 0 ? macs / (end * peak) : 0,
    bytes,
    busy,
    instructions: count,
    layers: lp,
    energy,
  };
  return { report, spans, rows };
}
