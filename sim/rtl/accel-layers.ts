/**
 * Per-layer cycles of a whole program on the accelerator core, from the harness's DMA trace, next to
 * the performance model's. The core's queues are in order, so the k-th LOAD / LOADT / STORE of the
 * expanded program is the k-th instruction each DMA port received; a layer ends when its last DMA
 * instruction (its last STORE) has moved its last byte. Layers overlap at their edges (the next
 * layer's first loads run during this one's last stores), so a layer's time is counted from the end
 * of the previous layer to its own end, on both sides.
 */

import { expandLoops } from "../../compiler/isa/loops.js";
import type { PerfLayer, PerfReport } from "../../compiler/isa/perf.js";
import type { Instr } from "../../compiler/isa/spec.js";
import type { DmaRecord } from "./accel.js";

const PORT_OF: Readonly<Record<string, 0 | 1 | 2>> = { LOAD: 0, LOADT: 1, STORE: 2 };

/** End cycle of each layer on the RTL (0 for a layer without DMA instructions). */
export function rtlLayerEnds(
  program: readonly Instr[],
  layers: readonly PerfLayer[],
  dma: readonly DmaRecord[],
): number[] {
  const byPort: DmaRecord[][] = [[], [], []];
  for (const r of dma) byPort[r.port]!.push(r);
  const next = [0, 0, 0];
  const layerOfWord = new Int32Array(program.length).fill(-1);
  layers.forEach((l, i) => {
    layerOfWord.fill(i, l.firstWord, Math.min(program.length, l.firstWord + l.words));
  });
  const ends = layers.map(() => 0);
  for (const d of expandLoops(program)) {
    const port = PORT_OF[d.instr.op];
    if (port === undefined) continue;
    const r = byPort[port]![next[port]!++];
    if (!r) throw new Error(`DMA trace: port ${port} saw fewer instructions than the program has`);
    const li = layerOfWord[d.word]!;
    if (li >= 0) ends[li] = Math.max(ends[li]!, r.end);
  }
  byPort.forEach((rs, p) => {
    if (rs.length !== next[p])
      throw new Error(`DMA trace: port ${p} saw ${rs.length} instructions, the program has ${next[p]}`);
  });
  return ends;
}

export interface LayerCycleRow {
  name: string;
  op: string;
  macs: number;
  /** Cycles from the previous layer's end to this layer's end. */
  rtl: number;
  model: number;
  /** rtl / model. */
  ratio: number;
  /** Model MACs / (RTL cycles × peak MACs per cycle). */
  rtlUtilization: number;
}

/** The per-layer table: RTL layer ends against the model's (PerfReport.layers, same layer list). */
export function layerCycleTable(model: PerfReport, rtlEnds: readonly number[]): LayerCycleRow[] {
  if (rtlEnds.length !== model.layers.length)
    throw new Error(`${rtlEnds.length} RTL layer ends for ${model.layers.length} model layers`);
  let prevR = 0;
  let prevM = 0;
  return model.layers.map((L, i) => {
    const endR = rtlEnds[i]!;
    const rtl = endR - prevR;
    const m = L.endCycle - prevM;
    prevR = endR;
    prevM = L.endCycle;
    return {
      name: L.name,
      op: L.op,
      macs: L.macs,
      rtl,
      model: m,
      ratio: m > 0 ? rtl / m : Number.NaN,
      rtlUtilization: rtl > 0 ? L.macs / (rtl * model.peakMacsPerCycle) : 0,
    };
  });
}
