/**
 * The matrix unit (CONV) and the vector unit (output stage, VEC, RESIZE): the reference loops of
 * compiler/isa/spec.ts, executed on the machine's buffers.
 */
import { EV, rowBytes, stageBits, TABLE_BYTES } from "../../compiler/isa/spec.js";
import { readRowElem, SimError, type TableView, writeRowElem } from "./memory.js";

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

function need(cond: boolean, msg: string): void {
  if (!cond) throw new SimError(msg);
}

function inRange(buf: Uint8Array, start: number, length: number, what: string): void {
  need(
    start >= 0 && start + length <= buf.length,
    `${what}: bytes ${start}..${start + length} outside ${buf.length}`,
  );
}

/** The VCFG output stage applied to one channel, parameters read once from TBL. */
export class Stage {
  readonly bits: 4 | 8 | 32;
  private bias = 0;
  private thr: Int32Array = new Int32Array(15);
  private m = 0;
  private n = 0;
  private z = 0;
  private div = 1;
  private round = 0;

  constructor(
    private readonly v: Fields,
    private readonly tbl: TableView,
  ) {
    this.bits = stageBits(v.stage!);
    if (v.stage === EV.stage.REQUANT && v.act === EV.act.LEAKY) need(v.alpha! >= 0, "VCFG: negative alpha");
  }

  /** Checks the tables of channels [c0, c0 + n) lie in TBL. */
  checkChannels(c0: number, n: number, what: string): void {
    if (this.v.bias) this.tbl.check(this.v.btab! + 4 * c0, 4 * n, `${what} bias`);
    if (this.v.stage === EV.stage.THRESH)
      this.tbl.check(this.v.ptab! + TABLE_BYTES.thresh * c0, TABLE_BYTES.thresh * n, `${what} thresholds`);
    if (this.v.stage === EV.stage.REQUANT)
      this.tbl.check(this.v.ptab! + TABLE_BYTES.requant * c0, TABLE_BYTES.requant * n, `${what} requant`);
    if (this.v.stage === EV.stage.REQUANT && this.v.act === EV.act.TABLE)
      this.tbl.check(this.v.ttab!, 256, `${what} code table`);
  }

  channel(ch: number): void {
    this.bias = this.v.bias ? this.tbl.i32(this.v.btab! + 4 * ch) : 0;
    if (this.v.stage === EV.stage.THRESH) {
      const base = this.v.ptab! + TABLE_BYTES.thresh * ch;
      for (let k = 0; k < 15; k++) this.thr[k] = this.tbl.i32(base + 4 * k);
    } else if (this.v.stage === EV.stage.REQUANT) {
      const base = this.v.ptab! + TABLE_BYTES.requant * ch;
      this.m = this.tbl.u16(base);
      this.n = this.tbl.u8(base + 2);
      this.z = this.tbl.i32(base + 4);
      need(this.n <= 47, `requant shift ${this.n} > 47`);
      this.div = 2 ** this.n;
      this.round = this.n > 0 ? 2 ** (this.n - 1) : 0;
    }
  }

  apply(acc: number): number {
    const a = (acc + this.bias) | 0;
    const stage = this.v.stage;
    if (stage === EV.stage.THRESH) {
      // 4-step binary search: the count of thresholds ≤ a when they are non-decreasing.
      let lo = 0;
      let hi = 15;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (a >= this.thr[mid]!) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    }
    if (stage === EV.stage.REQUANT) {
      let u = a;
      if (u < 0) {
        if (this.v.act === EV.act.RELU) u = 0;
        else if (this.v.act === EV.act.LEAKY) u = Math.floor((u * this.v.alpha!) / 65536);
      }
      // |u| < 2^32 and M < 2^16: the product is exact in float64 (a 48-bit multiplier in hardware).
      const q = Math.floor((u * this.m + this.round) / this.div) + this.z + 128;
      const code = q < 0 ? 0 : Math.min(q, 255);
      return this.v.act === EV.act.TABLE ? this.tbl.u8(this.v.ttab! + code) : code;
    }
    return a;
  }
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

function convShape(cc: Fields): {
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

export function execConv(b: Buffers, cc: Fields, v: Fields, ins: Fields): ConvResult {
  need(cc.ienc !== EV.ienc.INT4, "CONV: INT4 activations (W4A4) are not implemented");
  const { inH, inW, ib, chN: chOf } = convShape(cc);
  const {
    kh,
    kw,
    sy,
    sx,
    dy,
    dx,
    pt,
    pl,
    oc_n: ocN,
    oh_n: ohN,
    ow_n: owN,
    ic_n: icN,
  } = cc as Required<Fields>;
  const lut = cc.ienc === EV.ienc.LUT4;
  const irb = rowBytes(inW, ib);
  const chN = chOf(ocN!, ins.gphase!);
  const fp = convFootprint(cc, v, ins);
  inRange(b.INP, fp.inp![0], fp.inp![1], "CONV input");
  inRange(b.WGT, fp.wgt![0], fp.wgt![1], "CONV weights");
  const ic0 = ins.ic0!;
  const itab = cc.itab!;
  const shared = cc.ishared === 1;
  b.TBL.check(
    itab + (shared ? 0 : ic0) * (lut ? 16 : 1),
    (shared ? 1 : chN) * (lut ? 16 : 1),
    "CONV decode table",
  );
  // Decoded input with the padding materialized (zero codes around the tile).
  const PH = inH + pt! + cc.pb!;
  const PW = inW + pl! + cc.pr!;
  const dec = new Int32Array(chN * PH * PW);
  for (let ch = 0; ch < chN; ch++) {
    const plane = ch * PH * PW;
    const t = shared ? 0 : ic0 + ch;
    if (!lut) dec.fill(b.TBL.i8(itab + t), plane, plane + PH * PW);
    const tab = itab + t * 16;
    for (let iy = 0; iy < inH; iy++) {
      const row = ins.inp! + (ch * inH + iy) * irb;
      const o = plane + (iy + pt!) * PW + pl!;
      for (let ix = 0; ix < inW; ix++) {
        const q = readRowElem(b.INP, row, ix, ib);
        dec[o + ix] = lut ? b.TBL.i8(tab + q) : q - 128;
      }
    }
  }
  const taps = kh! * kw!;
  const w = convWeights(b.WGT, cc, ins.wgt!);
  const plane = ohN! * owN!;
  if (ins.accum || !ins.fuse) {
    need(ins.acc! % 4 === 0, "CONV: ACC address not 4-byte aligned");
    inRange(b.ACC, ins.acc!, ocN! * plane * 4, "CONV accumulators");
  }
  const stage = ins.fuse ? new Stage(v, b.TBL) : undefined;
  let orb = 0;
  if (stage) {
    orb = rowBytes(owN!, stage.bits);
    inRange(b.OUT, ins.dst!, ocN! * ohN! * orb, "CONV output");
    stage.checkChannels(ins.oc0!, ocN!, "CONV");
  }
  // Offset of every reduction step (c, ky, kx) from the window's corner in the padded tile, in the
  // weight order: the inner loop is then one flat multiply-accumulate over K = ic·kh·kw.
  const K = icN! * taps;
  const tapOff = new Int32Array(K);
  for (let c = 0, t = 0; c < icN!; c++)
    for (let ky = 0; ky < kh!; ky++)
      for (let kx = 0; kx < kw!; kx++) tapOff[t++] = c * PH * PW + ky * dy! * PW + kx * dx!;
  const accBase = ins.acc! / 4;
  for (let j = 0; j < ocN!; j++) {
    const g = cc.og === 0 ? 0 : Math.floor((j + ins.gphase!) / cc.og!);
    const chBase = g * icN! * PH * PW;
    const wj = w.subarray(j * K, (j + 1) * K);
    stage?.channel(ins.oc0! + j);
    for (let y = 0; y < ohN!; y++) {
      for (let x = 0; x < owN!; x++) {
        const ai = accBase + j * plane + y * owN! + x;
        const corner = chBase + y * sy! * PW + x * sx!;
        let a = ins.accum ? b.ACC32[ai]! : 0;
        for (let t = 0; t < K; t++) a += wj[t]! * dec[corner + tapOff[t]!]!;
        a |= 0;
        if (stage) writeRowElem(b.OUT, ins.dst! + (j * ohN! + y) * orb, x, stage.bits, stage.apply(a));
        else b.ACC32[ai] = a;
      }
    }
  }
  return { macs: ocN! * plane * icN! * taps, outputs: ocN! * plane };
}

/**
 * The weight tile in [oc][ic·kh·kw] order: signed (two's complement) or offset-binary elements, stored
 * as such or transposed ([ic][oc], 1×1 kernels).
 */
export function convWeights(wgt: Uint8Array, cc: Fields, addr: number): Int8Array {
  const ocN = cc.oc_n!;
  const K = cc.ic_n! * cc.kh! * cc.kw!;
  const w8 = cc.wbits === EV.wbits.W8;
  need(!cc.wt || K === cc.ic_n!, "CONV: transposed weights need a 1×1 kernel");
  // Transposed rows are DMA rows of oc_n elements, which start on a byte.
  need(!cc.wt || w8 || ocN % 2 === 0, "CONV: transposed 4-bit weights need an even oc_n");
  const raw = (i: number): number => (w8 ? wgt[addr + i]! : (wgt[addr + (i >> 1)]! >> ((i & 1) * 4)) & 15);
  const value = cc.wofs
    ? (i: number): number => raw(i) - (w8 ? 128 : 8)
    : w8
      ? (i: number): number => (raw(i) << 24) >> 24
      : (i: number): number => (raw(i) << 28) >> 28;
  const w = new Int8Array(ocN * K);
  if (cc.wt) {
    for (let c = 0; c < K; c++) for (let j = 0; j < ocN; j++) w[j * K + c] = value(c * ocN + j);
  } else for (let i = 0; i < w.length; i++) w[i] = value(i);
  return w;
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
      for (let x = 0; x < cols!; x++) writeRowElem(b.OUT, row, x, stage.bits, stage.apply(b.ACC32[ai + x]!));
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
  const tx = Array.from({ length: outW! }, (_, x) => resizeTaps(x, inW!, outW!));
  for (let j = 0; j < cN!; j++) {
    stage.channel(c0! + j);
    const tab = rc.itab! + (c0! + j) * 16;
    const value = (i: number, k: number): number => {
      const r = i - iy0!;
      need(
        r >= 0 && r < ihN!,
        `RESIZE: input row ${i} is not in the INP tile (rows ${iy0}..${iy0! + ihN! - 1})`,
      );
      const q = readRowElem(b.INP, inp! + (j * ihN! + r) * irb, k, ib);
      return lut ? b.TBL.i8(tab + q) : q - 128;
    };
    for (let t = 0; t < ny!; t++) {
      const [ya, yb, fy] = resizeTaps(y0! + t, inH!, outH!);
      const row = dst! + (j * ny! + t) * orb;
      for (let x = 0; x < outW!; x++) {
        const [xa, xb, fx] = tx[x]!;
        const top = value(ya, xa) * (256 - fx) + value(ya, xb) * fx;
        const bot = value(yb, xa) * (256 - fx) + value(yb, xb) * fx;
        writeRowElem(b.OUT, row, x, stage.bits, stage.apply(top * (256 - fy) + bot * fy));
      }
    }
  }
  return cN! * ny! * outW!;
}
