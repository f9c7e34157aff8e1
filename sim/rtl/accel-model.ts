/**
 * A whole lowered model on the accelerator core RTL next to the instruction-level simulator and the
 * performance model: the output tensor and the whole ACT arena compared bit for bit, the MAC and DMA
 * counters against the simulator's, the total and per-layer cycles against the model, and the MAC
 * utilization the core's own counters measure.
 */
import { perfModel } from "../../compiler/isa/perf.js";
import { peakMacsPerCycle, type Target } from "../../compiler/isa/targets.js";
import type { LoweredProgram } from "../../compiler/lower/index.js";
import { readTensor, writeTensor } from "../../compiler/lower/tensor-io.js";
import type { Codes } from "../../compiler/ptq/qgraph.js";
import { IsaMachine } from "../isa/machine.js";
import { type AccelCounters, type AccelParams, runAccel } from "./accel.js";
import { type LayerCycleRow, layerCycleTable, rtlLayerEnds } from "./accel-layers.js";

export interface ModelOnAccel {
  /** The RTL's output tensor equals the simulator's. */
  outputIdentical: boolean;
  /** First ACT byte where the RTL's arena differs from the simulator's (-1: identical). */
  firstArenaDiff: number;
  /** Output codes of the RTL (read from its arena with the program's output layout). */
  codes: Codes;
  counters: AccelCounters;
  simMacs: number;
  simDmaBytes: number;
  rtlDmaBytes: number;
  rtlCycles: number;
  modelCycles: number;
  layers: LayerCycleRow[];
  /** RTL MAC counter / (RTL cycles × peak). */
  utilization: number;
  /** RTL MAC counter / (the conv layers' RTL cycles × peak): the array's share of the conv layers. */
  convUtilization: number;
  modelUtilization: number;
  cyclesPerSecond: number;
  cyclesPerCpuSecond: number;
  wallSeconds: number;
}

export interface ModelOnAccelOptions {
  readonly params?: AccelParams;
  readonly timeoutMs?: number;
}

/** Runs `lowered` (lowered for `target`) with `input` on the simulator and on the RTL. */
export async function runModelOnAccel(
  lowered: LoweredProgram,
  target: Target,
  input: Codes,
  opts: ModelOnAccelOptions = {},
): Promise<ModelOnAccel> {
  if (lowered.target !== target.name)
    throw new Error(`the program was lowered for ${lowered.target}, not for ${target.name}`);
  // A program lowered with ignoreArenaLimit: the simulator gets an ACT segment of the arena's size
  // (same timing); the harness's ACT memory takes any size.
  const act = target.segments.ACT;
  const simTarget: Target =
    lowered.actBytes > act.bytes
      ? { ...target, segments: { ...target.segments, ACT: { ...act, bytes: lowered.actBytes } } }
      : target;
  const m = new IsaMachine(simTarget, lowered, { checkHazards: false });
  writeTensor(m.act, lowered.input.layout, input);
  const initial = m.act.slice();
  const sim = m.run();
  const simCodes = readTensor(m.act, lowered.output.layout);
  const t0 = Date.now();
  const r = await runAccel(target, lowered, initial, {
    dmaTrace: true,
    ...(opts.params ? { params: opts.params } : {}),
    maxCycles: 2 ** 32 - 1,
    timeoutMs: opts.timeoutMs ?? 1_800_000,
  });
  const wallSeconds = (Date.now() - t0) / 1000;
  if (r.error) throw new Error(`the core stopped: ${r.error} after ${r.counters.cycles} cycles`);
  if (r.counters.bad_access) throw new Error("the core accessed memory outside its segments");
  const codes = readTensor(r.act, lowered.output.layout);
  let firstArenaDiff = -1;
  for (let i = 0; i < m.act.length; i++)
    if (m.act[i] !== r.act[i]) {
      firstArenaDiff = i;
      break;
    }
  const model = perfModel(lowered.program, target, lowered.layers);
  const layers = layerCycleTable(model, rtlLayerEnds(lowered.program, lowered.layers, r.dma!));
  const peak = peakMacsPerCycle(target);
  const convCycles = layers.filter((l) => l.op === "conv").reduce((s, l) => s + l.rtl, 0);
  const c = r.counters;
  return {
    outputIdentical: codes.length === simCodes.length && codes.every((v, i) => v === simCodes[i]),
    firstArenaDiff,
    codes,
    counters: c,
    simMacs: sim.macs,
    simDmaBytes: sim.dmaBytes.LOAD + sim.dmaBytes.LOADT + sim.dmaBytes.STORE,
    rtlDmaBytes: c.load_bytes + c.loadt_bytes + c.store_bytes,
    rtlCycles: c.cycles,
    modelCycles: model.cycles,
    layers,
    utilization: c.macs / (c.cycles * peak),
    convUtilization: convCycles > 0 ? c.macs / (convCycles * peak) : 0,
    modelUtilization: model.mac_utilization,
    cyclesPerSecond: r.cyclesPerSecond,
    cyclesPerCpuSecond: r.cyclesPerCpuSecond,
    wallSeconds,
  };
}
