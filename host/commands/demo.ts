import type { Command } from "commander";
import { packModel } from "../../compiler/blob/pack.js";
import { perfOfBlob } from "../../compiler/blob/perf.js";
import { readBlob } from "../../compiler/blob/reader.js";
import { colorize } from "../../compiler/data/colormap.js";
import { openDataset } from "../../compiler/data/datasets.js";
import type { Image } from "../../compiler/data/image.js";
import { resizeBilinear } from "../../compiler/data/resize.js";
import {
  type DepthExecutor,
  type DepthOutput,
  type EvalReport,
  evaluateModel,
  floatExecutor,
} from "../../compiler/eval/evaluate-model.js";
import { imageToInput } from "../../compiler/eval/preprocess.js";
import { goldenExecutor } from "../../compiler/eval/quantized-executors.js";
import { graphStats } from "../../compiler/ir/printer.js";
import { missingShared, pydnetModelPath, sharedPath } from "../../compiler/paths.js";
import { isaExecutor } from "../../sim/isa/executor.js";
import type { Counters } from "../../sim/isa/machine.js";
import { DEVICE_TARGET, type DeviceStageResult, runDemoOnSimDevice } from "../app/demo-device.js";
import { printJson, UserError } from "../app/output.js";
import { halfBlockLines } from "../ui/halfblock.js";
import { compileModel } from "./compile.js";
import { robustRange } from "./infer.js";

const TARGET = "asic28";

async function depthImage(exec: DepthExecutor, image: Image): Promise<Image> {
  return colorDepth(await exec.run(imageToInput(image, exec.inputWidth, exec.inputHeight)), image);
}

function colorDepth(out: DepthOutput, image: Image): Image {
  const depth = resizeBilinear(out.values, out.h, out.w, image.height, image.width);
  // PyDNet's output falls with inverse depth: negate so warm colours mean near.
  for (let i = 0; i < depth.length; i++) depth[i] = -depth[i]!;
  const [lo, hi] = robustRange(depth);
  return colorize(depth, image.height, image.width, { map: "turbo", min: lo, max: hi });
}

function fps(r: EvalReport): number {
  return r.n / r.seconds;
}

/**
 * The main job end to end on what exists today: the real PyDNet-mobile model is imported, quantized
 * to W4A4 with QuartDepth and run in integer arithmetic (the golden model) on real RGB-D frames next
 * to the float model, then packed into a blob and executed by the accelerator's instruction-level
 * simulator, which must reproduce the golden bits; depth is drawn in the terminal with accuracy, the
 * host's measured throughput and the accelerator's modelled cycles. Last, the same quantized model
 * lowered for the icebreaker SoC runs one frame on the simulated device over its serial link (a few
 * minutes of RTL simulation; --no-device skips it).
 */
export function registerDemo(program: Command): void {
  program
    .command("demo")
    .description(
      "the real depth model, quantized to W4A4, on real frames: depth in the terminal, throughput, accuracy",
    )
    .option("--frames <n>", "mosd-test frames to score", (v) => Number.parseInt(v, 10), 5)
    .option("--images <n>", "calibration images", (v) => Number.parseInt(v, 10), 8)
    .option("--no-device", "skip the frame on the simulated SoC (the RTL over its serial link)")
    .option("--json", "print one JSON object")
    .action(async (opts: { frames: number; images: number; device: boolean; json?: boolean }) => {
      const model = pydnetModelPath();
      const learn = sharedPath("data", "mosd-learn");
      const test = sharedPath("data", "mosd-test");
      const missing = missingShared([model, learn, test]);
      if (missing) throw new UserError(missing);
      const compiled = await compileModel(model, {
        calib: learn,
        recipe: "w4a4",
        method: "quartdepth",
        images: opts.images,
        seed: 1,
      });
      const stats = graphStats(compiled.graph);
      const float = floatExecutor(compiled.graph);
      const golden = goldenExecutor(compiled.qgraph);
      const dataset = openDataset(test);
      const floatReport = await evaluateModel(float, dataset, { limit: opts.frames });
      const intReport = await evaluateModel(golden, dataset, { limit: opts.frames, reference: float });
      const input = imageToInput(dataset.loadRgb(dataset.samples[0]!), golden.inputWidth, golden.inputHeight);
      const t0 = Date.now();
      const goldenOut = await golden.run(input);
      const goldenFps = 1000 / (Date.now() - t0);
      // The same model as a blob for the accelerator, executed instruction by instruction.
      const blobBytes = packModel(compiled.qgraph, { target: TARGET });
      const blob = readBlob(blobBytes);
      let counters: Counters | undefined;
      const isa = isaExecutor(blob, (c) => {
        counters = c;
      });
      const t1 = Date.now();
      const isaOut = await isa.run(input);
      const isaSeconds = (Date.now() - t1) / 1000;
      const bitExact = Buffer.from(isaOut.raw).equals(Buffer.from(goldenOut.raw));
      const perf = perfOfBlob(blob);
      let device: DeviceStageResult | null = null;
      if (opts.device)
        device = await runDemoOnSimDevice(compiled.qgraph, input, goldenOut.raw, { quiet: false });
      const summary = {
        model: compiled.graph.name,
        macs_per_frame: stats.macs,
        recipe: "w4a4",
        method: "quartdepth",
        compile_seconds: compiled.seconds,
        frames: intReport.n,
        float: { absrel: floatReport.absrel, delta1: floatReport.delta1, host_fps: fps(floatReport) },
        w4a4_golden: {
          absrel: intReport.absrel,
          delta1: intReport.delta1,
          nrmse_vs_float: intReport.nrmse_vs_float,
          host_fps: goldenFps,
        },
        accelerator: {
          target: TARGET,
          simulator: "instruction-level (sim/isa)",
          bit_exact_with_golden: bitExact,
          instructions: counters?.dispatched ?? null,
          macs: counters?.macs ?? null,
          modelled_cycles: perf.cycles,
          modelled_fps: perf.fps,
          mac_utilization: perf.mac_utilization,
          simulator_seconds: isaSeconds,
        },
        device,
      };
      if (opts.json) {
        printJson(summary);
        return;
      }
      const w = (s: string) => process.stdout.write(`${s}\n`);
      w(
        `quart demo — ${compiled.graph.name}: ${(stats.macs / 1e9).toFixed(2)} G MAC/frame, compiled to W4A4 (QuartDepth) in ${compiled.seconds.toFixed(1)} s`,
      );
      const sample = dataset.samples[0]!;
      const image = dataset.loadRgb(sample);
      if (process.stdout.isTTY) {
        const cols = Math.max(16, Math.floor(((process.stdout.columns ?? 120) - 4) / 3));
        const panels = [image, await depthImage(float, image), colorDepth(isaOut, image)].map((p) =>
          halfBlockLines(p, cols),
        );
        w(
          `frame ${sample.id}: camera | float depth | W4A4 depth from the accelerator simulator (warm = near)`,
        );
        for (let i = 0; i < panels[0]!.length; i++) w(panels.map((p) => p[i] ?? "").join(" "));
      } else {
        w(`frame ${sample.id}: depth computed; run in a terminal to see camera, float and W4A4 depth drawn`);
      }
      w(`accuracy on ${intReport.n} mosd-test frames:`);
      w(`  float          AbsRel ${floatReport.absrel.toFixed(4)}  δ1 ${floatReport.delta1.toFixed(4)}`);
      w(
        `  W4A4 integer   AbsRel ${intReport.absrel.toFixed(4)}  δ1 ${intReport.delta1.toFixed(4)}  nRMSE vs float ${intReport.nrmse_vs_float!.toFixed(4)}`,
      );
      w("throughput, measured on this host (not the accelerator):");
      w(`  float executor          ${fps(floatReport).toFixed(2)} frame/s`);
      w(`  integer golden model    ${goldenFps.toFixed(2)} frame/s`);
      w(
        `accelerator (${TARGET}, instruction-level simulator): ${counters?.dispatched ?? "?"} instructions, ` +
          `${((counters?.macs ?? 0) / 1e9).toFixed(2)} G MAC, output ${bitExact ? "bit-identical to" : "DIFFERENT from"} the golden model ` +
          `(${isaSeconds.toFixed(1)} s to simulate)`,
      );
      w(
        `  modelled: ${perf.cycles} cycles/frame = ${perf.fps.toFixed(1)} FPS at ${(perf.clockHz / 1e6).toFixed(0)} MHz, ` +
          `MAC utilization ${(100 * perf.mac_utilization).toFixed(1)}%`,
      );
      if (!device) {
        w("device: skipped (--no-device); quart run model.bin input --sim runs a blob on the simulated SoC");
        return;
      }
      const fmt = (x: number | null, d = 2) => (x === null ? "?" : x.toFixed(d));
      w(
        `device (${DEVICE_TARGET} SoC in RTL simulation, over its serial link): ${device.image_bytes} B image ` +
          `${device.flashed ? `flashed in ${device.flash_seconds.toFixed(0)} s of simulation` : "already active"}, ` +
          `output ${device.bit_exact_with_golden ? "bit-identical to" : "DIFFERENT from"} the golden model`,
      );
      w(
        `  ${device.accel_cycles ?? "?"} accelerator cycles (model ${device.model_cycles}): ` +
          `${fmt(device.compute_fps)} FPS compute at ${fmt(device.clock_hz && device.clock_hz / 1e6, 0)} MHz, ` +
          `${fmt(device.fps_with_firmware)} FPS with the firmware's data movement; ` +
          `${device.sim_run_seconds.toFixed(0)} s of simulation on this host`,
      );
    });
}
