/**
 * The performance model of a zoo model at a size and precision, without calibration: synthetic grids,
 * round-to-nearest weights, lowered for asic28 (or its FP32 view). What the paper table and
 * `quart perf --zoo` report.
 */
import { type PerfReport, perfModel } from "../isa/perf.js";
import { fp32View, type Target, targetByName } from "../isa/targets.js";
import { lowerQGraph } from "../lower/index.js";
import type { QGraph } from "../ptq/qgraph.js";
import { METHODS, quantizeGraph, type Recipe } from "../ptq/quantize-graph.js";
import { buildVitDpt, type VitDptPreset } from "./vit-dpt.js";

export type ZooMode = "FP32" | "W8A8" | "W4A8" | "W4A4";
export const ZOO_MODES: readonly ZooMode[] = ["FP32", "W8A8", "W4A8", "W4A4"];

/** FP32 runs the W8A8 program on the target's FP32 view (compiler/isa/targets.ts fp32View). */
function recipeOf(mode: ZooMode): Recipe {
  return mode === "FP32" || mode === "W8A8" ? "w8a8" : mode === "W4A8" ? "w4a8" : "w4a4";
}

export async function zooQGraph(preset: VitDptPreset, size: number, mode: ZooMode): Promise<QGraph> {
  const g = buildVitDpt(preset, { imageSize: size, seed: 1 });
  const { qgraph } = await quantizeGraph(g, {
    recipe: recipeOf(mode),
    method: METHODS.rtn!,
    calibration: [],
    synthetic: true,
  });
  return qgraph;
}

export function zooTarget(targetName: string, mode: ZooMode): Target {
  const t = targetByName(targetName);
  return mode === "FP32" ? fp32View(t) : t;
}

/** Cycles, FPS and energy of one frame of a lowered zoo model. */
export function zooPerf(q: QGraph, target: Target, fuse: boolean): PerfReport {
  const low = lowerQGraph(q, target, { fuse, ignoreArenaLimit: true });
  return perfModel(low.program, target, low.layers);
}
