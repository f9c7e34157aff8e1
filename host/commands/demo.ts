import type { Command } from "commander";
import { colorize } from "../../compiler/data/colormap.js";
import { openDataset } from "../../compiler/data/datasets.js";
import { resizeBilinear } from "../../compiler/data/resize.js";
import { evaluateModel, floatExecutor } from "../../compiler/eval/evaluate-model.js";
import { imageToInput } from "../../compiler/eval/preprocess.js";
import { loadModel } from "../../compiler/import/index.js";
import { graphStats } from "../../compiler/ir/printer.js";
import { missingShared, pydnetModelPath, sharedPath } from "../../compiler/paths.js";
import { printJson, UserError } from "../app/output.js";
import { halfBlockLines } from "../ui/halfblock.js";
import { robustRange } from "./infer.js";

/**
 * The main job end to end on what exists today: the real PyDNet-mobile model, imported by our
 * TFLite importer and run by our executor on real RGB-D frames, with depth drawn in the terminal,
 * measured throughput and accuracy against ground truth.
 */
export function registerDemo(program: Command): void {
  program
    .command("demo")
    .description("run the real depth model on real frames: depth in the terminal, throughput, accuracy")
    .option("--frames <n>", "frames of mosd-test to run", (v) => Number.parseInt(v, 10), 3)
    .option("--json", "print one JSON object")
    .action(async (opts: { frames: number; json?: boolean }) => {
      const model = pydnetModelPath();
      const data = sharedPath("data", "mosd-test");
      const missing = missingShared([model, data]);
      if (missing) throw new UserError(missing);
      const graph = loadModel(model);
      const stats = graphStats(graph);
      const exec = floatExecutor(graph);
      const dataset = openDataset(data);
      const sample = dataset.samples[0]!;
      const image = dataset.loadRgb(sample);
      const start = Date.now();
      const out = await exec.run(imageToInput(image, exec.inputWidth, exec.inputHeight));
      const frameSeconds = (Date.now() - start) / 1000;
      const report = await evaluateModel(exec, dataset, { limit: opts.frames });
      const perFrame = report.seconds / report.n;
      const summary = {
        model: graph.name,
        macs_per_frame: stats.macs,
        exec: "float",
        frames: report.n,
        host_seconds_per_frame: perFrame,
        host_fps: 1 / perFrame,
        host_gmac_per_s: stats.macs / perFrame / 1e9,
        first_frame_seconds: frameSeconds,
        absrel: report.absrel,
        delta1: report.delta1,
      };
      if (opts.json) {
        printJson(summary);
        return;
      }
      const cols = Math.max(20, Math.floor(((process.stdout.columns ?? 100) - 3) / 2));
      const depth = resizeBilinear(out.values, out.h, out.w, image.height, image.width);
      for (let i = 0; i < depth.length; i++) depth[i] = -depth[i]!;
      const [lo, hi] = robustRange(depth);
      const left = halfBlockLines(image, cols);
      const right = halfBlockLines(
        colorize(depth, image.height, image.width, { map: "turbo", min: lo, max: hi }),
        cols,
      );
      const w = (s: string) => process.stdout.write(`${s}\n`);
      w(`quart demo — ${graph.name}: ${(stats.macs / 1e9).toFixed(2)} G MAC/frame, ${stats.weights} weights`);
      if (process.stdout.isTTY) {
        w(`frame ${sample.id}: camera (left) and predicted depth (right, warm = near)`);
        for (const [i, l] of left.entries()) w(`${l} ${right[i] ?? ""}`);
      } else {
        w(`frame ${sample.id}: depth computed (${out.w}×${out.h}); run in a terminal to see it drawn`);
      }
      w(
        `throughput (float executor on this host): ${summary.host_fps.toFixed(2)} frame/s, ${summary.host_gmac_per_s.toFixed(2)} G MAC/s`,
      );
      w(
        `accuracy on ${report.n} mosd-test frames: AbsRel ${report.absrel.toFixed(4)}, δ1 ${report.delta1.toFixed(4)}`,
      );
      w("not yet in this build: 4-bit compile, accelerator simulation and device throughput (see README)");
    });
}
