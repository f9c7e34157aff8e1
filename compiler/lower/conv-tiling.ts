/**
 * Tiling of a convolution: which output-channel × row × column × input-channel tiles fit the target's
 * double-buffered INP/OUT/WGT slots, ACC and TBL, and which of them the cost model prefers.
 */

import { convOutSize } from "../ir/shapes.js";
import { fieldMax, INSTR_BYTES, rowBytes } from "../isa/spec.js";
import type { Target } from "../isa/targets.js";
import type { QConv } from "../ptq/qgraph.js";
import { alignUp, halfOf, ranges, splitSizes } from "./context.js";

export interface ConvGeometry {
  n: number;
  c: number;
  h: number;
  w: number;
  o: number;
  group: number;
  /** Input channels per group, output channels per group. */
  cg: number;
  og: number;
  kh: number;
  kw: number;
  sy: number;
  sx: number;
  dy: number;
  dx: number;
  pt: number;
  pl: number;
  pb: number;
  pr: number;
  oh: number;
  ow: number;
}

export function convGeometry(node: QConv, inShape: readonly number[]): ConvGeometry {
  const [n, c, h, w] = inShape as [number, number, number, number];
  const [o, cg, kh, kw] = node.weightShape;
  const [pt, pl, pb, pr] = node.pads;
  const [sy, sx] = node.strides;
  const [dy, dx] = node.dilations;
  if (cg * node.group !== c)
    throw new Error(`conv "${node.name}": ${c} input channels, weights expect ${cg}×${node.group}`);
  return {
    n,
    c,
    h,
    w,
    o,
    group: node.group,
    cg,
    og: o / node.group,
    kh,
    kw,
    sy,
    sx,
    dy,
    dx,
    pt,
    pl,
    pb,
    pr,
    oh: convOutSize(h, kh, sy, pt, pb, dy),
    ow: convOutSize(w, kw, sx, pl, pr, dx),
  };
}

/** Throws with the reason when the instruction fields cannot express the layer. */
export function checkExpressible(node: QConv, g: ConvGeometry): void {
  const bad = (why: string): never => {
    throw new Error(`conv "${node.name}": ${why}`);
  };
  const kMax = fieldMax("CCFG", "kh");
  const sMax = fieldMax("CCFG", "sy");
  const dMax = fieldMax("CCFG", "dy");
  const pMax = fieldMax("CCFG", "pt");
  if (g.kh > kMax || g.kw > kMax) bad(`kernel ${g.kh}×${g.kw} exceeds ${kMax}`);
  if (Math.max(g.sy, g.sx) > sMax) bad(`strides must be ≤ ${sMax}`);
  if (Math.max(g.dy, g.dx) > dMax) bad(`dilations must be ≤ ${dMax}`);
  if (Math.max(g.pt, g.pl, g.pb, g.pr) > pMax) bad(`padding must be ≤ ${pMax}`);
  if (
    g.pt > (g.kh - 1) * g.dy ||
    g.pb > (g.kh - 1) * g.dy ||
    g.pl > (g.kw - 1) * g.dx ||
    g.pr > (g.kw - 1) * g.dx
  )
    bad("padding larger than the kernel extent (outputs that see only padding) is not supported");
  const ogMax = fieldMax("CCFG", "og");
  if (g.group > 1 && g.og > ogMax) bad(`more than ${ogMax} output channels per group`);
  if (g.oh < 1 || g.ow < 1) bad("empty output");
}

export interface Bits {
  ib: 4 | 8;
  ob: 4 | 8 | 32;
  wb: 4 | 8;
  /** Decode table bytes per input channel, stage parameter bytes per output channel. */
  tb: number;
  pb: number;
}

export interface ConvTiling {
  ocT: number;
  ohT: number;
  owT: number;
  icT: number;
  wholeWeights: boolean;
  wholeTables: boolean;
  cost: number;
}

/** Input channels an output-channel tile reads: [start, end). */
export function inputSpan(g: ConvGeometry, o0: number, o1: number, c0: number, c1: number): [number, number] {
  if (g.group === 1) return [c0, c1];
  const g0 = Math.floor(o0 / g.og);
  const g1 = Math.floor((o1 - 1) / g.og);
  return [g0 * g.cg, (g1 + 1) * g.cg];
}

/** The sizes of the tiles of n by `tile` (all full but the last) with their counts, largest first. */
function tileSizes(n: number, tile: number): Array<{ size: number; count: number }> {
  const t = Math.min(tile, n);
  const full = Math.floor(n / t);
  const rest = n - full * t;
  return rest
    ? [
        { size: t, count: full },
        { size: rest, count: 1 },
      ]
    : [{ size: t, count: full }];
}

export function maxSpan(g: ConvGeometry, ocT: number, icT: number): number {
  // Ungrouped: every output tile reads the same input channels.
  if (g.group === 1) return Math.min(icT, g.c);
  let m = 0;
  for (const [o0, o1] of ranges(g.o, ocT)) {
    const [a, b] = inputSpan(g, o0, o1, 0, icT);
    m = Math.max(m, b - a);
  }
  return m;
}

const inExtent = (out: number, s: number, k: number, d: number): number => (out - 1) * s + (k - 1) * d + 1;

export function chooseConvTiling(g: ConvGeometry, bits: Bits, t: Target, fuse: boolean): ConvTiling {
  const R = t.array.rows;
  const inpHalf = halfOf(t.buffers.INP);
  const outHalf = halfOf(t.buffers.OUT);
  const wgtHalf = halfOf(t.buffers.WGT);
  const taps = g.kh * g.kw;
  let best: ConvTiling | undefined;
  const ocCands = splitSizes(g.o, 24, R).filter((v) => v <= fieldMax("CCFG", "oc_n"));
  const icCands = g.group === 1 ? splitSizes(g.c, 24).filter((v) => v <= fieldMax("CCFG", "ic_n")) : [g.cg];
  const owCands = splitSizes(g.ow, 12).filter(
    (v) => v <= fieldMax("CCFG", "ow_n") && inExtent(v, g.sx, g.kw, g.dx) <= 2048,
  );
  for (const ocT of ocCands) {
    for (const icT of icCands) {
      const nIc = g.group === 1 ? Math.ceil(g.c / icT) : 1;
      const icEff = g.group === 1 ? icT : g.cg;
      const needAcc = nIc > 1 || !fuse;
      const chunk = (ocN: number, icN: number): number =>
        alignUp(Math.ceil((ocN * icN * taps * bits.wb) / 8));
      // Tiles are full-sized but for the last one on each axis: count each distinct size once.
      const oSizes = tileSizes(g.o, ocT);
      const cSizes = g.group === 1 ? tileSizes(g.c, icT) : [{ size: g.cg, count: 1 }];
      let totalW = 0;
      for (const os of oSizes)
        for (const cs of cSizes) totalW += os.count * cs.count * chunk(os.size, cs.size);
      const maxChunk = chunk(oSizes[0]!.size, cSizes[0]!.size);
      const wholeWeights = totalW <= t.buffers.WGT;
      if (!wholeWeights && maxChunk > wgtHalf) continue;
      const chans = maxSpan(g, ocT, icT);
      const tblWhole = alignUp(g.c * bits.tb, 4) + g.o * 4 + g.o * bits.pb;
      const wholeTables = tblWhole <= t.buffers.TBL && g.c <= 4096 && g.o <= 4096;
      if (!wholeTables && alignUp(chans * bits.tb, 4) + ocT * 4 + ocT * bits.pb > t.buffers.TBL) continue;
      for (const owT of owCands) {
        const inW = inExtent(owT, g.sx, g.kw, g.dx);
        const rbIn = rowBytes(inW, bits.ib);
        const maxInH = Math.min(2048, Math.floor(inpHalf / (chans * rbIn)));
        let ohMax = Math.min(g.oh, 1024, Math.floor((maxInH - (g.kh - 1) * g.dy - 1) / g.sy) + 1);
        ohMax = Math.min(ohMax, Math.floor(outHalf / (ocT * rowBytes(owT, bits.ob))));
        if (needAcc) ohMax = Math.min(ohMax, Math.floor(t.buffers.ACC / (ocT * owT * 4)));
        if (ohMax < 1) continue;
        // Fewer rows than fit can pay: more steps let loads and stores overlap the array.
        for (const ohT of splitSizes(g.oh, 8)
          .filter((v) => v <= ohMax)
          .concat(ohMax)) {
          const cost = tilingCost(g, t, bits, {
            ocT,
            ohT,
            owT,
            icT,
            nIc,
            chans,
            icEff,
            rbIn,
            totalW,
            wholeWeights,
            wholeTables,
            fused: fuse,
          });
          if (!best || cost < best.cost) best = { ocT, ohT, owT, icT, wholeWeights, wholeTables, cost };
        }
      }
    }
  }
  if (!best) throw new Error("no tiling fits the target's buffers");
  return best;
}

export interface TilingCandidate {
  ocT: number;
  ohT: number;
  owT: number;
  icT: number;
  nIc: number;
  chans: number;
  icEff: number;
  rbIn: number;
  totalW: number;
  wholeWeights: boolean;
  /** Decode tables, bias and stage parameters of the whole layer fit TBL (loaded once). */
  wholeTables?: boolean;
  /** The last input-channel chunk drains through the output stage (a fused CONV). */
  fused?: boolean;
}

/**
 * Estimated cycles of a tiling: the busier of array and DMA, plus the part of one step that cannot
 * overlap (pipeline fill and drain), plus a fixed cost per step (instructions, DMA latency).
 */
export function tilingCost(g: ConvGeometry, t: Target, bits: Bits, c: TilingCandidate): number {
  const nOc = Math.ceil(g.o / c.ocT);
  const tiles = g.n * nOc * Math.ceil(g.oh / c.ohT) * Math.ceil(g.ow / c.owT);
  const steps = tiles * c.nIc;
  const inRows = c.chans * inExtent(c.ohT, g.sy, g.kh, g.dy);
  const inBytes = steps * inRows * c.rbIn;
  const wBytes = c.wholeWeights ? c.totalW : c.nIc > 1 ? steps * (c.totalW / (nOc * c.nIc)) : g.n * c.totalW;
  const outBytes = g.n * g.o * g.oh * rowBytes(g.ow, bits.ob);
  // W8 passes may compute fewer output channels, with more drain cycles per output (Target.w8Pass)
  const w8 = bits.wb !== 4 ? t.w8Pass : undefined;
  const rowsPer = w8?.rows ?? t.array.rows;
  const passes = Math.ceil(c.ocT / rowsPer) * Math.ceil((c.ohT * c.owT) / t.array.cols);
  const cpt = bits.wb === 4 ? t.cyclesPerTap.w4 : t.cyclesPerTap.w8;
  const addrPerOut = w8?.drainCyclesPerOutput ?? t.drainCyclesPerOutput;
  const taps = c.icEff * g.kh * g.kw * cpt;
  const st = t.vector.stage;
  let mac: number;
  if (st && c.fused) {
    // An output stage that takes one element at a time (perf.ts convStaged): the drain of the last
    // input-channel chunk runs at most `queue` elements ahead of the stage, which needs n·cycles per
    // pass whatever the taps; the earlier chunks drain acc32 sums into ACC, one per cycle.
    const sc = bits.ob === 4 ? st.thresh : bits.ob === 8 ? st.requant : st.acc32;
    const n = Math.min(rowsPer, c.ocT) * Math.min(t.array.cols, c.ohT * c.owT);
    const drain = Math.max(n * addrPerOut, n > st.queue ? st.pipeCycles + (n - st.queue) * sc + 1 : 0);
    const last = Math.max(taps + t.passOverheadCycles + drain, n * sc);
    const early = taps + t.passOverheadCycles + n * addrPerOut;
    mac = (steps / c.nIc) * passes * ((c.nIc - 1) * early + last);
  } else {
    mac = steps * passes * (taps + t.passOverheadCycles) + steps * c.ocT * c.ohT * c.owT * addrPerOut;
  }
  // Tables on the compute queue (conv.ts reloads only what changed): the decode tables of each input
  // chunk, copied into the decoder too; bias and stage parameters once per output-channel tile.
  const tseg = t.segments.TBL;
  let tbl = 0;
  if (!c.wholeTables) {
    const itabLoads = c.nIc > 1 ? steps : g.group === 1 ? 1 : g.n * nOc;
    const itabBytes = c.chans * bits.tb;
    const ptabBytes = c.ocT * (4 + bits.pb);
    const load = (b: number): number => tseg.latencyCycles + tseg.rowOverheadCycles + b / tseg.bytesPerCycle;
    tbl =
      itabLoads * (load(itabBytes) + itabBytes * t.decodeTableCycles) + g.n * nOc * (2 * load(ptabBytes / 2));
  }
  mac += tbl;
  const act = t.segments.ACT;
  const wseg = t.segments.WGT;
  const dma =
    (inBytes + outBytes) / act.bytesPerCycle +
    wBytes / wseg.bytesPerCycle +
    steps * (inRows * act.rowOverheadCycles + 2 * act.latencyCycles);
  // A step is about four instruction words to fetch; column tiles add a CCFG per step (their
  // padding differs) and break the regularity that LOOPs compress.
  const words = Math.ceil(g.ow / c.owT) > 1 ? 6 : 4;
  const fetch = (words * INSTR_BYTES) / t.fetchBytesPerCycle;
  return Math.max(mac, dma) + Math.min(mac, dma) / steps + steps * (16 + wseg.latencyCycles + fetch);
}
