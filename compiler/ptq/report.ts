/**
 * Quantization report artefacts: activation histograms before and after LogNP polishing, drawn as
 * PNG bar charts (left: x/ω pooled over channels; right: Φ(x) = sign(x)·log2(1 + |x|/ω)), with the
 * chosen 4-bit levels marked in red on the left chart.
 */
import type { Image } from "../data/image.js";
import { percentileOf, polish, sortedCopy } from "./codebook.js";
import { type Encoding, LUT_LEVELS } from "./qgraph.js";

const W = 320;
const H = 160;
const BINS = 80;

function drawHistogram(
  img: Image,
  x0: number,
  values: Float64Array,
  lo: number,
  hi: number,
  marks: number[],
): void {
  const counts = new Float64Array(BINS);
  for (const v of values) {
    const b = Math.floor(((v - lo) / (hi - lo)) * BINS);
    if (b >= 0 && b < BINS) counts[b]!++;
  }
  const max = Math.max(...counts, 1);
  const data = img.data as Uint8Array;
  const px = (x: number, y: number, r: number, g: number, b: number) => {
    const i = (y * img.width + x) * 3;
    data[i] = r;
    data[i + 1] = g;
    data[i + 2] = b;
  };
  const bw = W / BINS;
  for (let b = 0; b < BINS; b++) {
    // Square-root scale so the tails stay visible next to the peak at zero.
    const h = Math.round(Math.sqrt(counts[b]! / max) * (H - 10));
    for (let x = Math.floor(b * bw); x < Math.floor((b + 1) * bw) - 1; x++)
      for (let y = H - h; y < H; y++) px(x0 + x, y, 40, 90, 160);
  }
  for (const m of marks) {
    const x = Math.round(((m - lo) / (hi - lo)) * W);
    if (x >= 0 && x < W) for (let y = 0; y < H; y++) px(x0 + x, y, 200, 30, 30);
  }
}

/** One PNG per tensor: histogram of x/ω (with the lut4 levels) and of the polished Φ(x). */
export function lognpHistogram(samples: readonly number[][], enc: Encoding, lognpPercentile = 95): Image {
  const img: Image = {
    width: 2 * W + 8,
    height: H,
    channels: 3,
    bitDepth: 8,
    data: new Uint8Array((2 * W + 8) * H * 3).fill(255),
  };
  const norm: number[] = [];
  const pol: number[] = [];
  const marks: number[] = [];
  samples.forEach((s, c) => {
    const abs = sortedCopy(s.map(Math.abs));
    const omega = Math.max(percentileOf(abs, lognpPercentile), 1e-8);
    for (const v of s) {
      norm.push(v / omega);
      pol.push(polish(v, omega));
    }
    if (c === 0 && enc.kind === "lut4") {
      for (let k = 0; k < LUT_LEVELS; k++) marks.push((enc.lut[k]! * enc.scales[0]!) / omega);
    }
  });
  const a = Float64Array.from(norm);
  const b = Float64Array.from(pol);
  const range = (x: Float64Array) => {
    const s = sortedCopy(x);
    return [percentileOf(s, 0.05), percentileOf(s, 99.95)] as const;
  };
  const [alo, ahi] = range(a);
  const [blo, bhi] = range(b);
  drawHistogram(img, 0, a, alo, ahi, marks);
  drawHistogram(img, W + 8, b, blo, bhi, []);
  return img;
}
