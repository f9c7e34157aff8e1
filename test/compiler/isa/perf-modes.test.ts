/**
 * The performance model's FP32 view and energy: the same model lowered for W4A4, W8A8 and FP32 on
 * asic28 orders as the precisions do, fusion saves external traffic, and energy adds up.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { perfModel } from "../../../compiler/isa/perf.js";
import { asic28, fp32View } from "../../../compiler/isa/targets.js";
import { lowerQGraph } from "../../../compiler/lower/index.js";
import { METHODS, quantizeGraph, type Recipe } from "../../../compiler/ptq/quantize-graph.js";
import { buildVitDpt } from "../../../compiler/zoo/vit-dpt.js";

const graph = buildVitDpt("vits", { imageSize: 128, depth: 2, seed: 2 });

async function perf(recipe: Recipe, fp32: boolean, fuse: boolean) {
  const { qgraph } = await quantizeGraph(graph, {
    recipe,
    method: METHODS.rtn!,
    calibration: [],
    synthetic: true,
  });
  const t = fp32 ? fp32View(asic28) : asic28;
  const low = lowerQGraph(qgraph, t, { fuse, ignoreArenaLimit: true });
  return perfModel(low.program, t, low.layers);
}

test("fp32View keeps a quarter of the elements in the buffers and of the bandwidth", () => {
  const f = fp32View(asic28);
  assert.equal(f.buffers.INP, asic28.buffers.INP / 4);
  assert.equal(f.buffers.ACC, asic28.buffers.ACC, "FP32 accumulators are 4 bytes like int32");
  assert.equal(f.segments.ACT.bytesPerCycle, asic28.segments.ACT.bytesPerCycle / 4);
  assert.equal(f.cyclesPerTap.w8, asic28.fp32TapCycles);
  assert.throws(() => fp32View({ ...asic28, fp32TapCycles: undefined }), /no FP32 mode/);
});

test("a ViT-S + DPT frame: FP32 is slower and costlier than W4A4, fusion helps both", async () => {
  const w4 = await perf("w4a4", false, true);
  const w4u = await perf("w4a4", false, false);
  const f32 = await perf("w8a8", true, true);
  const f32u = await perf("w8a8", true, false);
  assert.ok(f32.cycles > 2 * w4.cycles, `FP32 ${f32.cycles} vs W4A4 ${w4.cycles} cycles`);
  assert.ok(w4u.cycles > w4.cycles && f32u.cycles > f32.cycles, "unfused takes longer");
  const ext = (r: typeof w4) => r.bytes.actRead + r.bytes.actWrite + r.bytes.weights;
  assert.ok(ext(w4u) > ext(w4), "fusion keeps accumulators on chip");
  assert.ok(ext(f32) > 4 * ext(w4), "FP32 moves 4-byte elements");
  for (const r of [w4, w4u, f32, f32u]) {
    const e = r.energy;
    const sum = e.mac_uj + e.sram_uj + e.ext_uj + e.vector_uj;
    assert.ok(Math.abs(sum - e.total_uj) < 1e-9 * e.total_uj, "the parts add up");
    assert.ok(e.mac_uj > 0 && e.ext_uj > 0 && e.vector_uj > 0);
  }
  assert.ok(f32.energy.total_uj > 5 * w4.energy.total_uj, "FP32 MACs and traffic cost more energy");
  assert.ok(w4.macs > 1e8, "the model's MACs are counted");
});
