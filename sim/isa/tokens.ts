/**
 * The vector unit's transformer steps (spec.ts NORM and SMAX): LayerNorm across channels and the
 * integer softmax down the key axis of attention scores.
 */
import { EV, rowBytes, stageBits } from "../../compiler/isa/spec.js";
import { isqrt, normReciprocal, normValue, softmaxColumn } from "../../compiler/ptq/golden-tokens.js";
import { inRange, need, readRowElem, writeRowElem } from "./memory.js";
import { Stage } from "./stage.js";
import type { Buffers, Fields, Footprint } from "./units.js";

export function normFootprint(v: Fields, ins: Fields): Footprint {
  const ib = ins.ienc === EV.ienc.LUT4 ? 4 : 8;
  const n = ins.c_n! * ins.rows!;
  return {
    inp: [ins.inp!, n * rowBytes(ins.cols!, ib)],
    out: [ins.dst!, n * rowBytes(ins.cols!, stageBits(v.stage!))],
  };
}

export function execNorm(b: Buffers, v: Fields, ins: Fields): number {
  need(ins.ienc !== EV.ienc.INT4, "NORM: INT4 activations are not implemented");
  need(ins.eps! >= 1, "NORM: eps must be at least 1");
  const lut = ins.ienc === EV.ienc.LUT4;
  const ib = lut ? 4 : 8;
  const { c_n: cN, rows, cols, inp, dst, itab } = ins as Required<Fields>;
  const irb = rowBytes(cols!, ib);
  const fp = normFootprint(v, ins);
  inRange(b.INP, fp.inp![0], fp.inp![1], "NORM input");
  inRange(b.OUT, fp.out![0], fp.out![1], "NORM output");
  b.TBL.check(itab!, cN! * (lut ? 16 : 1), "NORM decode table");
  const stage = new Stage(v, b.TBL);
  stage.checkChannels(0, cN!, "NORM");
  const orb = rowBytes(cols!, stage.bits);
  const vals = new Float64Array(cN!);
  const out = new Float64Array(cN! * cols!);
  for (let r = 0; r < rows!; r++) {
    for (let x = 0; x < cols!; x++) {
      let s1 = 0;
      let s2 = 0;
      for (let c = 0; c < cN!; c++) {
        const q = readRowElem(b.INP, inp! + (c * rows! + r) * irb, x, ib);
        const d = lut ? b.TBL.i8(itab! + c * 16 + q) : q - 128 - b.TBL.i8(itab! + c);
        vals[c] = d;
        s1 += d;
        s2 += d * d;
      }
      const rec = normReciprocal(isqrt(cN! * s2 - s1 * s1 + ins.eps!));
      for (let c = 0; c < cN!; c++) out[c * cols! + x] = normValue(vals[c]!, cN!, s1, rec);
    }
    for (let c = 0; c < cN!; c++) {
      stage.channel(c);
      const row = dst! + (c * rows! + r) * orb;
      for (let x = 0; x < cols!; x++)
        writeRowElem(b.OUT, row, x, stage.bits, stage.apply(out[c * cols! + x]!));
    }
  }
  return cN! * rows! * cols!;
}

export function smaxFootprint(v: Fields, ins: Fields): Footprint {
  const bytes = ins.c_n! * rowBytes(ins.cols!, stageBits(v.stage!));
  return ins.dbuf ? { inp: [ins.dst!, bytes] } : { out: [ins.dst!, bytes] };
}

export function execSmax(b: Buffers, v: Fields, ins: Fields): number {
  const { c_n: cN, cols, src, dst, m, n } = ins as Required<Fields>;
  need(src! % 4 === 0, "SMAX: ACC address not 4-byte aligned");
  inRange(b.ACC, src!, cN! * cols! * 4, "SMAX scores");
  need(n! <= 47, `SMAX: shift ${n} > 47`);
  const stage = new Stage(v, b.TBL);
  need(stage.bits !== 32, "SMAX: the stage must produce codes");
  stage.checkChannels(0, 1, "SMAX");
  stage.channel(0);
  const orb = rowBytes(cols!, stage.bits);
  const dest = ins.dbuf ? b.INP : b.OUT;
  inRange(dest, dst!, cN! * orb, `SMAX output (${ins.dbuf ? "INP" : "OUT"})`);
  const base = src! / 4;
  const column = new Float64Array(cN!);
  const probs = new Float64Array(cN!);
  for (let x = 0; x < cols!; x++) {
    for (let j = 0; j < cN!; j++) column[j] = b.ACC32[base + j * cols! + x]!;
    softmaxColumn(column, m!, n!, probs);
    for (let j = 0; j < cN!; j++) writeRowElem(dest, dst! + j * orb, x, stage.bits, stage.apply(probs[j]!));
  }
  return cN! * cols!;
}
