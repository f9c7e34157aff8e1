/**
 * The small ViT + DPT graph the simulator and RTL tests share: 2 blocks of 32 channels, 2 heads, a DPT
 * decoder, on a 64×64 image, quantized by round-to-nearest on seeded random images.
 */
import type { QGraph } from "../../compiler/ptq/qgraph.js";
import { METHODS, quantizeGraph, type Recipe } from "../../compiler/ptq/quantize-graph.js";
import { buildVitDpt, type VitDptConfig } from "../../compiler/zoo/vit-dpt.js";
import { seededRandom, uniform } from "./onnx-random.js";

export const SMALL_VIT_DPT: VitDptConfig = {
  dim: 32,
  depth: 2,
  heads: 2,
  mlpRatio: 4,
  features: 16,
  outChannels: [8, 16, 32, 32],
  layers: [0, 0, 1, 1],
};

/** n seeded random RGB images in [0, 1], 3 × 64 × 64. */
export function vitImages(n: number, seed: number): Float32Array[] {
  const r = seededRandom(seed);
  return Array.from({ length: n }, () => uniform(r, 3 * 64 * 64).map((v) => (v + 1) / 2));
}

/** The small graph quantized with `recipe`; a patch size other than the default takes other seeds. */
export async function quantizedSmallVitDpt(recipe: Recipe, patchSize?: number): Promise<QGraph> {
  const g = buildVitDpt(SMALL_VIT_DPT, {
    imageSize: 64,
    seed: patchSize ? 5 : 3,
    ...(patchSize ? { patchSize } : {}),
  });
  const calibration = vitImages(2, patchSize ? 2 : 1);
  return (await quantizeGraph(g, { recipe, method: METHODS.rtn!, calibration })).qgraph;
}
