import { mkdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import type { Command } from "commander";
import { packModel } from "../../compiler/blob/pack.js";
import { writeFileAtomic } from "../../compiler/data/atomic-write.js";
import { writePngAtomic } from "../../compiler/data/image.js";
import { depthIo } from "../../compiler/eval/evaluate-model.js";
import { loadModel } from "../../compiler/import/index.js";
import type { Graph } from "../../compiler/ir/graph.js";
import { parseInputSize, withInputSize } from "../../compiler/ir/input-size.js";
import { TARGETS } from "../../compiler/isa/targets.js";
import { sharedPath } from "../../compiler/paths.js";
import { loadCalibration } from "../../compiler/ptq/calibration.js";
import type { Encoding, QGraph } from "../../compiler/ptq/qgraph.js";
import { decodeQGraphFile, encodeQGraphFile } from "../../compiler/ptq/qgraph-codec.js";
import { METHODS, quantizeGraph, type Recipe } from "../../compiler/ptq/quantize-graph.js";
import { lognpHistogram } from "../../compiler/ptq/report.js";
import { formatTable, printJson, UserError } from "../app/output.js";
import { progress } from "../app/progress.js";

export const RECIPES: readonly Recipe[] = ["w8a8", "w4a8", "w4a4"];

export interface CompileOptions {
  report?: string;
  target: string;
  fuse: boolean;
  simOnly?: boolean;
  /** HEIGHTxWIDTH: run the network at another input resolution than the one it was exported at. */
  inputSize?: string;
  calib: string;
  recipe: string;
  method: string;
  images: number;
  seed: number;
  output: string;
  json?: boolean;
  quiet?: boolean;
}

export function checkRecipe(recipe: string, method: string): { recipe: Recipe; method: string } {
  if (!(RECIPES as readonly string[]).includes(recipe))
    throw new UserError(`unknown recipe "${recipe}" (one of ${RECIPES.join(", ")})`);
  if (!METHODS[method])
    throw new UserError(`unknown method "${method}" (one of ${Object.keys(METHODS).join(", ")})`);
  return { recipe: recipe as Recipe, method };
}

/** A float model, at `inputSize` (HEIGHTxWIDTH, --input-size) when given; a size it refuses ends as one line. */
export function loadFloatModel(modelPath: string, inputSize?: string): Graph {
  const graph = loadModel(modelPath);
  if (inputSize === undefined) return graph;
  try {
    return withInputSize(graph, parseInputSize(inputSize));
  } catch (e) {
    throw new UserError(`--input-size: ${(e as Error).message}`);
  }
}

/** Quantizes a float model; shared by compile, compare and ablate. */
export async function compileModel(
  modelPath: string,
  opts: Omit<CompileOptions, "output" | "target" | "fuse">,
) {
  const { recipe, method } = checkRecipe(opts.recipe, opts.method);
  const graph = loadFloatModel(modelPath, opts.inputSize);
  const io = depthIo(graph);
  const calib = loadCalibration(opts.calib, { width: io.w, height: io.h }, opts.images);
  const start = Date.now();
  let bar: ReturnType<typeof progress> | undefined;
  const result = await quantizeGraph(graph, {
    recipe,
    method: METHODS[method]!,
    methodName: method,
    calibration: calib.inputs,
    seed: opts.seed,
    ...(opts.report ? { onActivation: histogramWriter(opts.report) } : {}),
    onLayer: (done, total, name) => {
      bar ??= progress(`quantize ${recipe}/${method} (${calib.inputs.length} images)`, total, {
        quiet: opts.quiet ?? false,
      });
      bar.update(done, name);
    },
  });
  bar?.done();
  return { graph, ...result, calibFiles: calib.files, seconds: (Date.now() - start) / 1000 };
}

/** Writes one LogNP histogram PNG per quantized activation into `dir`. */
function histogramWriter(dir: string) {
  mkdirSync(dir, { recursive: true });
  return (tensor: string, samples: readonly number[][], enc: Encoding) => {
    const file = join(dir, `hist-${tensor.replace(/[^A-Za-z0-9_.-]+/g, "_")}.png`);
    writePngAtomic(file, lognpHistogram(samples, enc));
  };
}

/** The blob for the target, or the quantized graph file; a lowering failure names the target. */
function packOrEncode(q: QGraph, opts: CompileOptions, blob: boolean): Uint8Array {
  if (!blob) return encodeQGraphFile(q);
  try {
    return packModel(q, {
      target: opts.target,
      fuse: opts.fuse,
      ...(opts.simOnly ? { ignoreArenaLimit: true } : {}),
    });
  } catch (e) {
    throw new UserError(`cannot lower for ${opts.target}: ${(e as Error).message}`);
  }
}

/** A quantized graph lowered and packed for a target without quantizing again. */
function lowerQGraphFile(path: string, opts: CompileOptions): void {
  if (!opts.output.endsWith(".bin"))
    throw new UserError("a .qgraph input compiles to a blob: give -o <file>.bin");
  if (opts.inputSize !== undefined)
    throw new UserError("--input-size applies to float models; a .qgraph keeps the size it was quantized at");
  let q: QGraph;
  try {
    q = decodeQGraphFile(new Uint8Array(readFileSync(path)), basename(path));
  } catch (e) {
    throw new UserError(`cannot read ${basename(path)}: ${(e as Error).message}`);
  }
  const bytes = packOrEncode(q, opts, true);
  writeFileAtomic(opts.output, bytes);
  if (opts.json)
    printJson({ output: opts.output, bytes: bytes.length, target: opts.target, fused: opts.fuse });
  else process.stdout.write(`wrote ${opts.output} (${bytes.length} bytes, ${opts.target})\n`);
}

export function registerCompile(program: Command): void {
  program
    .command("compile <model>")
    .description("quantize a float depth model (W8A8/W4A8/W4A4) into integer arithmetic")
    .option(
      "--calib <folder>",
      "calibration images (data set or image folder)",
      sharedPath("data", "mosd-learn"),
    )
    .option("--recipe <recipe>", `precision: ${RECIPES.join(" | ")}`, "w4a4")
    .option("--method <method>", `quantizer: ${Object.keys(METHODS).join(" | ")}`, "quartdepth")
    .option("--images <n>", "calibration images to use", (v) => Number.parseInt(v, 10), 32)
    .option("--seed <n>", "seed for sampling", (v) => Number.parseInt(v, 10), 1)
    .requiredOption("-o, --output <file>", "model blob (.bin) or quantized graph only (.qgraph)")
    .option(
      "--input-size <HxW>",
      "input resolution to compile for (default: the model's own; a fully convolutional network's weights fit any multiple of its strides)",
    )
    .option("--target <name>", `accelerator configuration: ${Object.keys(TARGETS).join(" | ")}`, "asic28")
    .option("--no-fuse", "lower without kernel fusion (for comparison)")
    .option(
      "--sim-only",
      "allow activations larger than the target's memory (the blob then runs in simulation only)",
    )
    .option("--report <dir>", "write report.json and activation histograms (before/after LogNP) as PNG")
    .option("--json", "print one JSON object")
    .action(async (modelPath: string, opts: CompileOptions) => {
      const blob = opts.output.endsWith(".bin");
      if (!blob && !opts.output.endsWith(".qgraph"))
        throw new UserError(`--output must end in .bin or .qgraph, got ${basename(opts.output)}`);
      if (!(opts.images > 0)) throw new UserError("--images must be a positive integer");
      if (blob && !TARGETS[opts.target])
        throw new UserError(`unknown target "${opts.target}" (one of ${Object.keys(TARGETS).join(", ")})`);
      if (modelPath.endsWith(".qgraph")) {
        lowerQGraphFile(modelPath, opts);
        return;
      }
      const r = await compileModel(modelPath, opts);
      const bytes = packOrEncode(r.qgraph, opts, blob);
      writeFileAtomic(opts.output, bytes);
      const summary = {
        output: opts.output,
        bytes: bytes.length,
        recipe: opts.recipe,
        method: opts.method,
        target: blob ? opts.target : null,
        fused: blob ? opts.fuse : null,
        seconds: r.seconds,
        calibration_images: r.calibFiles.length,
        layers: r.layers,
        float_layers: [] as string[],
      };
      if (opts.report)
        writeFileAtomic(join(opts.report, "report.json"), Buffer.from(JSON.stringify(summary, null, 2)));
      if (opts.json) {
        printJson(summary);
        return;
      }
      const worst = [...r.layers].sort((a, b) => a.sqnr_db - b.sqnr_db).slice(0, 5);
      process.stdout.write(
        `${formatTable(
          worst.map((l) => [l.name, l.op, l.encoding, l.sqnr_db]),
          ["hardest layers", "op", "output", "SQNR dB"],
        )}\nwrote ${opts.output} (${bytes.length} bytes, ${r.layers.length} layers, ${opts.recipe}/${opts.method}, ${r.seconds.toFixed(1)} s, every layer in integer)\n`,
      );
    });
}
