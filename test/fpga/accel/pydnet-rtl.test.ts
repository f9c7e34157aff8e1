/**
 * The real model on the accelerator core RTL: PyDNet-mobile quantized W4A4 (round-to-nearest, 2
 * calibration images, as test/sim/isa/pydnet.test.ts does), re-inferred at 64×192 so that one frame is
 * about 20 M cycles of Verilator, lowered for the icebreaker target and run on quart_accel (icebreaker
 * parameters, N_DSP = 8). The output tensor and the whole ACT arena must equal the instruction-level
 * simulator's (and the output the integer golden model's), the MAC and DMA counters the simulator's,
 * and every layer's cycles (from the end of the previous layer to the end of its last STORE) must be
 * within 5 % of the performance model. Twice: on the harness's memories (each segment its own, no
 * arbiter) and on the SoC's memory system (one PSRAM for the program and every segment, the round-robin
 * arbiter, the prefetcher), which is how the icebreaker target runs. The full 192×640 frame runs in
 * bench/accel-pydnet.ts.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { openDataset } from "../../../compiler/data/datasets.js";
import { imageToInput } from "../../../compiler/eval/preprocess.js";
import { ioOf } from "../../../compiler/eval/quantized-executors.js";
import type { Target } from "../../../compiler/isa/targets.js";
import { icebreaker } from "../../../compiler/isa/targets.js";
import { lowerQGraph } from "../../../compiler/lower/index.js";
import { missingShared, pydnetModelPath, sharedPath } from "../../../compiler/paths.js";
import { quantizeInput, runGolden } from "../../../compiler/ptq/golden.js";
import { compileModel } from "../../../host/commands/compile.js";
import { missingTools } from "../../../sim/device/tools.js";
import { ACCEL_SIM_TOOLS, harnessTarget } from "../../../sim/rtl/accel.js";
import { runModelOnAccel } from "../../../sim/rtl/accel-model.js";

const learn = sharedPath("data", "mosd-learn");
const frames = sharedPath("data", "mosd-test");
const tools = missingTools(ACCEL_SIM_TOOLS);
const skip =
  missingShared([pydnetModelPath(), learn, frames]) ||
  (tools.length ? `missing tools: ${tools.join(", ")}` : false);

let compiled: ReturnType<typeof compileModel> | undefined;
/** The model quantized once for both memory systems. */
const pydnet64 = () =>
  (compiled ??= compileModel(pydnetModelPath(), {
    calib: learn,
    recipe: "w4a4",
    method: "rtn",
    images: 2,
    seed: 1,
    inputSize: "64x192",
    quiet: true,
  }));

async function checkOnRtl(target: Target, label: string): Promise<void> {
  const q = (await pydnet64()).qgraph;
  const io = ioOf(q);
  assert.deepEqual([io.h, io.w], [64, 192]);
  const lowered = lowerQGraph(q, target, { ignoreArenaLimit: true });
  const data = openDataset(frames);
  const x = quantizeInput(imageToInput(data.loadRgb(data.samples[0]!), io.w, io.h), io.inV);
  const r = await runModelOnAccel(lowered, target, x);
  assert.equal(r.firstArenaDiff, -1, `ACT byte ${r.firstArenaDiff} differs between RTL and simulator`);
  assert.ok(r.outputIdentical, "output tensor differs between RTL and simulator");
  const gold = await runGolden(q, x);
  const diff = r.codes.findIndex((v, i) => v !== gold.codes[i]);
  assert.equal(r.codes.length, gold.codes.length);
  assert.equal(diff, -1, `output element ${diff} differs from the golden model`);
  assert.equal(r.counters.macs, r.simMacs, "MAC counter");
  assert.equal(r.rtlDmaBytes, r.simDmaBytes, "DMA bytes");
  assert.equal(r.counters.tokens, 0, "tokens left");
  // Every layer of the graph (convs and resizes) has a row, each with time of its own.
  assert.equal(r.layers.length, lowered.layers.length);
  assert.ok(r.layers.filter((l) => l.op === "conv").length >= 40);
  assert.ok(r.layers.every((l) => l.rtl > 0 && l.model > 0));
  const ratios = r.layers.map((l) => l.ratio);
  console.log(
    `PyDNet 64×192 on the RTL, ${label}: ${r.rtlCycles} cycles (model ${r.modelCycles}, ratio ${(r.rtlCycles / r.modelCycles).toFixed(4)}); ` +
      `per layer RTL/model ${Math.min(...ratios).toFixed(4)}–${Math.max(...ratios).toFixed(4)} over ${r.layers.length} layers; ` +
      `MAC utilization (counters) ${(100 * r.utilization).toFixed(1)} %, conv layers ${(100 * r.convUtilization).toFixed(1)} %, model ${(100 * r.modelUtilization).toFixed(1)} %; ` +
      `Verilator ${Math.round(r.cyclesPerCpuSecond)} cycles per CPU second (${Math.round(r.cyclesPerSecond)} per wall second)`,
  );
  const off = r.layers.filter((l) => Math.abs(l.ratio - 1) > 0.05);
  assert.deepEqual(
    off.map((l) => `${l.name} RTL ${l.rtl} model ${l.model} (${l.ratio.toFixed(3)})`),
    [],
    "layers whose RTL cycles differ from the model by more than 5 %",
  );
  assert.ok(Math.abs(r.rtlCycles / r.modelCycles - 1) <= 0.05, "whole frame within 5 %");
}

describe("PyDNet-mobile W4A4 at 64×192 on the accelerator RTL: bit-identical, every layer within 5 % of the model", {
  skip,
  timeout: 1_800_000,
}, () => {
  test("the harness's memories (a memory per segment, no arbiter)", async () => {
    await checkOnRtl(harnessTarget(icebreaker), "harness memories");
  });
  test("the SoC's memory system (one PSRAM, the arbiter, the prefetcher)", async () => {
    assert.ok(icebreaker.sharedMemory, "the icebreaker target describes the SoC's shared memory");
    await checkOnRtl(icebreaker, "SoC memory");
  });
});
