/**
 * The matrix unit (CONV) and the vector unit (VEC, RESIZE): the semantics of compiler/isa/spec.ts on
 * the machine's buffers. Every range an instruction touches is checked once, before any element
 * access; the loops then run unchecked (the CONV arithmetic is in conv-tile.ts, its literal
 * transcription of the spec loop in reference.ts).
 */
import { EV, rowBytes, stageBits } from "../../compiler/isa/spec.js";
import {
  ConvScratch,
  type ConvTile,
  convSums,
  decodedLength,
  decodeInputTile,
  decodeWeights,
} from "./conv-tile.js";
import { inRange, need, readRowElem, type TableView } from "./memory.js";
import { Stage } from "./stage.js";

/** Field values of a decoded instruction (all present, see normalizeInstr). */
export type Fields = Readonly<Record<string, number>>;

export interface Buffers {
  readonly INP: Uint8Array;
  readonly WGT: Uint8Array;
  readonly ACC: Uint8Array;
  readonly ACC32: Int32Array;
  readonly OUT: Uint8Array;
  readonly TBL: TableView;
}

export interface ConvResult {
  macs: number;
  outputs: number;
}

/** Byte ranges the instruction touches in shared memories (for the hazard checker). */
export interface Footprint {
  inp?: [number, number];
  wgt?: [number, number];
  out?: [number, number];
}

export function convShape(cc: Fields): {
  inH: number;
  inW: number;
  ib: number;
  chN: (oc: number, gphase: number) => number;
} {
  const inH = (cc.oh_n! - 1) * cc.sy! + (cc.kh! - 1) * cc.dy! + 1 - cc.pt! - cc.pb!;
  const inW = (cc.ow_n! - 1) * cc.sx! + (cc.kw! - 1) * cc.dx! + 1 - cc.pl! - cc.pr!;
  need(inH >= 1 && inW >= 1, `CCFG: the padding leaves an empty input tile (${inH}×${inW})`);
  need(
    cc.sy! >= 1 && cc.sx! >= 1 && cc.dy! >= 1 && cc.dx! >= 1 && cc.kh! >= 1 && cc.kw! >= 1,
    "CCFG: zero kernel, stride or dilation",
  );
  const ib = cc.ienc === EV.ienc.LUT4 ? 4 : 8;
  const chN = (oc: number, gphase: number): number =>
    cc.og === 0 ? cc.ic_n! : (Math.floor((oc - 1 + gphase) / cc.og!) + 1) * cc.ic_n!;
  return { inH, inW, ib, chN };
}

export function convFootprint(cc: Fields, v: Fields, ins: Fields): Footprint {
  const { inH, inW, ib, chN } = convShape(cc);
  const irb = rowBytes(inW, ib);
  const wb = cc.wbits === EV.wbits.W8 ? 8 : 4;
  const fp: Footprint = {
    inp: [ins.inp!, chN(cc.oc_n!, ins.gphase!) * inH * irb],
    wgt: [ins.wgt!, Math.ceil((cc.oc_n! * cc.ic_n! * cc.kh! * cc.kw! * wb) / 8)],
  };
  if (ins.fuse) fp.out = [ins.dst!, cc.oc_n! * cc.oh_n! * rowBytes(cc.ow_n!, stageBits(v.stage!))];
  return fp;
}

/** One per process is enough: instructions never overlap, and a tile's arrays die with its CONV. */
const scratch = new ConvScratch();

export function execConv(b: Buffers, cc: Fields, v: Fields, ins: Fields): ConvResult {
  need(cc.ienc !== EV.ienc.INT4, "CONV: INT4 activations (W4A4) are not implemented");
  const { inH, inW, chN } = convShape(cc);
  const lut = cc.ienc === EV.ienc.LUT4;
  const t: ConvTile = {
    kh: cc.kh!,
    kw: cc.kw!,
    sy: cc.sy!,
    sx: cc.sx!,
    dy: cc.dy!,
    dx: cc.dx!,
    pt: cc.pt!,
    pb: cc.pb!,
    pl: cc.pl!,
    pr: cc.pr!,
    inH,
    inW,
    ocN: cc.oc_n!,
    ohN: cc.oh_n!,
    owN: cc.ow_n!,
    icN: cc.ic_n!,
    og: cc.og!,
    gphase: ins.gphase!,
    chN: chN(cc.oc_n!, ins.gphase!),
  };
  const fp = convFootprint(cc, v, ins);
  inRange(b.INP, fp.inp![0], fp.inp![1], "CONV input");
  inRange(b.WGT, fp.wgt![0], fp.wgt![1], "CONV weights");
  const shared = cc.ishared === 1;
  const tab = cc.itab! + (shared ? 0 : ins.ic0! * (lut ? 16 : 1));
  b.TBL.check(tab, (shared ? 1 : t.chN) * (lut ? 16 : 1), "CONV decode table");
  const plane = t.ohN * t.owN;
  const accBase = ins.acc! / 4;
  if (ins.accum || !ins.fuse) {
    need(ins.acc! % 4 === 0, "CONV: ACC address not 4-byte aligned");
    inRange(b.ACC, ins.acc!, t.ocN * plane * 4, "CONV accumulators");
  }
  const stage = ins.fuse ? new Stage(v, b.TBL) : undefined;
  let orb = 0;
  if (stage) {
    orb = rowBytes(t.owN, stage.bits);
    inRange(b.OUT, ins.dst!, t.ocN * t.ohN * orb, "CONV output");
    stage.checkChannels(ins.oc0!, t.ocN, "CONV");
  }
  const taps = t.kh * t.kw;
  const nW = t.ocN * t.icN * taps;
  const w = scratch.floats("weights", nW);
  const w8 = cc.wbits === EV.wbits.W8;
  if (cc.wt) transposeWeights(decodeWeights(b.WGT, ins.wgt!, nW, w8, undefined, cc.wofs === 1), cc, w);
  else decodeWeights(b.WGT, ins.wgt!, nW, w8, w, cc.wofs === 1);
  const values = scratch.floats("input", decodedLength(t));
  const input = decodeInputTile(b.INP, ins.inp!, b.TBL, tab, lut, t, values, shared);
  const sums = convSums(input, w, t, scratch);
  const row = new Int32Array(t.owN);
  for (let j = 0; j < t.ocN; j++) {
    stage?.channel(ins.oc0! + j);
    for (let y = 0; y < t.ohN; y++) {
      const at = j * plane + y * t.owN;
      let src = sums;
      let from = at;
      if (ins.accum) {
        // Modular int32 addition: the same as accumulating every product onto the start value.
        for (let x = 0; x < t.owN; x++) row[x] = (b.ACC32[accBase + at + x]! + sums[at + x]!) | 0;
        src = row;
        from = 0;
      }
      if (stage) stage.writeRow(b.OUT, ins.dst! + (j * t.ohN + y) * orb, src, from, t.owN);
      else b.ACC32.set(src.subarray(from, from + t.owN), accBase + at);
    }
  }
  return { macs: t.ocN * plane * t.icN * taps, outputs: t.ocN * plane };
}

/**
 * Transposed weights (activation operands stored [ic][oc], 1×1 kernels) into the [oc][ic] order of
 * model weights.
 */
function transposeWeights(stored: Float32Array, cc: Fields, w: Float32Array): void {
  const ocN = cc.oc_n!;
  const K = cc.ic_n! * cc.kh! * cc.kw!;
  need(K === cc.ic_n!, "CONV: transposed weights need a 1×1 kernel");
  // Transposed rows are DMA rows of oc_n elements, which start on a byte.
  need(cc.wbits === EV.wbits.W8 || ocN % 2 === 0, "CONV: transposed 4-bit weights need an even oc_n");
  for (let c = 0; c < K; c++) for (let j = 0; j < ocN; j++) w[j * K + c] = stored[c * ocN + j]!;
}

export function vecFootprint(v: Fields, ins: Fields): Footprint {
  return { out: [ins.dst!, ins.c_n! * ins.rows! * rowBytes(ins.cols!, stageBits(v.stage!))] };
}

export function execVec(b: Buffers, v: Fields, ins: Fields): number {
  const stage = new Stage(v, b.TBL);
  const { c_n: cN, rows, cols, src, dst, c0 } = ins as Required<Fields>;
  need(src! % 4 === 0, "VEC: ACC address not 4-byte aligned");
  inRange(b.ACC, src!, cN! * rows! * cols! * 4, "VEC source");
  const orb = rowBytes(cols!, stage.bits);
  inRange(b.OUT, dst!, cN! * rows! * orb, "VEC output");
  stage.checkChannels(c0!, cN!, "VEC");
  for (let j = 0; j < cN!; j++) {
    stage.channel(c0! + j);
    for (let r = 0; r < rows!; r++) {
      const ai = src! / 4 + (j * rows! + r) * cols!;
      const row = dst! + (j * rows! + r) * orb;
      stage.writeRow(b.OUT, row, b.ACC32, ai, cols!);
    }
  }
  return cN! * rows! * cols!;
}

/** Bilinear align_corners taps of one axis (spec.ts RCFG). */
export function resizeTaps(o: number, inSize: number, outSize: number): [number, number, number] {
  const den = outSize - 1;
  if (den === 0) return [0, 0, 0];
  const num = o * (inSize - 1);
  const i0 = Math.floor(num / den);
  return [i0, Math.min(i0 + 1, inSize - 1), Math.floor((256 * (num % den) + Math.floor(den / 2)) / den)];
}

export function resizeFootprint(rc: Fields, v: Fields, ins: Fields): Footprint {
  const ib = rc.ienc === EV.ienc.LUT4 ? 4 : 8;
  return {
    inp: [ins.inp!, ins.c_n! * ins.ih_n! * rowBytes(rc.in_w!, ib)],
    out: [ins.dst!, ins.c_n! * ins.ny! * rowBytes(rc.out_w!, stageBits(v.stage!))],
  };
}

export function execResize(b: Buffers, rc: Fields, v: Fields, ins: Fields): number {
  need(rc.ienc !== EV.ienc.INT4, "RESIZE: INT4 activations are not implemented");
  const lut = rc.ienc === EV.ienc.LUT4;
  const ib = lut ? 4 : 8;
  const { in_h: inH, in_w: inW, out_h: outH, out_w: outW } = rc as Required<Fields>;
  const { c_n: cN, ny, y0, iy0, ih_n: ihN, c0, inp, dst } = ins as Required<Fields>;
  const irb = rowBytes(inW!, ib);
  const fp = resizeFootprint(rc, v, ins);
  inRange(b.INP, fp.inp![0], fp.inp![1], "RESIZE input");
  inRange(b.OUT, fp.out![0], fp.out![1], "RESIZE output");
  need(y0! + ny! <= outH!, "RESIZE: rows past the output height");
  const stage = new Stage(v, b.TBL);
  stage.checkChannels(c0!, cN!, "RESIZE");
  if (lut) b.TBL.check(rc.itab! + c0! * 16, cN! * 16, "RESIZE decode table");
  const orb = rowBytes(outW!, stage.bits);
  const xa = new Int32Array(outW!);
  const xb = new Int32Array(outW!);
  const fx = new Int32Array(outW!);
  for (let x = 0; x < outW!; x++) [xa[x], xb[x], fx[x]] = resizeTaps(x, inW!, outW!);
  const dec = new Int32Array(ihN! * inW!);
  const acc = new Int32Array(outW!);
  const rowOf = (i: number): number => {
    const r = i - iy0!;
    need(
      r >= 0 && r < ihN!,
      `RESIZE: input row ${i} is not in the INP tile (rows ${iy0}..${iy0! + ihN! - 1})`,
    );
    return r * inW!;
  };
  for (let j = 0; j < cN!; j++) {
    stage.channel(c0! + j);
    const tab = rc.itab! + (c0! + j) * 16;
    for (let r = 0; r < ihN!; r++) {
      const src = inp! + (j * ihN! + r) * irb;
      for (let k = 0; k < inW!; k++) {
        const q = readRowElem(b.INP, src, k, ib);
        dec[r * inW! + k] = lut ? b.TBL.i8(tab + q) : q - 128;
      }
    }
    for (let t = 0; t < ny!; t++) {
      const [ya, yb, fy] = resizeTaps(y0! + t, inH!, outH!);
      const a = rowOf(ya);
      const c = rowOf(yb);
      for (let x = 0; x < outW!; x++) {
        const top = dec[a + xa[x]!]! * (256 - fx[x]!) + dec[a + xb[x]!]! * fx[x]!;
        const bot = dec[c + xa[x]!]! * (256 - fx[x]!) + dec[c + xb[x]!]! * fx[x]!;
        acc[x] = top * (256 - fy) + bot * fy;
      }
      stage.writeRow(b.OUT, dst! + (j * ny! + t) * orb, acc, 0, outW!);
    }
  }
  return cN! * ny! * outW!;
}
