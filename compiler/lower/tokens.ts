/**
 * Lowering of the transformer operators: residual add (two depthwise 1×1 CONVs into one accumulator),
 * LayerNorm (NORM over tiles holding every channel) and multi-head attention (scores on the matrix
 * unit with k as transposed offset-binary weights, SMAX, then P·V with v as weights). The fused
 * attention kernel keeps P on chip: SMAX writes it into INP for the P·V CONVs.
 */
import { EV, fieldMax, type Instr, rowBytes, stageBits } from "../isa/spec.js";
import type { Encoding, OutputStage, QAdd, QAttention, QNorm, QValue } from "../ptq/qgraph.js";
import { alignUp, halfOf, type LayerProgram, type LowerContext, ranges, splitSizes } from "./context.js";
import { encodingBits, linearDma, type TensorLayout, tileDma } from "./layout.js";
import type { Step } from "./pipeline.js";
import {
  biasTable,
  decodeTable,
  decodeTableBytes,
  packWeights,
  stageTable,
  stageTableBytes,
} from "./segments.js";
import { codeTableLoad, codeTableOf, stageFields, tableLoad } from "./tables.js";

function ienc(enc: Encoding): number {
  if (enc.kind === "acc32") throw new Error("raw accumulators cannot be read by the accelerator");
  return enc.kind === "lut4" ? EV.ienc.LUT4 : EV.ienc.LIN8;
}

/** VCFG of a stage whose parameters sit at `ptab` (and its code table at `ttab`). */
function vcfgOf(stage: OutputStage, bias: boolean, btab: number, ptab: number, ttab: number): Instr {
  const sf = stageFields(stage, undefined);
  return { op: "VCFG", stage: sf.stage, bias: bias ? 1 : 0, act: sf.act, alpha: 0, btab, ptab, ttab };
}

/** Appends a stage's parameter (and code) tables to TBL; returns their segment offsets. */
function stageSegments(ctx: LowerContext, stage: OutputStage, channels: number): { p: number; t: number } {
  const p = stageTableBytes(stage) ? ctx.tbl.append(stageTable(stage, channels)) : 0;
  const code = codeTableOf(stage);
  return { p, t: code ? ctx.tbl.append(code) : 0 };
}

/** The bits per element a stage writes, checked against the layout of the value it produces. */
function stageWrites(
  stage: OutputStage,
  outV: QValue,
  outL: TensorLayout,
  bad: (why: string) => never,
): number {
  const ob = stageBits(stageFields(stage, undefined).stage);
  if (ob !== outL.ebits) bad(`the stage does not produce ${outV.enc.kind} codes`);
  return ob;
}

export function lowerAdd(
  ctx: LowerContext,
  node: QAdd,
  va: QValue,
  vb: QValue,
  outV: QValue,
  la: TensorLayout,
  lb: TensorLayout,
  outL: TensorLayout,
): LayerProgram {
  const t = ctx.target;
  const [n, c, h, w] = outV.shape as [number, number, number, number];
  const bad = (why: string): never => {
    throw new Error(`add "${node.name}": ${why}`);
  };
  const ob = stageWrites(node.stage, outV, outL, bad);
  const ta = decodeTableBytes(va.enc);
  const tb = decodeTableBytes(vb.enc);
  const pb = stageTableBytes(node.stage);
  const perChannelTbl = alignUp(ta, 4) + alignUp(tb, 4) + 4 + pb;
  const inpHalf = halfOf(t.buffers.INP);
  const outHalf = halfOf(t.buffers.OUT);
  const ib = Math.max(encodingBits(va.enc), encodingBits(vb.enc));
  let best: { cT: number; rT: number; steps: number } | undefined;
  for (const cT of splitSizes(c, 32).filter((v) => v <= 1024)) {
    if (cT * perChannelTbl + 256 + 16 > t.buffers.TBL || 2 * cT > halfOf(t.buffers.WGT)) continue;
    const rT = Math.min(
      h,
      1024,
      Math.floor(inpHalf / (cT * rowBytes(w, ib))),
      Math.floor(outHalf / (cT * rowBytes(w, ob))),
      Math.floor(t.buffers.ACC / (cT * w * 4)),
    );
    if (rT < 1 || w > fieldMax("CCFG", "ow_n")) continue;
    const steps = Math.ceil(c / cT) * Math.ceil(h / rT);
    if (!best || steps < best.steps) best = { cT, rT, steps };
  }
  if (!best) return bad("no tiling fits the target's buffers");
  const { cT, rT } = best;
  // TBL per channel tile: decode a | decode b | bias | stage params | code table.
  const segA = ctx.tbl.append(decodeTable(va.enc));
  const segB = ctx.tbl.append(decodeTable(vb.enc));
  const segBias = ctx.tbl.append(biasTable(node.bias));
  const segStage = stageSegments(ctx, node.stage, c);
  const segKa = ctx.wgt.append(packWeights(node.ka, 8));
  const segKb = ctx.wgt.append(packWeights(node.kb, 8));
  const bufA = 0;
  const bufB = alignUp(cT * ta, 4);
  const bufBias = bufB + alignUp(cT * tb, 4);
  const bufP = bufBias + cT * 4;
  const bufT = alignUp(bufP + cT * pb, 4);
  const wgtHalf = halfOf(t.buffers.WGT);
  const steps: Step[] = [];
  let s = 0;
  for (let b = 0; b < n; b++) {
    for (const [c0, c1] of ranges(c, cT)) {
      for (const [y0, y1] of ranges(h, rT)) {
        const cn = c1 - c0;
        const outAddr = (s % 2) * outHalf;
        const tables = [
          ...tableLoad(segA, ta, c0, c1, bufA),
          ...tableLoad(segB, tb, c0, c1, bufB),
          ...tableLoad(segBias, 4, c0, c1, bufBias),
          ...tableLoad(segStage.p, pb, c0, c1, bufP),
          ...(steps.length === 0 ? codeTableLoad(node.stage, segStage.t, bufT) : []),
        ];
        for (const [which, v, l] of [
          [0, va, la],
          [1, vb, lb],
        ] as const) {
          const k = steps.length;
          const inpAddr = (k % 2) * inpHalf;
          const wAddr = (k % 2) * wgtHalf;
          const load = [
            ...linearDma("LOAD", EV.buf.WGT, EV.seg.WGT, 8, (which ? segKb : segKa) + c0, wAddr, cn),
            ...tileDma("LOAD", EV.buf.INP, l, b, c0, cn, y0, y1 - y0, 0, w, inpAddr),
          ];
          const compute: Instr[] = [];
          if (which === 0) compute.push(...tables, vcfgOf(node.stage, true, bufBias, bufP, bufT));
          compute.push(
            {
              op: "CCFG",
              wbits: EV.wbits.W8,
              ienc: ienc(v.enc),
              kh: 1,
              kw: 1,
              sy: 1,
              sx: 1,
              dy: 1,
              dx: 1,
              og: 1,
              itab: which ? bufB : bufA,
              oc_n: cn,
              oh_n: y1 - y0,
              ow_n: w,
              ic_n: 1,
            },
            {
              op: "CONV",
              fuse: which,
              accum: which,
              inp: inpAddr,
              wgt: wAddr,
              acc: 0,
              dst: which ? outAddr : 0,
            },
          );
          const store =
            which === 1 ? tileDma("STORE", EV.buf.OUT, outL, b, c0, cn, y0, y1 - y0, 0, w, outAddr) : [];
          if (which === 1) s++;
          steps.push({ load, compute, store });
        }
      }
    }
  }
  return {
    name: node.name,
    op: "add",
    steps,
    macs: 0,
    tiling: `channels ${cT}/${c} × rows ${rT}/${h}, two depthwise CONVs per tile`,
  };
}

export function lowerNorm(
  ctx: LowerContext,
  node: QNorm,
  inV: QValue,
  outV: QValue,
  inL: TensorLayout,
  outL: TensorLayout,
): LayerProgram {
  const t = ctx.target;
  const [n, c, h, w] = inV.shape as [number, number, number, number];
  const bad = (why: string): never => {
    throw new Error(`layernorm "${node.name}": ${why}`);
  };
  const ob = stageWrites(node.stage, outV, outL, bad);
  if (c > 4096) bad(`${c} channels exceed the NORM field`);
  if (node.eps >= 2 ** 20) bad(`eps ${node.eps} exceeds the NORM field`);
  const ib = encodingBits(inV.enc);
  const tb = decodeTableBytes(inV.enc);
  const pb = stageTableBytes(node.stage);
  const bufP = alignUp(c * tb, 4);
  const bufT = alignUp(bufP + c * pb, 4);
  if (bufT + 256 > t.buffers.TBL) bad(`the tables of ${c} channels exceed TBL (${t.buffers.TBL} bytes)`);
  const inpHalf = halfOf(t.buffers.INP);
  const outHalf = halfOf(t.buffers.OUT);
  // Tiles of whole rows when they fit, else column strips of one row.
  const rowsFit = Math.min(
    h,
    1024,
    Math.floor(inpHalf / (c * rowBytes(w, ib))),
    Math.floor(outHalf / (c * rowBytes(w, ob))),
  );
  let rT = rowsFit;
  let cT = w;
  if (rowsFit < 1 || w > 2048) {
    rT = 1;
    cT = Math.min(2048, w);
    while (cT > 1 && (c * rowBytes(cT, ib) > inpHalf || c * rowBytes(cT, ob) > outHalf))
      cT = Math.ceil(cT / 2);
    if (c * rowBytes(cT, ib) > inpHalf) bad("one pixel of every channel does not fit INP");
  }
  const segD = ctx.tbl.append(decodeTable(inV.enc));
  const segStage = stageSegments(ctx, node.stage, c);
  const steps: Step[] = [];
  for (let b = 0; b < n; b++) {
    for (const [y0, y1] of ranges(h, rT)) {
      for (const [x0, x1] of ranges(w, cT)) {
        const k = steps.length;
        const inpAddr = (k % 2) * inpHalf;
        const outAddr = (k % 2) * outHalf;
        const compute: Instr[] = [];
        if (k === 0)
          compute.push(
            ...tableLoad(segD, tb, 0, c, 0),
            ...tableLoad(segStage.p, pb, 0, c, bufP),
            ...codeTableLoad(node.stage, segStage.t, bufT),
            vcfgOf(node.stage, false, 0, bufP, bufT),
          );
        compute.push({
          op: "NORM",
          ienc: ienc(inV.enc),
          inp: inpAddr,
          dst: outAddr,
          itab: 0,
          c_n: c,
          rows: y1 - y0,
          cols: x1 - x0,
          eps: node.eps,
        });
        steps.push({
          load: tileDma("LOAD", EV.buf.INP, inL, b, 0, c, y0, y1 - y0, x0, x1 - x0, inpAddr),
          compute,
          store: tileDma("STORE", EV.buf.OUT, outL, b, 0, c, y0, y1 - y0, x0, x1 - x0, outAddr),
        });
      }
    }
  }
  return { name: node.name, op: "norm", steps, macs: 0, tiling: `rows ${rT}/${h} × cols ${cT}/${w}` };
}

/** The tensor seen as [n][c][1][h·w]: tokens of a channel are contiguous when rows pack whole bytes. */
function tokenLayout(l: TensorLayout, what: string): TensorLayout {
  if ((l.w * l.ebits) % 8 !== 0 && l.h > 1)
    throw new Error(`${what}: a ${l.w}-wide grid of ${l.ebits}-bit codes is not contiguous per channel`);
  const tokens = l.h * l.w;
  return { ...l, h: 1, w: tokens, rowBytes: l.planeBytes };
}

interface AttentionTiling {
  /** Queries per tile (columns of the score tile). */
  qT: number;
  /** Keys per weight tile. */
  kT: number;
}

function attentionTiling(
  ctx: LowerContext,
  tokens: number,
  hd: number,
  bits: { q: number; kv: number; p: number },
  fused: boolean,
): AttentionTiling | undefined {
  const t = ctx.target;
  const wgtHalf = halfOf(t.buffers.WGT);
  const cols = t.array.cols;
  let best: (AttentionTiling & { cost: number }) | undefined;
  // Even splits of the tokens, and the widths that fill whole array columns or halves of them.
  const widths = new Set([
    ...splitSizes(tokens, 64),
    ...[1, 2, 4, 8, 16, 24].map((k) => Math.min(tokens, k)),
  ]);
  for (let k = cols; k <= Math.min(tokens, 1024); k += cols) widths.add(k);
  const qCands = [...widths].filter((v) => v <= fieldMax("CCFG", "ow_n")).sort((a, b) => b - a);
  for (const qT of qCands) {
    if (tokens * qT * 4 > t.buffers.ACC) continue;
    const pBytes = tokens * rowBytes(qT, bits.p);
    const qBytes = 2 * alignUp(hd * rowBytes(qT, bits.q));
    if ((fused ? alignUp(pBytes) : 0) + qBytes > (fused ? t.buffers.INP : halfOf(t.buffers.INP))) continue;
    if (hd * rowBytes(qT, 8) > halfOf(t.buffers.OUT)) continue;
    if (!fused && pBytes > halfOf(t.buffers.OUT)) continue;
    for (const kT of splitSizes(tokens, 64, 2).filter((v) => v <= 1024 && (v % 2 === 0 || v === tokens))) {
      if (hd * rowBytes(kT, bits.kv) > wgtHalf) continue;
      if (!fused && kT * rowBytes(qT, bits.p) > halfOf(t.buffers.INP)) continue;
      // Passes of the array: queries fill its columns, keys (scores) and head dims (P·V) its rows.
      const passes = Math.ceil(qT / cols) * Math.ceil(tokens / qT);
      const cost = passes * (Math.ceil(tokens / kT) * kT + hd) + Math.ceil(tokens / kT) * 64;
      if (!best || cost < best.cost) best = { qT, kT, cost };
      break;
    }
  }
  return best;
}

/** The probabilities of one head in external memory (unfused attention): keys × queries. */
export function attentionTempShape(inShape: readonly number[]): number[] {
  const tokens = inShape[2]! * inShape[3]!;
  return [1, tokens, 1, tokens];
}

export function lowerAttention(
  ctx: LowerContext,
  node: QAttention,
  inV: QValue,
  outV: QValue,
  inL: TensorLayout,
  outL: TensorLayout,
  pL: TensorLayout | undefined,
): LayerProgram[] {
  const t = ctx.target;
  const bad = (why: string): never => {
    throw new Error(`attention "${node.name}": ${why}`);
  };
  const [n, c3, h, w] = inV.shape as [number, number, number, number];
  const d = c3 / 3;
  const heads = node.heads;
  const hd = d / heads;
  const tokens = h * w;
  if (inV.enc.kind === "acc32" || node.pEnc.kind === "acc32") return bad("raw accumulator operands");
  const inTok = tokenLayout(inL, `attention "${node.name}" input`);
  const outTok = tokenLayout(outL, `attention "${node.name}" output`);
  const qBits = encodingBits(inV.enc);
  const pStageBits = stageBits(stageFields(node.pStage, undefined).stage);
  if (pStageBits !== encodingBits(node.pEnc)) bad("the probability stage does not produce its encoding");
  stageWrites(node.stage, outV, outL, bad);
  if (tokens > 8192) bad(`${tokens} tokens exceed the SMAX field`);
  if (hd > 1024) bad(`head size ${hd} exceeds the CONV fields`);
  const fused = pL === undefined;
  const tiling = attentionTiling(ctx, tokens, hd, { q: qBits, kv: node.kvBits, p: pStageBits }, fused);
  if (!tiling) return bad("no tiling fits the target's buffers");
  const { qT, kT } = tiling;
  // TBL: q decode tables (one head) | P decode table | P stage | output stage (all D channels) | codes.
  const tq = decodeTableBytes(inV.enc);
  const tp = decodeTableBytes(node.pEnc);
  const pp = stageTableBytes(node.pStage);
  const op = stageTableBytes(node.stage);
  const bufQ = 0;
  const bufPd = alignUp(hd * tq, 4);
  const bufPs = alignUp(bufPd + tp, 4);
  const bufOs = alignUp(bufPs + pp, 4);
  const bufOt = alignUp(bufOs + d * op, 4);
  if (bufOt + 256 > t.buffers.TBL) bad(`its tables exceed TBL (${t.buffers.TBL} bytes)`);
  const segQ = ctx.tbl.append(decodeTable(inV.enc));
  const segPd = ctx.tbl.append(decodeTable(node.pEnc));
  const segPs = ctx.tbl.append(stageTable(node.pStage, 1));
  const segOut = stageSegments(ctx, node.stage, d);
  // INP (fused): P (all keys × a query tile) | two q slots. Unfused: two q slots, then P tiles per step.
  const pRow = rowBytes(qT, pStageBits);
  const pAddr = 0;
  const qBytes = alignUp(hd * rowBytes(qT, qBits));
  const qSlot = fused ? alignUp(tokens * pRow) : 0;
  const pSlot = halfOf(t.buffers.INP);
  const wgtHalf = halfOf(t.buffers.WGT);
  const outHalf = halfOf(t.buffers.OUT);
  const pVcfg = vcfgOf(node.pStage, false, 0, bufPs, 0);
  const oVcfg = vcfgOf(node.stage, false, 0, bufOs, bufOt);
  const kvW = node.kvBits === 4 ? EV.wbits.W4 : EV.wbits.W8;
  const keyTiles = ranges(tokens, kT);
  const tablesOnce = [
    ...tableLoad(segPd, tp, 0, 1, bufPd),
    ...tableLoad(segPs, pp, 0, 1, bufPs),
    ...tableLoad(segOut.p, op, 0, d, bufOs),
    ...codeTableLoad(node.stage, segOut.t, bufOt),
  ];
  const layers: LayerProgram[] = [];
  let scoreSteps: Step[] = [];
  let pvSteps: Step[] = [];
  let s = 0;
  let sp = 0;
  let group = 0;
  const flush = (head: number, b: number): void => {
    if (fused) return;
    const tag = n > 1 ? `b${b}.h${head}` : `h${head}`;
    layers.push(
      {
        name: `${node.name}.scores.${tag}`,
        op: "attention",
        steps: scoreSteps,
        macs: tokens * tokens * hd,
        tiling: "",
      },
      {
        name: `${node.name}.pv.${tag}`,
        op: "attention",
        steps: pvSteps,
        macs: tokens * tokens * hd,
        tiling: "",
      },
    );
    scoreSteps = [];
    pvSteps = [];
    s = 0;
    sp = 0;
  };
  for (let b = 0; b < n; b++) {
    for (let head = 0; head < heads; head++) {
      const qc = head * hd;
      const kc = d + head * hd;
      const vc = 2 * d + head * hd;
      for (const [i0, i1] of ranges(tokens, qT)) {
        const cols = i1 - i0;
        const qAddr = qSlot + (group++ % 2) * qBytes;
        keyTiles.forEach(([j0, j1], kk) => {
          const k = scoreSteps.length;
          const wAddr = (k % 2) * wgtHalf;
          const load: Instr[] = [];
          if (kk === 0) load.push(...tileDma("LOAD", EV.buf.INP, inTok, b, qc, hd, 0, 1, i0, cols, qAddr));
          load.push(...tileDma("LOAD", EV.buf.WGT, inTok, b, kc, hd, 0, 1, j0, j1 - j0, wAddr));
          const compute: Instr[] = [];
          if (k === 0) compute.push(...tablesOnce);
          if (kk === 0) compute.push(...tableLoad(segQ, tq, qc, qc + hd, bufQ));
          compute.push(
            {
              op: "CCFG",
              wbits: kvW,
              ienc: ienc(inV.enc),
              kh: 1,
              kw: 1,
              sy: 1,
              sx: 1,
              dy: 1,
              dx: 1,
              itab: bufQ,
              oc_n: j1 - j0,
              oh_n: 1,
              ow_n: cols,
              ic_n: hd,
              wt: 1,
              wofs: 1,
            },
            { op: "CONV", inp: qAddr, wgt: wAddr, acc: j0 * cols * 4 },
          );
          let store: Instr[] = [];
          if (kk === keyTiles.length - 1) {
            const dstAddr = fused ? pAddr : (sp++ % 2) * outHalf;
            compute.push(pVcfg, {
              op: "SMAX",
              src: 0,
              dst: dstAddr,
              dbuf: fused ? 1 : 0,
              c_n: tokens,
              cols,
              m: node.smaxM[head]!,
              n: node.smaxN[head]!,
            });
            if (!fused) store = tileDma("STORE", EV.buf.OUT, pL!, 0, 0, tokens, 0, 1, i0, cols, dstAddr);
          }
          scoreSteps.push({ load, compute, store });
        });
        const pv = fused ? scoreSteps : pvSteps;
        keyTiles.forEach(([j0, j1], kk) => {
          const k = pv.length;
          const wAddr = (k % 2) * wgtHalf;
          const last = kk === keyTiles.length - 1;
          const outAddr = (s % 2) * outHalf;
          const compute: Instr[] = [];
          if (!fused && k === 0) compute.push(...tablesOnce);
          if (kk === 0) compute.push(oVcfg);
          const inpAddr = fused ? pAddr + j0 * pRow : (k % 2) * pSlot;
          compute.push(
            {
              op: "CCFG",
              wbits: kvW,
              ienc: ienc(node.pEnc),
              kh: 1,
              kw: 1,
              sy: 1,
              sx: 1,
              dy: 1,
              dx: 1,
              itab: bufPd,
              oc_n: hd,
              oh_n: 1,
              ow_n: cols,
              ic_n: j1 - j0,
              wofs: 1,
              ishared: 1,
            },
            {
              op: "CONV",
              fuse: last && fused ? 1 : 0,
              accum: kk > 0 ? 1 : 0,
              inp: inpAddr,
              wgt: wAddr,
              acc: 0,
              dst: last && fused ? outAddr : 0,
              oc0: qc,
            },
          );
          // Unfused: the accumulators go through the vector unit as a separate pass.
          if (last && !fused)
            compute.push({ op: "VEC", src: 0, dst: outAddr, c0: qc, c_n: hd, rows: 1, cols });
          const store = last ? tileDma("STORE", EV.buf.OUT, outTok, b, qc, hd, 0, 1, i0, cols, outAddr) : [];
          if (last) s++;
          const load = tileDma("LOAD", EV.buf.WGT, inTok, b, vc, hd, 0, 1, j0, j1 - j0, wAddr);
          if (!fused) load.push(...tileDma("LOAD", EV.buf.INP, pL!, 0, j0, j1 - j0, 0, 1, i0, cols, inpAddr));
          pv.push({ load, compute, store });
        });
      }
      flush(head, b);
    }
  }
  const macs = n * heads * 2 * tokens * tokens * hd;
  const desc = `${heads} heads × queries ${qT}/${tokens} × keys ${kT}/${tokens}`;
  if (fused)
    return [
      { name: node.name, op: "attention", steps: scoreSteps, macs, tiling: `${desc}, P on chip (fused)` },
    ];
  return layers.map((l) => ({ ...l, tiling: `${desc}, P through memory (unfused)` }));
}
