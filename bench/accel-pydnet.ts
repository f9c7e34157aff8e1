/**
 * PyDNet-mobile W4A4 lowered for the icebreaker target and run on the accelerator core RTL (Verilator),
 * one real frame: the output bit for bit against the instruction-level simulator and the integer
 * golden model, the MAC and DMA counters against the simulator's, cycles against the performance
 * model in total and per layer, the MAC utilization from the core's counters, and the Verilator rate.
 *
 *   npx tsc -p . && node dist/bench/accel-pydnet.js [--method rtn|quartdepth|…] [--images N] [--table]
 *                                                  [--memory harness|soc]
 *
 * Lowered and timed for the memories the core harness models: by default harnessTarget (each segment
 * on its own memory, no arbiter; about 173 M cycles, minutes of Verilator); with `--memory soc`, the
 * icebreaker target as the SoC has it (one PSRAM for the program and every segment, round-robin
 * arbiter). Prints JSON (with `--table`, the per-layer table as Markdown on stderr); exits non-zero
 * when an output differs.
 */
import { icebreaker } from "../compiler/isa/targets.js";
import { lowerQGraph } from "../compiler/lower/index.js";
import { runGolden } from "../compiler/ptq/golden.js";
import { harnessTarget } from "../sim/rtl/accel.js";
import { runModelOnAccel } from "../sim/rtl/accel-model.js";
import { benchPydnet, option } from "./pydnet-input.js";

const memory = option("memory", "harness");
if (memory !== "harness" && memory !== "soc") throw new Error(`--memory ${memory}: harness or soc`);
const target = memory === "soc" ? icebreaker : harnessTarget(icebreaker);

const pyd = await benchPydnet();
const lowered = lowerQGraph(pyd.qgraph, target, { ignoreArenaLimit: true });
const codes = pyd.codes(0);
const gold = await runGolden(pyd.qgraph, codes);
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
      model: pyd.qgraph.name,
      input: lowered.input.shape,
      target: target.name,
      memory,
      recipe: "w4a4",
      method: pyd.method,
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
