import { basename } from "node:path";
import type { Command } from "commander";
import { colorize } from "../../compiler/data/colormap.js";
import { readImage, writePngAtomic } from "../../compiler/data/image.js";
import { writeNpyAtomic } from "../../compiler/data/npy.js";
import { resizeBilinear } from "../../compiler/data/resize.js";
import { floatExecutor } from "../../compiler/eval/evaluate-model.js";
import { imageToInput } from "../../compiler/eval/preprocess.js";
import { loadModel } from "../../compiler/import/index.js";
import { printJson, UserError } from "../app/output.js";

/** 2nd and 98th percentiles: a colour range that single outlier pixels cannot wash out. */
export function robustRange(v: Float32Array): [number, number] {
  const sorted = Float32Array.from(v).sort();
  return [sorted[Math.floor(0.02 * (sorted.length - 1))]!, sorted[Math.floor(0.98 * (sorted.length - 1))]!];
}

export function registerInfer(program: Command): void {
  program
    .command("infer <image>")
    .description("run a float depth model on one image and write a colour-mapped depth image")
    .requiredOption("--model <model>", "a .tflite or .onnx depth model")
    .requiredOption("-o, --output <png>", "colour-mapped depth PNG (at the image's size)")
    .option("--raw <npy>", "also write the raw model output as .npy")
    .option("--invert", "flip the colour scale (for models whose output grows with distance)")
    .option("--json", "print one JSON object")
    .action(
      async (
        imagePath: string,
        opts: { model: string; output: string; raw?: string; invert?: boolean; json?: boolean },
      ) => {
        if (!opts.output.toLowerCase().endsWith(".png"))
          throw new UserError(`--output must be a .png file, got ${basename(opts.output)}`);
        const image = readImage(imagePath);
        const exec = floatExecutor(loadModel(opts.model));
        const start = Date.now();
        const out = await exec.run(imageToInput(image, exec.inputWidth, exec.inputHeight));
        const seconds = (Date.now() - start) / 1000;
        const full = resizeBilinear(out.values, out.h, out.w, image.height, image.width, {
          alignCorners: false,
        });
        if (opts.invert) for (let i = 0; i < full.length; i++) full[i] = -full[i]!;
        const [lo, hi] = robustRange(full);
        writePngAtomic(
          opts.output,
          colorize(full, image.height, image.width, { map: "turbo", min: lo, max: hi }),
        );
        if (opts.raw)
          writeNpyAtomic(opts.raw, { dtype: "float32", shape: [1, 1, out.h, out.w], data: out.values });
        if (opts.json)
          printJson({
            output: opts.output,
            raw: opts.raw ?? null,
            seconds,
            width: image.width,
            height: image.height,
          });
        else
          process.stderr.write(
            `wrote ${opts.output} (${image.width}×${image.height}) in ${seconds.toFixed(2)} s\n`,
          );
      },
    );
}
