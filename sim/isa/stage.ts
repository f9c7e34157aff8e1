/** The VCFG output stage of the vector unit (spec.ts VCFG), shared by fused CONV, VEC and RESIZE. */
import { EV, stageBits, TABLE_BYTES } from "../../compiler/isa/spec.js";
import { need, type TableView, writeRowElem } from "./memory.js";
import type { Fields } from "./units.js";

const THRESH = EV.stage.THRESH;
const REQUANT = EV.stage.REQUANT;

/** The stage applied channel by channel, each channel's parameters read once from TBL. */
export class Stage {
  readonly bits: 4 | 8 | 32;
  private readonly kind: number;
  private readonly act: number;
  private readonly alpha: number;
  private readonly hasBias: boolean;
  private readonly btab: number;
  private readonly ptab: number;
  private readonly ttab: number;
  private bias = 0;
  private readonly thr = new Int32Array(15);
  private m = 0;
  private z = 0;
  private div = 1;
  private round = 0;

  constructor(
    v: Fields,
    private readonly tbl: TableView,
  ) {
    this.bits = stageBits(v.stage!);
    this.kind = v.stage!;
    this.act = v.act ?? EV.act.NONE;
    this.alpha = v.alpha ?? 0;
    this.hasBias = Boolean(v.bias);
    this.btab = v.btab ?? 0;
    this.ptab = v.ptab ?? 0;
    this.ttab = v.ttab ?? 0;
    if (this.kind === REQUANT && this.act === EV.act.LEAKY) need(this.alpha >= 0, "VCFG: negative alpha");
  }

  /** Checks the tables of channels [c0, c0 + n) lie in TBL. */
  checkChannels(c0: number, n: number, what: string): void {
    if (this.hasBias) this.tbl.check(this.btab + 4 * c0, 4 * n, `${what} bias`);
    if (this.kind === THRESH)
      this.tbl.check(this.ptab + TABLE_BYTES.thresh * c0, TABLE_BYTES.thresh * n, `${what} thresholds`);
    if (this.kind === REQUANT)
      this.tbl.check(this.ptab + TABLE_BYTES.requant * c0, TABLE_BYTES.requant * n, `${what} requant`);
    if (this.kind === REQUANT && this.act === EV.act.TABLE)
      this.tbl.check(this.ttab, 256, `${what} code table`);
  }

  channel(ch: number): void {
    this.bias = this.hasBias ? this.tbl.i32(this.btab + 4 * ch) : 0;
    if (this.kind === THRESH) {
      const base = this.ptab + TABLE_BYTES.thresh * ch;
      for (let k = 0; k < 15; k++) this.thr[k] = this.tbl.i32(base + 4 * k);
    } else if (this.kind === REQUANT) {
      const base = this.ptab + TABLE_BYTES.requant * ch;
      const n = this.tbl.u8(base + 2);
      this.m = this.tbl.u16(base);
      this.z = this.tbl.i32(base + 4);
      need(n <= 47, `requant shift ${n} > 47`);
      this.div = 2 ** n;
      this.round = n > 0 ? 2 ** (n - 1) : 0;
    }
  }

  apply(acc: number): number {
    if (this.kind === THRESH) return this.threshold(acc);
    if (this.kind === REQUANT) return this.requant(acc);
    return (acc + this.bias) | 0;
  }

  /**
   * The 4-step binary search over thresholds 7, then ±4, ±2, ±1 (the hardware's comparisons, also
   * when a table is not sorted): the count of thresholds ≤ a when they are non-decreasing.
   */
  private threshold(acc: number): number {
    const a = (acc + this.bias) | 0;
    const t = this.thr;
    // Comparison results as numbers, not branches: the codes of neighbouring pixels jump around.
    let lo = Number(a >= t[7]!) << 3;
    lo |= Number(a >= t[lo + 3]!) << 2;
    lo |= Number(a >= t[lo + 1]!) << 1;
    return lo | Number(a >= t[lo]!);
  }

  private requant(acc: number): number {
    let u = (acc + this.bias) | 0;
    if (u < 0) {
      if (this.act === EV.act.RELU) u = 0;
      else if (this.act === EV.act.LEAKY) u = Math.floor((u * this.alpha) / 65536);
    }
    // |u| < 2^32 and M < 2^16: the product is exact in float64 (a 48-bit multiplier in hardware).
    const q = Math.floor((u * this.m + this.round) / this.div) + this.z + 128;
    const code = q < 0 ? 0 : Math.min(q, 255);
    return this.act === EV.act.TABLE ? this.tbl.u8(this.ttab + code) : code;
  }

  /**
   * Elements 0..n-1 of the OUT row at byte `row` = stage(acc[from + x]); as n writeRowElem calls, so
   * the pad nibble after an odd 4-bit row is kept. One loop per stage keeps each loop's body small.
   */
  writeRow(out: Uint8Array, row: number, acc: Int32Array, from: number, n: number): void {
    if (this.kind === THRESH) {
      const pairs = n >> 1;
      for (let p = 0; p < pairs; p++)
        out[row + p] = this.threshold(acc[from + 2 * p]!) | (this.threshold(acc[from + 2 * p + 1]!) << 4);
      if (n & 1) writeRowElem(out, row, n - 1, 4, this.threshold(acc[from + n - 1]!));
    } else if (this.kind === REQUANT) {
      for (let x = 0; x < n; x++) out[row + x] = this.requant(acc[from + x]!);
    } else {
      for (let x = 0; x < n; x++) writeRowElem(out, row, x, this.bits, this.apply(acc[from + x]!));
    }
  }
}
