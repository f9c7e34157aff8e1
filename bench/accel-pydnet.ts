/**
 * PyDNet-mobile W4A4 lowered for the icebreaker target and run on the accelerator core RTL (Verilator),
 * one real frame: the output bit for bit against the instruction-level simulator and the integer
 * golden model, the MAC and DMA counters against the simulator's, cycles against the performance
 * model in total and per layer, the MAC utilization from the core's counters, and the Verilator rate.
 *
 *   npx tsc -p . && node dist/bench/accel-pydnet.js [--method rtn|quartdepth|…] [--images N] [--table]
 *
 * Lowered and timed for the memories the core harness models (harnessTarget: each segment on its own,
 * no arbiter; the SoC's shared PSRAM is the simulated device's test). About 173 M cycles: minutes of
 * Verilator. Prints JSON (with `--table`, the per-layer table as Markdown on stderr); exits non-zero
 * when an output differs.
 */
import { openDataset } from "../compiler/data/datasets.js";
import { imageToInput } from "../compiler/eval/preprocess.js";
import { ioOf } from "../compiler/eval/quantized-executors.js";
import { icebreaker } from "../compiler/isa/targets.js";
import { lowerQGraph } from "../compiler/lower/index.js";
import { missingShared, pydnetModelPath, sharedPath } from "../compiler/paths.js";
import { quantizeInput, runGolden } from "../compiler/ptq/golden.js";
import { compileModel } from "../host/commands/compile.js";
import { harnessTarget } from "../sim/rtl/accel.js";
import { runModelOnAccel } from "../sim/rtl/accel-model.js";

/** The icebreaker configuration as the core harness times it: its own memory per segment, no arbiter. */
const target = harnessTarget(icebreaker);

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1]! : fallback;
}

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
const lowered = lowerQGraph(compiled.qgraph, target, { ignoreArenaLimit: true });
const dataset = openDataset(test);
const codes = quantizeInput(imageToInput(dataset.loadRgb(dataset.samples[0]!), io.w, io.h), io.inV);
const gold = await runGolden(compiled.qgraph, codes);
const r = await runModelOnAccel(lowered, target, codes);
const goldenIdentical = r.codes.length === gold.codes.length && r.codes.every((v, i) => v === gold.codes[i]);
const ratios = r.layers.map((l) => l.ratio);
const worst = r.layers.reduce((a, l) => (Math.abs(l.ratio - 1) > Math.abs(a.ratio - 1) ? l : a));
const round = (x: number, d = 4) => Number(x.toFixed(d));

if (process.argv.includes("--table")) {
  const lines = [
    "| layer | op | M MAC | RTL cycles | model cycles | RTL / model | MAC utilization (RTL) |",
    "|---|---|---|---|---|---|---|",
    ...r.layers.map(
      (l) =>
        `| ${l.name} | ${l.op} | ${(l.macs / 1e6).toFixed(1)} | ${l.rtl} | ${l.model} | ${l.ratio.toFixed(4)} | ${(100 * l.rtlUtilization).toFixed(1)} % |`,
    ),
  ];
  process.stderr.write(`${lines.join("\n")}\n`);
}
process.stdout.write(
  `${JSON.stringify(
    {
      model: compiled.graph.name,
      input: lowered.input.shape,
      target: target.name,
      recipe: "w4a4",
      method,
      act_bytes: lowered.actBytes,
      output_identical_to_simulator: r.outputIdentical,
      arena_identical_to_simulator: r.firstArenaDiff === -1,
      output_identical_to_golden: goldenIdentical,
      macs: { rtl: r.counters.macs, simulator: r.simMacs },
      dma_bytes: { rtl: r.rtlDmaBytes, simulator: r.simDmaBytes },
      cycles: { rtl: r.rtlCycles, model: r.modelCycles, ratio: round(r.rtlCycles / r.modelCycles) },
      layers: {
        count: r.layers.length,
        min_ratio: round(Math.min(...ratios)),
        max_ratio: round(Math.max(...ratios)),
        worst: { name: worst.name, ratio: round(worst.ratio) },
      },
      mac_utilization: {
        rtl_counters: round(r.utilization),
        rtl_counters_conv_layers: round(r.convUtilization),
        model: round(r.modelUtilization),
      },
      verilator: {
        cycles_per_s_wall: r.cyclesPerSecond,
        cycles_per_s_cpu: r.cyclesPerCpuSecond,
        wall_seconds: round(r.wallSeconds, 1),
      },
    },
    null,
    2,
  )}\n`,
);
if (!r.outputIdentical || !goldenIdentical || r.firstArenaDiff !== -1) process.exit(1);
