/** Targets for tests: tiny buffers force multi-tile layers, input-channel splits and table slices. */
import { icebreaker, type Target } from "../../../compiler/isa/targets.js";

export function tinyTarget(overrides: Partial<Target["buffers"]> = {}): Target {
  return {
    ...icebreaker,
    name: "icebreaker",
    buffers: { INP: 384, WGT: 192, TBL: 640, ACC: 768, OUT: 192, ...overrides },
    segments: { ...icebreaker.segments, ACT: { ...icebreaker.segments.ACT, bytes: 1 << 20 } },
  };
}
