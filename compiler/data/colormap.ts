import { DataError } from "./errors.js";
import type { Image } from "./image.js";

export type ColorMapName = "turbo" | "gray";

export interface ColorizeOptions {
  /** value drawn as the low end of the map; default: the smallest finite value */
  min?: number;
  /** value drawn as the high end of the map; default: the largest finite value */
  max?: number;
  map: ColorMapName;
}

/**
 * Anchors of a Turbo-like rainbow (dark blue → blue → cyan → green → yellow → orange → dark red) at
 * t = 0, 0.1, …, 1, read off the published Turbo map by eye and interpolated linearly. It is a
 * visual approximation of Google's Turbo, good for looking at depth, not a colorimetric copy.
 */
const TURBO_ANCHORS: readonly (readonly [number, number, number])[] = [
  [0.19, 0.072, 0.232],
  [0.271, 0.353, 0.839],
  [0.22, 0.6, 0.99],
  [0.094, 0.843, 0.796],
  [0.275, 0.973, 0.518],
  [0.643, 0.99, 0.231],
  [0.898, 0.855, 0.216],
  [0.992, 0.647, 0.153],
  [0.937, 0.353, 0.067],
  [0.78, 0.161, 0.012],
  [0.48, 0.016, 0.011],
];

/** RGB in 0..255 of the Turbo approximation at t ∈ [0, 1] (clamped). */
export function turboColor(t: number): [number, number, number] {
  const x = Math.min(Math.max(t, 0), 1) * (TURBO_ANCHORS.length - 1);
  const i = Math.min(Math.floor(x), TURBO_ANCHORS.length - 2);
  const f = x - i;
  const a = TURBO_ANCHORS[i]!;
  const b = TURBO_ANCHORS[i + 1]!;
  return [0, 1, 2].map((c) => Math.round((a[c]! + (b[c]! - a[c]!) * f) * 255)) as [number, number, number];
}

function finiteRange(values: Float32Array): { lo: number; hi: number } {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return { lo, hi };
}

/**
 * An RGB8 picture of a depth or disparity map (row-major h×w). Values are mapped linearly from
 * [min, max] to the colour map and clamped; NaN/±Infinity are drawn black, so mark invalid pixels
 * with NaN. A constant map (max ≤ min) is drawn at the low end.
 */
export function colorize(values: Float32Array, h: number, w: number, options: ColorizeOptions): Image {
  if (!Number.isInteger(h) || h <= 0 || !Number.isInteger(w) || w <= 0) {
    throw new DataError(`colorize: size must be positive integers, got ${h}×${w}`);
  }
  if (values.length !== h * w)
    throw new DataError(`colorize: ${h}×${w} map needs ${h * w} values, got ${values.length}`);
  if (options.map !== "turbo" && options.map !== "gray") {
    throw new DataError(`colorize: unknown colour map "${String(options.map)}" (use "turbo" or "gray")`);
  }
  const range = finiteRange(values);
  const lo = options.min ?? range.lo;
  const hi = options.max ?? range.hi;
  const span = hi - lo;
  const lut = new Uint8Array(256 * 3);
  for (let k = 0; k < 256; k++) {
    const rgb = options.map === "turbo" ? turboColor(k / 255) : [k, k, k];
    lut.set(rgb, k * 3);
  }
  const data = new Uint8Array(h * w * 3);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    const t = span > 0 ? Math.min(Math.max((v - lo) / span, 0), 1) : 0;
    const k = Math.round(t * 255);
    data[i * 3] = lut[k * 3]!;
    data[i * 3 + 1] = lut[k * 3 + 1]!;
    data[i * 3 + 2] = lut[k * 3 + 2]!;
  }
  return { width: w, height: h, channels: 3, bitDepth: 8, data };
}
