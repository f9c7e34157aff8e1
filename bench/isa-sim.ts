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
import { runGolden } from "../compiler/ptq/golden.js";
import type { Codes } from "../compiler/ptq/qgraph.js";
import { runBlob } from "../sim/isa/run.js";
import { benchPydnet, option } from "./pydnet-input.js";

function sameCodes(a: Codes, b: Codes): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

const repeat = Number(option("repeat", "2")) || 2;
// The simulator's default (what `quart eval --exec isa` runs): the hazard checker is on for this arena.
const checkHazards = !process.argv.includes("--no-hazards");
const TARGET = "asic28";

const pyd = await benchPydnet();
const blob = readBlob(packModel(pyd.qgraph, { target: TARGET }));

const seconds: number[] = [];
let mismatches = 0;
for (let i = 0; i < repeat; i++) {
  const codes = pyd.codes(i);
  const t = performance.now();
  const isa = runBlob(blob, codes, { checkHazards });
  seconds.push((performance.now() - t) / 1000);
  const gold = await runGolden(pyd.qgraph, codes);
  if (!sameCodes(isa.codes, gold.codes)) mismatches++;
}
const sorted = [...seconds].sort((a, b) => a - b);
const round = (s: number) => Number(s.toFixed(3));
process.stdout.write(
  `${JSON.stringify(
    {
      model: pyd.qgraph.name,
      target: TARGET,
      recipe: "w4a4",
      method: pyd.method,
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
