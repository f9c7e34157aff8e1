/** The performance model of a blob: its program, its target (or another), its layer records. */
import { type PerfLayer, type PerfReport, perfModel } from "../isa/perf.js";
import { type Target, targetByName } from "../isa/targets.js";
import type { Blob } from "./reader.js";

/** Layer records from the blob's META (empty when absent or malformed). */
export function blobLayers(blob: Blob): PerfLayer[] {
  const layers = blob.meta.layers;
  if (!Array.isArray(layers)) return [];
  return layers.filter(
    (l): l is PerfLayer =>
      typeof l === "object" &&
      l !== null &&
      typeof l.name === "string" &&
      typeof l.firstWord === "number" &&
      typeof l.words === "number" &&
      typeof l.macs === "number",
  );
}

const reports = new WeakMap<Blob, Map<Target, PerfReport>>();

/** Computed once per blob and target: on a shared memory the model replays every transfer (seconds for a big model). */
export function perfOfBlob(blob: Blob, target: Target = targetByName(blob.target)): PerfReport {
  const byTarget = reports.get(blob) ?? new Map<Target, PerfReport>();
  reports.set(blob, byTarget);
  const r = byTarget.get(target) ?? perfModel(blob.program, target, blobLayers(blob));
  byTarget.set(target, r);
  return r;
}
