/**
 * What the PyDNet benches share: command-line options, the real model quantized to W4A4 on a few
 * calibration images, and the first mosd-test frame as input codes. Exits with the missing paths when
 * the shared data is absent.
 */
import { openDataset } from "../compiler/data/datasets.js";
import { imageToInput } from "../compiler/eval/preprocess.js";
import { ioOf } from "../compiler/eval/quantized-executors.js";
import { missingShared, pydnetModelPath, sharedPath } from "../compiler/paths.js";
import { quantizeInput } from "../compiler/ptq/golden.js";
import type { QGraph } from "../compiler/ptq/qgraph.js";
import { compileModel } from "../host/commands/compile.js";

export function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1]! : fallback;
}

export interface BenchPydnet {
  readonly qgraph: QGraph;
  readonly method: string;
  readonly frames: number;
  /** Input codes of mosd-test frame i (wrapping around). */
  codes(i: number): Uint8Array;
}

/** PyDNet-mobile W4A4 by `--method` (default rtn) on `--images` calibration images (default 2). */
export async function benchPydnet(): Promise<BenchPydnet> {
  const method = option("method", "rtn");
  const images = Number(option("images", "2")) || 2;
  const model = pydnetModelPath();
  const learn = sharedPath("data", "mosd-learn");
  const test = sharedPath("data", "mosd-test");
  const missing = missingShared([model, learn, test]);
  if (missing) {
    process.stderr.write(`${missing}\n`);
    process.exit(1);
  }
  const compiled = await compileModel(model, {
    calib: learn,
    recipe: "w4a4",
    method,
    images,
    seed: 1,
    quiet: true,
  });
  const io = ioOf(compiled.qgraph);
  const dataset = openDataset(test);
  const n = dataset.samples.length;
  const codes = (i: number) =>
    quantizeInput(imageToInput(dataset.loadRgb(dataset.samples[i % n]!), io.w, io.h), io.inV);
  return { qgraph: compiled.qgraph, method, frames: n, codes };
}
