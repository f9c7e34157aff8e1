/**
 * PyDNet-mobile W4A4 (192×640) packed for asic28 and run on the instruction-level simulator, frame by
 * frame, each output checked bit for bit against the integer golden model.
 *
 *   npm run build && node dist/bench/isa-sim.js [--repeat N] [--method rtn|quartdepth|…] [--images N]
 *     [--no-hazards]
 *
 * Prints the seconds per frame (median and mean over N frames) and the bit-identity verdict as JSON;
 * exits non-zero when an output differs.
 */
import { packModel } from "../compiler/blob/pack.js";
import { readBlob } from "../compiler/blob/reader.js";
import { openDataset } from "../compiler/data/datasets.js";
import { imageToInput } from "../compiler/eval/preprocess.js";
import { ioOf } from "../compiler/eval/quantized-executors.js";
import { missingShared, pydnetModelPath, sharedPath } from "../compiler/paths.js";
import { quantizeInput, runGolden } from "../compiler/ptq/golden.js";
import type { Codes } from "../compiler/ptq/qgraph.js";
import { compileModel } from "../host/commands/compile.js";
import { runBlob } from "../sim/isa/run.js";

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1]! : fallback;
}

function sameCodes(a: Codes, b: Codes): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

const repeat = Number(option("repeat", "2")) || 2;
const method = option("method", "rtn");
const images = Number(option("images", "2")) || 2;
// The simulator's default (what `quart eval --exec isa` runs): the hazard checker is on for this arena.
const checkHazards = !process.argv.includes("--no-hazards");
const TARGET = "asic28";

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
const blob = readBlob(packModel(compiled.qgraph, { target: TARGET }));
const io = ioOf(compiled.qgraph);
const dataset = openDataset(test);

const seconds: number[] = [];
let mismatches = 0;
for (let i = 0; i < repeat; i++) {
  const sample = dataset.samples[i % dataset.samples.length]!;
  const codes = quantizeInput(imageToInput(dataset.loadRgb(sample), io.w, io.h), io.inV);
  const t = performance.now();
  const isa = runBlob(blob, codes, { checkHazards });
  seconds.push((performance.now() - t) / 1000);
  const gold = await runGolden(compiled.qgraph, codes);
  if (!sameCodes(isa.codes, gold.codes)) mismatches++;
}
const sorted = [...seconds].sort((a, b) => a - b);
const round = (s: number) => Number(s.toFixed(3));
process.stdout.write(
  `${JSON.stringify(
    {
      model: compiled.graph.name,
      target: TARGET,
      recipe: "w4a4",
      method,
      frames: repeat,
      hazard_checker: checkHazards,
      seconds_per_frame: {
        median: round(sorted[Math.floor(sorted.length / 2)]!),
        mean: round(seconds.reduce((s, x) => s + x, 0) / seconds.length),
        each: seconds.map(round),
      },
      bit_exact_with_golden: mismatches === 0,
    },
    null,
    2,
  )}\n`,
);
if (mismatches) process.exit(1);
