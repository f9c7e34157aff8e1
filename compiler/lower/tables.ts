/** The per-layer tables a conv or vector pass reads from TBL, and the LOADTs that bring them in. */
import { EV, type Instr } from "../isa/spec.js";
import type { Encoding, OutputStage, QConv } from "../ptq/qgraph.js";
import { alignUp, type LowerContext } from "./context.js";
import { linearDma } from "./layout.js";
import { biasTable, decodeTable, decodeTableBytes, stageTable, stageTableBytes } from "./segments.js";

/** VCFG fields of an output stage (the activation only matters for REQUANT). */
export function stageFields(
  stage: OutputStage,
  node: QConv | undefined,
): { stage: number; act: number; alpha: number } {
  const code =
    stage.kind === "threshold"
      ? EV.stage.THRESH
      : stage.kind === "requant"
        ? EV.stage.REQUANT
        : EV.stage.ACC32;
  if (stage.kind === "requant" && stage.table) {
    if (node && node.act.kind !== "none") throw new Error("a code table cannot follow another activation");
    return { stage: code, act: EV.act.TABLE, alpha: 0 };
  }
  if (stage.kind !== "requant" || !node || node.act.kind === "none")
    return { stage: code, act: EV.act.NONE, alpha: 0 };
  if (node.act.kind === "relu") return { stage: code, act: EV.act.RELU, alpha: 0 };
  const a = node.act.alphaQ16;
  if (!Number.isInteger(a) || a < 0 || a >= 2 ** 18)
    throw new Error(`LeakyReLU alphaQ16 ${a} does not fit 18 bits`);
  return { stage: code, act: EV.act.LEAKY, alpha: a };
}

/** The 256-byte code table of a stage (act TABLE), if it has one. */
export function codeTableOf(stage: OutputStage): Uint8Array | undefined {
  return stage.kind === "requant" ? stage.table : undefined;
}

/** LOADT of a stage's 256-byte code table (from TBL segment offset `seg` to `addr`), if it has one. */
export function codeTableLoad(stage: OutputStage, seg: number, addr: number): Instr[] {
  return codeTableOf(stage) ? linearDma("LOADT", EV.buf.TBL, EV.seg.TBL, 8, seg, addr, 256) : [];
}

export interface TableRegion {
  /** TBL segment byte offsets of the layer's decode, bias and parameter tables. */
  seg: { itab: number; btab: number; ptab: number };
  /** TBL buffer addresses. */
  buf: { itab: number; btab: number; ptab: number };
}

/**
 * Appends the layer's full tables to the TBL segment; the TBL buffer holds `channelsIn` decode entries
 * and `channelsOut` bias/parameter entries at a time (all of them, or one tile's slice).
 */
export function tableRegion(
  ctx: LowerContext,
  inEnc: Encoding | undefined,
  bias: Int32Array | undefined,
  stage: OutputStage,
  outChannels: number,
  channelsIn: number,
  channelsOut: number,
): TableRegion {
  const itab = inEnc ? ctx.tbl.append(decodeTable(inEnc)) : 0;
  const btab = bias ? ctx.tbl.append(biasTable(bias)) : 0;
  const ptab = stageTableBytes(stage) ? ctx.tbl.append(stageTable(stage, outChannels)) : 0;
  const tb = inEnc ? decodeTableBytes(inEnc) : 0;
  const bufB = alignUp(channelsIn * tb, 4);
  const bufP = bufB + (bias ? channelsOut * 4 : 0);
  return { seg: { itab, btab, ptab }, buf: { itab: 0, btab: bufB, ptab: bufP } };
}

/** LOADT of channels [a, b) of a per-channel table of `per` bytes into TBL at `addr`. */
export function tableLoad(segOffset: number, per: number, a: number, b: number, addr: number): Instr[] {
  if (per === 0 || b <= a) return [];
  return linearDma("LOADT", EV.buf.TBL, EV.seg.TBL, 8, segOffset + a * per, addr, (b - a) * per);
}
