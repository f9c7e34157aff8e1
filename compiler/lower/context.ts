/** State shared by the layer lowerings of one program. */
import type { Target } from "../isa/targets.js";
import type { Step } from "./pipeline.js";
import type { SegmentBuilder } from "./segments.js";

export interface LowerContext {
  readonly target: Target;
  readonly wgt: SegmentBuilder;
  readonly tbl: SegmentBuilder;
  /** Keep the output stage on chip (fused kernels); false = conv writes acc32 to memory, a vector pass follows. */
  readonly fuse: boolean;
}

/** One pipelined pass over the accelerator (a layer, or half of an unfused layer). */
export interface LayerProgram {
  readonly name: string;
  readonly op: string;
  readonly steps: Step[];
  /** Multiply-accumulates of the layer as the model defines them (excludes padding taps). */
  readonly macs: number;
  /** Human-readable tiling summary. */
  readonly tiling: string;
}

const ALIGN = 16;
export const alignDown = (n: number): number => Math.floor(n / ALIGN) * ALIGN;
export const alignUp = (n: number, a = ALIGN): number => Math.ceil(n / a) * a;

/** Byte size of each of the two slots of a double-buffered buffer. */
export function halfOf(bytes: number): number {
  return alignDown(bytes / 2);
}

/** Distinct values ceil(n/d) for d = 1, 2, … (largest first), at most `limit` of them. */
export function splitSizes(n: number, limit: number, multipleOf = 1): number[] {
  const out: number[] = [];
  for (let d = 1; d <= n && out.length < limit; d++) {
    let v = Math.ceil(n / d);
    if (v > multipleOf) v = Math.min(n, Math.ceil(v / multipleOf) * multipleOf);
    if (!out.includes(v)) out.push(v);
  }
  if (!out.includes(1) && out.length >= limit) out.push(1);
  return out;
}

/** [start, end) ranges of size `tile` covering 0..n. */
export function ranges(n: number, tile: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let a = 0; a < n; a += tile) out.push([a, Math.min(n, a + tile)]);
  return out;
}
