import type { Command } from "commander";
import { openDataset } from "../../compiler/data/datasets.js";
import { evaluateModel, floatExecutor } from "../../compiler/eval/evaluate-model.js";
import { goldenExecutor } from "../../compiler/eval/quantized-executors.js";
import { loadModel } from "../../compiler/import/index.js";
import { sharedPath } from "../../compiler/paths.js";
import { formatTable, printJson, UserError } from "../app/output.js";
import { checkRecipe, compileModel } from "./compile.js";

interface CompareOptions {
  calib: string;
  data: string;
  recipes: string;
  methods: string;
  images: number;
  limit?: number;
  seed: number;
  json?: boolean;
}

export interface CompareRow {
  recipe: string;
  method: string;
  absrel: number;
  delta1: number;
  d_absrel: number;
  d_delta1: number;
  nrmse_vs_float: number;
  compile_seconds: number;
  outputs_sha256: string;
}

/** Compiles and scores every recipe × method on the integer golden executor, next to float. */
export async function compareMethods(
  modelPath: string,
  recipes: string[],
  methods: string[],
  opts: CompareOptions,
) {
  for (const r of recipes) for (const m of methods) checkRecipe(r, m);
  const graph = loadModel(modelPath);
  const dataset = openDataset(opts.data);
  const float = floatExecutor(graph);
  const limit = opts.limit ? { limit: opts.limit } : {};
  const base = await evaluateModel(float, dataset, limit);
  process.stderr.write(`float: AbsRel ${base.absrel.toFixed(4)} δ1 ${base.delta1.toFixed(4)}\n`);
  const rows: CompareRow[] = [];
  for (const recipe of recipes) {
    for (const method of methods) {
      const c = await compileModel(modelPath, {
        calib: opts.calib,
        recipe,
        method,
        images: opts.images,
        seed: opts.seed,
      });
      const r = await evaluateModel(goldenExecutor(c.qgraph), dataset, { ...limit, reference: float });
      const row: CompareRow = {
        recipe,
        method,
        absrel: r.absrel,
        delta1: r.delta1,
        d_absrel: r.absrel - base.absrel,
        d_delta1: r.delta1 - base.delta1,
        nrmse_vs_float: r.nrmse_vs_float ?? Number.NaN,
        compile_seconds: c.seconds,
        outputs_sha256: r.outputs_sha256,
      };
      process.stderr.write(
        `${recipe}/${method}: AbsRel ${row.absrel.toFixed(4)} δ1 ${row.delta1.toFixed(4)} nrmse ${row.nrmse_vs_float.toFixed(4)}\n`,
      );
      rows.push(row);
    }
  }
  return { float: { absrel: base.absrel, delta1: base.delta1, n: base.n }, rows };
}

function printRows(result: Awaited<ReturnType<typeof compareMethods>>): void {
  const table = formatTable(
    [
      ["float", "-", result.float.absrel, result.float.delta1, 0, 0, 0, 0],
      ...result.rows.map((r) => [
        r.recipe,
        r.method,
        r.absrel,
        r.delta1,
        r.d_absrel,
        100 * r.d_delta1,
        r.nrmse_vs_float,
        r.compile_seconds,
      ]),
    ],
    ["recipe", "method", "AbsRel", "δ1", "ΔAbsRel", "Δδ1 (pt)", "nRMSE vs float", "compile s"],
  );
  process.stdout.write(`${table}\n(integer golden executor, ${result.float.n} frames)\n`);
}

function register(
  program: Command,
  name: string,
  description: string,
  defaults: { recipes: string; methods: string },
) {
  program
    .command(`${name} <model>`)
    .description(description)
    .option("--calib <folder>", "calibration images", sharedPath("data", "mosd-learn"))
    .option("--data <folder>", "evaluation data set", sharedPath("data", "mosd-test"))
    .option("--recipes <list>", "comma-separated recipes", defaults.recipes)
    .option("--methods <list>", "comma-separated methods", defaults.methods)
    .option("--images <n>", "calibration images", (v) => Number.parseInt(v, 10), 32)
    .option("--limit <n>", "evaluate only the first n frames", (v) => Number.parseInt(v, 10))
    .option("--seed <n>", "sampling seed", (v) => Number.parseInt(v, 10), 1)
    .option("--json", "print one JSON object")
    .action(async (modelPath: string, opts: CompareOptions) => {
      const split = (s: string) =>
        s
          .split(",")
          .map((x) => x.trim())
          .filter(Boolean);
      if (!split(opts.recipes).length || !split(opts.methods).length)
        throw new UserError("give at least one recipe and one method");
      const result = await compareMethods(modelPath, split(opts.recipes), split(opts.methods), opts);
      if (opts.json) printJson(result);
      else printRows(result);
    });
}

export function registerCompare(program: Command): void {
  register(
    program,
    "compare",
    "compile with several recipes and methods and score each on the integer golden executor",
    {
      recipes: "w4a8,w4a4",
      methods: "rtn,percentile,mse,gptq,quartdepth",
    },
  );
  register(
    program,
    "ablate",
    "QuartDepth ablation: RTN → +LogNP → +compensation → +second-order reconstruction",
    {
      recipes: "w4a4",
      methods: "rtn,lognp,lognp+comp,quartdepth",
    },
  );
}
