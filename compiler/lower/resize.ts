/**
 * Lowering of a bilinear align_corners resize: tiles of channels × output rows (full width); each tile
 * loads the input rows its taps touch and runs RESIZE (vector unit) with the output stage.
 */

import { EV, type Instr, rowBytes, stageBits } from "../isa/spec.js";
import { alignCornersTaps } from "../ptq/golden.js";
import type { QResize, QValue } from "../ptq/qgraph.js";
import { alignUp, halfOf, type LayerProgram, type LowerContext, ranges, splitSizes } from "./context.js";
import { linearDma, type TensorLayout, tileDma } from "./layout.js";
import type { Step } from "./pipeline.js";
import { decodeTable, decodeTableBytes, stageTable, stageTableBytes } from "./segments.js";
import { stageFields } from "./tables.js";

export function lowerResize(
  ctx: LowerContext,
  node: QResize,
  inV: QValue,
  outV: QValue,
  inL: TensorLayout,
  outL: TensorLayout,
): LayerProgram {
  const t = ctx.target;
  const [n, c, h, w] = inV.shape as [number, number, number, number];
  const [oh, ow] = node.size;
  const bad = (why: string): never => {
    throw new Error(`resize "${node.name}": ${why}`);
  };
  if (inV.enc.kind === "acc32") bad("its input is acc32");
  if (h > 4096 || w > 2048 || oh > 8192 || ow > 2048) bad("sizes exceed the RESIZE/DMA fields");
  const stageCode = stageFields(node.stage, undefined).stage;
  const ob = stageBits(stageCode);
  if (ob !== outL.ebits) bad(`the stage does not produce ${outV.enc.kind} codes`);
  const ib = inV.enc.kind === "lut4" ? 4 : 8;
  const tb = inV.enc.kind === "lut4" ? decodeTableBytes(inV.enc) : 0;
  const pb = stageTableBytes(node.stage);
  const itabSeg = tb ? ctx.tbl.append(decodeTable(inV.enc)) : 0;
  const ptabSeg = pb ? ctx.tbl.append(stageTable(node.stage, c)) : 0;
  const ty = alignCornersTaps(h, oh);
  const rowsFor = (y0: number, y1: number): [number, number] => [ty.i0[y0]!, ty.i1[y1 - 1]!];
  const inpHalf = halfOf(t.buffers.INP);
  const outHalf = halfOf(t.buffers.OUT);
  const wholeTables = alignUp(c * tb, 4) + c * pb <= t.buffers.TBL && c <= 4096;
  let best: { cT: number; rT: number; steps: number } | undefined;
  for (const cT of splitSizes(c, 32).filter((v) => v <= 4096)) {
    if (!wholeTables && alignUp(cT * tb, 4) + cT * pb > t.buffers.TBL) continue;
    let rT = Math.min(oh, 1024, Math.floor(outHalf / (cT * rowBytes(ow, ob))));
    // Shrink until the input rows of every row tile fit one INP slot.
    while (rT >= 1) {
      const fits = ranges(oh, rT).every(([y0, y1]) => {
        const [a, b] = rowsFor(y0, y1);
        return b - a + 1 <= 1024 && cT * (b - a + 1) * rowBytes(w, ib) <= inpHalf;
      });
      if (fits) break;
      rT--;
    }
    if (rT < 1) continue;
    const steps = Math.ceil(c / cT) * Math.ceil(oh / rT);
    if (!best || steps < best.steps) best = { cT, rT, steps };
  }
  if (!best) bad("no tiling fits the target's buffers");
  const tiling = best!;
  const ptabBuf = alignUp((wholeTables ? c : tiling.cT) * tb, 4);
  const ienc = inV.enc.kind === "lut4" ? EV.ienc.LUT4 : EV.ienc.LIN8;
  const steps: Step[] = [];
  let loaded = "";
  for (let b = 0; b < n; b++) {
    for (const [c0, c1] of ranges(c, tiling.cT)) {
      for (const [y0, y1] of ranges(oh, tiling.rT)) {
        const k = steps.length;
        const inpAddr = (k % 2) * inpHalf;
        const outAddr = (k % 2) * outHalf;
        const [r0, r1] = rowsFor(y0, y1);
        const load = tileDma("LOAD", EV.buf.INP, inL, b, c0, c1 - c0, r0, r1 - r0 + 1, 0, w, inpAddr);
        const compute: Instr[] = [];
        if (k === 0) {
          compute.push({ op: "RCFG", ienc, in_h: h, in_w: w, out_h: oh, out_w: ow, itab: 0 });
          compute.push({
            op: "VCFG",
            stage: stageCode,
            bias: 0,
            act: EV.act.NONE,
            alpha: 0,
            btab: 0,
            ptab: ptabBuf,
          });
        }
        const key = wholeTables ? "all" : `${c0}:${c1}`;
        if (key !== loaded) {
          const [a, z] = wholeTables ? [0, c] : [c0, c1];
          if (tb)
            compute.push(...linearDma("LOADT", EV.buf.TBL, EV.seg.TBL, 8, itabSeg + a * tb, 0, (z - a) * tb));
          if (pb)
            compute.push(
              ...linearDma("LOADT", EV.buf.TBL, EV.seg.TBL, 8, ptabSeg + a * pb, ptabBuf, (z - a) * pb),
            );
          loaded = key;
        }
        compute.push({
          op: "RESIZE",
          inp: inpAddr,
          dst: outAddr,
          c0: wholeTables ? c0 : 0,
          c_n: c1 - c0,
          y0,
          ny: y1 - y0,
          iy0: r0,
          ih_n: r1 - r0 + 1,
        });
        const store = tileDma("STORE", EV.buf.OUT, outL, b, c0, c1 - c0, y0, y1 - y0, 0, ow, outAddr);
        steps.push({ load, compute, store });
      }
    }
  }
  return {
    name: node.name,
    op: "resize",
    steps,
    macs: 0,
    tiling: `channels ${tiling.cT} × rows ${tiling.rT}${wholeTables ? ", tables resident" : ""}`,
  };
}
