/** The unfused path's second pass: acc32 tiles from memory through the vector unit into codes. */
import { EV, type Instr, rowBytes, stageBits } from "../isa/spec.js";
import type { QConv, QValue } from "../ptq/qgraph.js";
import { halfOf, type LayerProgram, type LowerContext, ranges, splitSizes } from "./context.js";
import { type TensorLayout, tileDma } from "./layout.js";
import type { Step } from "./pipeline.js";
import { stageTableBytes } from "./segments.js";
import { codeTableLoad, codeTableOf, stageFields, tableLoad, tableRegion } from "./tables.js";

export function lowerVectorPass(
  ctx: LowerContext,
  node: QConv,
  accL: TensorLayout,
  outL: TensorLayout,
  outV: QValue,
): LayerProgram {
  const t = ctx.target;
  const [n, o, oh, ow] = outV.shape as [number, number, number, number];
  if (ow > 2048) throw new Error(`conv "${node.name}": unfused vector pass needs rows ≤ 2048`);
  const sf = stageFields(node.stage, node);
  const ob = stageBits(sf.stage);
  const pb = stageTableBytes(node.stage);
  const outHalf = halfOf(t.buffers.OUT);
  const tables = tableRegion(ctx, undefined, undefined, node.stage, o, 0, o);
  const code = codeTableOf(node.stage);
  const ttabSeg = code ? ctx.tbl.append(code) : 0;
  // The code table (act TABLE) sits below the stage parameters.
  const reserved = code ? 256 : 0;
  const ptab = tables.buf.ptab + reserved;
  const wholeTables = o * pb + reserved <= t.buffers.TBL && o <= 4096;
  let best: { cT: number; rT: number } | undefined;
  for (const cT of splitSizes(o, 32).filter((v) => v <= 4096)) {
    if (!wholeTables && cT * pb + reserved > t.buffers.TBL) continue;
    const rT = Math.min(
      oh,
      1024,
      Math.floor(t.buffers.ACC / (cT * ow * 4)),
      Math.floor(outHalf / (cT * rowBytes(ow, ob))),
    );
    if (
      rT >= 1 &&
      (!best || Math.ceil(o / cT) * Math.ceil(oh / rT) < Math.ceil(o / best.cT) * Math.ceil(oh / best.rT))
    )
      best = { cT, rT };
  }
  if (!best) throw new Error(`conv "${node.name}": no vector-pass tiling fits`);
  const vcfg: Instr = {
    op: "VCFG",
    stage: sf.stage,
    bias: 0,
    act: sf.act,
    alpha: sf.alpha,
    btab: 0,
    ptab,
    ttab: tables.buf.ptab,
  };
  const steps: Step[] = [];
  let loaded = "";
  for (let b = 0; b < n; b++) {
    for (const [c0, c1] of ranges(o, best.cT)) {
      for (const [y0, y1] of ranges(oh, best.rT)) {
        const outAddr = (steps.length % 2) * outHalf;
        const compute: Instr[] = [];
        if (steps.length === 0) {
          compute.push(vcfg, ...codeTableLoad(node.stage, ttabSeg, tables.buf.ptab));
        }
        const key = wholeTables ? "all" : `${c0}:${c1}`;
        if (key !== loaded) {
          compute.push(...tableLoad(tables.seg.ptab, pb, wholeTables ? 0 : c0, wholeTables ? o : c1, ptab));
          loaded = key;
        }
        compute.push(...tileDma("LOADT", EV.buf.ACC, accL, b, c0, c1 - c0, y0, y1 - y0, 0, ow, 0));
        compute.push({
          op: "VEC",
          src: 0,
          dst: outAddr,
          c0: wholeTables ? c0 : 0,
          c_n: c1 - c0,
          rows: y1 - y0,
          cols: ow,
        });
        const store = tileDma("STORE", EV.buf.OUT, outL, b, c0, c1 - c0, y0, y1 - y0, 0, ow, outAddr);
        steps.push({ load: [], compute, store });
      }
    }
  }
  return {
    name: `${node.name}.stage`,
    op: "vector",
    steps,
    macs: 0,
    tiling: `channels ${best.cT} × rows ${best.rT}${wholeTables ? ", tables resident" : ""}`,
  };
}
