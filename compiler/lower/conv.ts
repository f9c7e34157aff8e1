/**
 * Lowering of one quantized convolution into the steps (DMA, CONV, vector stage, STORE) of the
 * double-buffered pipeline, for the tiling conv-tiling.ts chose. Fused: the output stage runs on the
 * accumulators as they leave the array (CONV fuse=1). Unfused: the conv writes int32 to memory and a
 * vector pass (vector-pass.ts) re-reads it.
 */
import { EV, type Instr, stageBits } from "../isa/spec.js";
import type { Encoding, OutputStage, QConv, QValue } from "../ptq/qgraph.js";
import { alignUp, halfOf, type LayerProgram, type LowerContext, ranges } from "./context.js";
import {
  type Bits,
  checkExpressible,
  chooseConvTiling,
  convGeometry,
  inputSpan,
  maxSpan,
} from "./conv-tiling.js";
import { linearDma, type TensorLayout, tileDma } from "./layout.js";
import type { Step } from "./pipeline.js";
import { decodeTableBytes, packWeights, stageTableBytes } from "./segments.js";
import { codeTableLoad, codeTableOf, stageFields, tableLoad, tableRegion } from "./tables.js";
import { lowerVectorPass } from "./vector-pass.js";

function maxAbsDecoded(enc: Encoding): number {
  if (enc.kind === "lut4") return enc.lut.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  return 128;
}

/** |accumulator| < 2^31 for every input (docs/arithmetic.md §2), or throws. */
function checkAccumulatorRange(node: QConv, enc: Encoding): void {
  const [o] = node.weightShape;
  const per = node.weights.length / o;
  const vmax = maxAbsDecoded(enc);
  for (let oc = 0; oc < o; oc++) {
    let s = Math.abs(node.bias[oc]!);
    for (let i = 0; i < per; i++) s += Math.abs(node.weights[oc * per + i]!) * vmax;
    if (s >= 2 ** 31) throw new Error(`conv "${node.name}": output channel ${oc} can overflow int32 (${s})`);
  }
}

/** Lowers a conv whose stage writes `outLayout` (for unfused: an acc32 temporary, stage ACC32 + bias). */
export function lowerConv(
  ctx: LowerContext,
  node: QConv,
  inV: QValue,
  outV: QValue,
  inL: TensorLayout,
  outL: TensorLayout,
  tempL: TensorLayout | undefined,
): LayerProgram[] {
  const g = convGeometry(node, inV.shape);
  checkExpressible(node, g);
  if (inV.enc.kind === "acc32") throw new Error(`conv "${node.name}": its input is acc32`);
  checkAccumulatorRange(node, inV.enc);
  const t = ctx.target;
  const unfused = tempL !== undefined;
  const stage1: OutputStage = unfused ? { kind: "acc32" } : node.stage;
  const bits: Bits = {
    ib: inV.enc.kind === "lut4" ? 4 : 8,
    ob: stageBits(stageFields(stage1, node).stage),
    wb: node.weightBits,
    tb: decodeTableBytes(inV.enc),
    pb: stageTableBytes(stage1),
  };
  if (!unfused && stageBits(stageFields(node.stage, node).stage) !== outL.ebits)
    throw new Error(`conv "${node.name}": the stage does not produce ${outV.enc.kind} codes`);
  const tiling = chooseConvTiling(g, bits, t, !unfused);
  const taps = g.kh * g.kw;
  const ocTiles = ranges(g.o, tiling.ocT);
  const icTiles: Array<[number, number]> = g.group === 1 ? ranges(g.c, tiling.icT) : [[0, g.cg]];
  // Weights: one chunk per (oc tile, ic chunk), [oc][ic][ky][kx], in the order the steps use them.
  const chunks = new Map<string, { seg: number; elems: number; buf: number }>();
  let wholeAt = 0;
  for (const [o0, o1] of ocTiles) {
    for (const [c0, c1] of icTiles) {
      const vals = new Int8Array((o1 - o0) * (c1 - c0) * taps);
      let k = 0;
      for (let o = o0; o < o1; o++)
        for (let c = c0; c < c1; c++)
          for (let i = 0; i < taps; i++) vals[k++] = node.weights[(o * g.cg + c) * taps + i]!;
      const seg = ctx.wgt.append(packWeights(vals, node.weightBits));
      chunks.set(`${o0}:${c0}`, { seg, elems: vals.length, buf: wholeAt });
      wholeAt += alignUp(Math.ceil((vals.length * node.weightBits) / 8));
    }
  }
  const tables = tableRegion(
    ctx,
    inV.enc,
    node.bias,
    stage1,
    g.o,
    tiling.wholeTables ? g.c : maxSpan(g, tiling.ocT, tiling.icT),
    tiling.wholeTables ? g.o : tiling.ocT,
  );
  const sf = stageFields(stage1, node);
  const code = codeTableOf(stage1);
  const ttabBuf = alignUp(tables.buf.ptab + (tiling.wholeTables ? g.o : tiling.ocT) * bits.pb, 4);
  if (code && ttabBuf + 256 > t.buffers.TBL)
    throw new Error(`conv "${node.name}": no TBL room for its code table`);
  const ttabSeg = code ? ctx.tbl.append(code) : 0;
  const pixelSeg = node.pixelBias ? ctx.tbl.append(new Uint8Array(node.pixelBias.buffer.slice(0))) : 0;
  const vcfg: Instr = {
    op: "VCFG",
    stage: sf.stage,
    bias: 1,
    act: sf.act,
    alpha: sf.alpha,
    btab: tables.buf.btab,
    ptab: tables.buf.ptab,
    ttab: code ? ttabBuf : 0,
  };
  const inpHalf = halfOf(t.buffers.INP);
  const outHalf = halfOf(t.buffers.OUT);
  const wgtHalf = halfOf(t.buffers.WGT);
  const steps: Step[] = [];
  let lastCcfg = "";
  // The decode tables belong to the input-channel chunk, the bias and stage parameters to the
  // output-channel tile: a step reloads only the part that changed, so the ic chunks of one oc tile
  // keep the latter (whose thresholds are most of the bytes, read from flash at half a byte per cycle).
  let loadedItab = "";
  let loadedPtab = "";
  let loadedChunk = "";
  let wVersion = 0;
  let chunkAddr = 0;
  let s = 0;
  const dstL = tempL ?? outL;
  for (let b = 0; b < g.n; b++) {
    for (const [o0, o1] of ocTiles) {
      for (const [y0, y1] of ranges(g.oh, tiling.ohT)) {
        const rlo = y0 * g.sy - g.pt;
        const rhi = (y1 - 1) * g.sy - g.pt + (g.kh - 1) * g.dy;
        const iy0 = Math.max(rlo, 0);
        const ih = Math.min(rhi, g.h - 1) - iy0 + 1;
        for (const [x0, x1] of ranges(g.ow, tiling.owT)) {
          const clo = x0 * g.sx - g.pl;
          const chi = (x1 - 1) * g.sx - g.pl + (g.kw - 1) * g.dx;
          const ix0 = Math.max(clo, 0);
          const iw = Math.min(chi, g.w - 1) - ix0 + 1;
          icTiles.forEach(([c0, c1], q) => {
            const k = steps.length;
            const last = q === icTiles.length - 1;
            const [sa, sb] = inputSpan(g, o0, o1, c0, c1);
            const inpAddr = (k % 2) * inpHalf;
            const load: Instr[] = [];
            if (tiling.wholeWeights && k === 0) {
              for (const ch of chunks.values())
                load.push(
                  ...linearDma(
                    "LOAD",
                    EV.buf.WGT,
                    EV.seg.WGT,
                    node.weightBits,
                    (ch.seg * 8) / node.weightBits,
                    ch.buf,
                    ch.elems,
                  ),
                );
            }
            const key = `${o0}:${c0}`;
            const ch = chunks.get(key)!;
            if (tiling.wholeWeights) {
              chunkAddr = ch.buf;
            } else if (key !== loadedChunk) {
              chunkAddr = (wVersion++ % 2) * wgtHalf;
              load.push(
                ...linearDma(
                  "LOAD",
                  EV.buf.WGT,
                  EV.seg.WGT,
                  node.weightBits,
                  (ch.seg * 8) / node.weightBits,
                  chunkAddr,
                  ch.elems,
                ),
              );
              loadedChunk = key;
            }
            load.push(...tileDma("LOAD", EV.buf.INP, inL, b, sa, sb - sa, iy0, ih, ix0, iw, inpAddr));
            const compute: Instr[] = [];
            if (k === 0) {
              compute.push(vcfg);
              compute.push(...codeTableLoad(stage1, ttabSeg, ttabBuf));
            }
            // A position embedding enters as the accumulators' starting value.
            const preload = node.pixelBias !== undefined && q === 0;
            if (preload)
              compute.push({
                op: "LOADT",
                buf: EV.buf.ACC,
                seg: EV.seg.TBL,
                ebits: EV.ebits.E32,
                ext: pixelSeg / 4 + (o0 * g.oh + y0) * g.ow + x0,
                addr: 0,
                n0: x1 - x0,
                n1: y1 - y0,
                n2: o1 - o0,
                pitch: g.ow,
                rows: g.oh,
              });
            const [ta, tb] = tiling.wholeTables ? [0, g.c] : [sa, sb];
            const [ua, ub] = tiling.wholeTables ? [0, g.o] : [o0, o1];
            if (`${ta}:${tb}` !== loadedItab) {
              compute.push(...tableLoad(tables.seg.itab, bits.tb, ta, tb, tables.buf.itab));
              loadedItab = `${ta}:${tb}`;
            }
            if (`${ua}:${ub}` !== loadedPtab) {
              compute.push(
                ...tableLoad(tables.seg.btab, 4, ua, ub, tables.buf.btab),
                ...tableLoad(tables.seg.ptab, bits.pb, ua, ub, tables.buf.ptab),
              );
              loadedPtab = `${ua}:${ub}`;
            }
            const ccfg: Instr = {
              op: "CCFG",
              wbits: node.weightBits === 4 ? EV.wbits.W4 : EV.wbits.W8,
              ienc: inV.enc.kind === "lut4" ? EV.ienc.LUT4 : EV.ienc.LIN8,
              kh: g.kh,
              kw: g.kw,
              sy: g.sy,
              sx: g.sx,
              dy: g.dy,
              dx: g.dx,
              og: g.group === 1 ? 0 : g.og,
              itab: tables.buf.itab,
              oc_n: o1 - o0,
              oh_n: y1 - y0,
              ow_n: x1 - x0,
              ic_n: g.group === 1 ? c1 - c0 : g.cg,
              pt: iy0 - rlo,
              pb: rhi - (iy0 + ih - 1),
              pl: ix0 - clo,
              pr: chi - (ix0 + iw - 1),
            };
            const ckey = JSON.stringify(ccfg);
            if (ckey !== lastCcfg) {
              compute.push(ccfg);
              lastCcfg = ckey;
            }
            const fused = last && !unfused;
            const outAddr = (s % 2) * outHalf;
            compute.push({
              op: "CONV",
              fuse: fused ? 1 : 0,
              accum: q > 0 || preload ? 1 : 0,
              inp: inpAddr,
              wgt: chunkAddr,
              acc: 0,
              dst: fused ? outAddr : 0,
              ic0: tiling.wholeTables ? sa : 0,
              oc0: tiling.wholeTables ? o0 : 0,
              gphase: g.group === 1 ? 0 : o0 - Math.floor(o0 / g.og) * g.og,
            });
            if (last && !fused)
              compute.push({
                op: "VEC",
                src: 0,
                dst: outAddr,
                c0: tiling.wholeTables ? o0 : 0,
                c_n: o1 - o0,
                rows: y1 - y0,
                cols: x1 - x0,
              });
            const store = last
              ? tileDma("STORE", EV.buf.OUT, dstL, b, o0, o1 - o0, y0, y1 - y0, x0, x1 - x0, outAddr)
              : [];
            if (last) s++;
            steps.push({ load, compute, store });
          });
        }
      }
    }
  }
  const macs = g.n * g.o * g.oh * g.ow * g.cg * taps;
  const desc = `oc ${tiling.ocT}/${g.o} × rows ${tiling.ohT}/${g.oh} × cols ${tiling.owT}/${g.ow} × ic ${g.group === 1 ? tiling.icT : g.cg}/${g.cg}${g.group > 1 ? ` × ${g.group} groups` : ""}${tiling.wholeWeights ? ", weights resident" : ""}${tiling.wholeTables ? ", tables resident" : ""}${unfused ? ", unfused" : ", fused"}`;
  const layers: LayerProgram[] = [{ name: node.name, op: "conv", steps, macs, tiling: desc }];
  if (tempL) layers.push(lowerVectorPass(ctx, node, tempL, outL, outV));
  return layers;
}
