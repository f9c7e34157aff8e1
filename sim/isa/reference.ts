/**
 * The CONV reference loop of compiler/isa/spec.ts transcribed literally: one element access per tap,
 * padding decided per tap, weights unpacked per tap. Far too slow for whole networks; it is the oracle
 * the fast matrix unit (conv-tile.ts) is tested against.
 */
import { EV, rowBytes } from "../../compiler/isa/spec.js";
import { inRange, readRowElem, writeRowElem } from "./memory.js";
import { Stage } from "./stage.js";
import { type Buffers, convFootprint, convShape, type Fields } from "./units.js";

/** Signed weight element i of the tile at byte `at`. */
function weightAt(wgt: Uint8Array, at: number, i: number, w8: boolean): number {
  if (w8) return (wgt[at + i]! << 24) >> 24;
  return (readRowElem(wgt, at, i, 4) << 28) >> 28;
}

export function referenceConv(b: Buffers, cc: Fields, v: Fields, ins: Fields): void {
  const { inH, inW, ib, chN } = convShape(cc);
  const fp = convFootprint(cc, v, ins);
  inRange(b.INP, fp.inp![0], fp.inp![1], "CONV input");
  inRange(b.WGT, fp.wgt![0], fp.wgt![1], "CONV weights");
  const { kh, kw, sy, sx, dy, dx, pt, pl, og, itab, ic0, oc0, gphase } = {
    ...cc,
    ...ins,
  } as Required<Fields>;
  const { oc_n: ocN, oh_n: ohN, ow_n: owN, ic_n: icN } = cc as Required<Fields>;
  const lut = cc.ienc === EV.ienc.LUT4;
  const w8 = cc.wbits === EV.wbits.W8;
  const irb = rowBytes(inW, ib);
  b.TBL.check(itab! + ic0! * (lut ? 16 : 1), chN(ocN!, gphase!) * (lut ? 16 : 1), "CONV decode table");
  const stage = ins.fuse ? new Stage(v, b.TBL) : undefined;
  if (ins.accum || !ins.fuse) inRange(b.ACC, ins.acc!, ocN! * ohN! * owN! * 4, "CONV accumulators");
  const orb = stage ? rowBytes(owN!, stage.bits) : 0;
  if (stage) {
    inRange(b.OUT, ins.dst!, ocN! * ohN! * orb, "CONV output");
    stage.checkChannels(oc0!, ocN!, "CONV");
  }
  for (let j = 0; j < ocN!; j++) {
    stage?.channel(oc0! + j);
    const g = og === 0 ? 0 : Math.floor((j + gphase!) / og!);
    for (let y = 0; y < ohN!; y++) {
      for (let x = 0; x < owN!; x++) {
        const ai = ins.acc! / 4 + (j * ohN! + y) * owN! + x;
        let a = ins.accum ? b.ACC32[ai]! : 0;
        for (let c = 0; c < icN!; c++) {
          const ch = g * icN! + c;
          for (let ky = 0; ky < kh!; ky++) {
            for (let kx = 0; kx < kw!; kx++) {
              const iy = y * sy! + ky * dy! - pt!;
              const ix = x * sx! + kx * dx! - pl!;
              let value: number;
              if (iy >= 0 && iy < inH && ix >= 0 && ix < inW) {
                const q = readRowElem(b.INP, ins.inp! + ch * inH * irb + iy * irb, ix, ib);
                value = lut ? b.TBL.i8(itab! + (ic0! + ch) * 16 + q) : q - 128;
              } else {
                value = lut ? 0 : b.TBL.i8(itab! + ic0! + ch);
              }
              a += weightAt(b.WGT, ins.wgt!, ((j * icN! + c) * kh! + ky) * kw! + kx, w8) * value;
            }
          }
        }
        a |= 0;
        if (stage) writeRowElem(b.OUT, ins.dst! + (j * ohN! + y) * orb, x, stage.bits, stage.apply(a));
        else b.ACC32[ai] = a;
      }
    }
  }
}
