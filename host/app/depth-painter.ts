/**
 * Depth output → colour picture for the live view. The colour range follows the 2nd–98th
 * percentiles of each frame, smoothed over frames so that the colours do not flicker.
 */
import { colorize } from "../../compiler/data/colormap.js";
import type { Image } from "../../compiler/data/image.js";
import type { DepthOutput } from "../../compiler/eval/evaluate-model.js";

export interface DepthPainterOptions {
  /**
   * Draw low output values red (warm) and high values blue. True by default: the PyDNet models'
   * output grows with distance, so warm means near (as in `quart demo`).
   */
  invert?: boolean;
  /** Weight of the newest frame's range in the smoothed range, (0, 1]; 1 = no smoothing. */
  smoothing?: number;
}

/** The p-quantile (0..1) of the finite values. */
export function quantile(values: Float32Array, p: number): number {
  const finite = values.filter(Number.isFinite).sort();
  if (finite.length === 0) return Number.NaN;
  return finite[Math.min(finite.length - 1, Math.max(0, Math.floor(p * (finite.length - 1))))]!;
}

export class DepthPainter {
  private range: [number, number] | null = null;
  private readonly invert: boolean;
  private readonly smoothing: number;

  constructor(options: DepthPainterOptions = {}) {
    this.invert = options.invert ?? true;
    this.smoothing = options.smoothing ?? 0.3;
  }

  paint(out: DepthOutput): Image {
    const values = this.invert ? out.values.map((v) => -v) : out.values;
    const lo = quantile(values, 0.02);
    const hi = quantile(values, 0.98);
    if (Number.isFinite(lo) && Number.isFinite(hi)) {
      const a = this.range ? this.smoothing : 1;
      const [plo, phi] = this.range ?? [lo, hi];
      this.range = [plo + a * (lo - plo), phi + a * (hi - phi)];
    }
    const [min, max] = this.range ?? [0, 1];
    return colorize(values, out.h, out.w, { map: "turbo", min, max });
  }
}
