/**
 * The QuartDepth paper's accelerator table, reproduced on the performance model: Depth Anything-style
 * ViT-S and ViT-L + DPT at 256, 512 and 1024 input, FP32 / W4A8 / W4A4 on `asic28`, with and without
 * kernel fusion. Weights are random and grids synthetic (timing only: the program and its cycles are
 * those of the real model at that size).
 *
 *   npm run build && node dist/bench/paper-table.js [--models vits,vitl] [--sizes 256,512,1024] [--json]
 *     [--out rows.jsonl]
 *
 * FP32 runs the W8A8 program lowered for fp32View(asic28): the same tiles with 4-byte elements and
 * FP32 taps (compiler/isa/targets.ts).
 */
import { appendFileSync } from "node:fs";
import { buildVitDpt, type VitDptPreset, vitDptCost } from "../compiler/zoo/vit-dpt.js";
import { type ZooMode, zooPerf, zooQGraph, zooTarget } from "../compiler/zoo/zoo-perf.js";

type Mode = Exclude<ZooMode, "W8A8">;
const MODES: readonly Mode[] = ["FP32", "W4A8", "W4A4"];

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}

interface Row {
  model: string;
  input: number;
  mode: Mode;
  fused: boolean;
  cycles: number;
  fps: number;
  energy_uj: number;
  mac_utilization: number;
  ext_mb: number;
  gmacs: number;
}

const models = arg("--models", "vits,vitl").split(",") as VitDptPreset[];
// Rows are appended to this file as they are measured (JSON lines), so a long run keeps its results.
const outFile = process.argv.includes("--out") ? arg("--out", "") : undefined;
const sizes = arg("--sizes", "256,512,1024").split(",").map(Number);
const json = process.argv.includes("--json");
const rows: Row[] = [];

for (const preset of models) {
  for (const size of sizes) {
    const gmacs = vitDptCost(buildVitDpt(preset, { imageSize: size, weights: "zeros" })).total.macs / 1e9;
    for (const mode of MODES) {
      const qgraph = await zooQGraph(preset, size, mode);
      const target = zooTarget("asic28", mode);
      for (const fused of [false, true]) {
        const r = zooPerf(qgraph, target, fused);
        const row: Row = {
          model: preset,
          input: size,
          mode,
          fused,
          cycles: r.cycles,
          fps: r.fps,
          energy_uj: r.energy.total_uj,
          mac_utilization: r.mac_utilization,
          ext_mb: (r.bytes.actRead + r.bytes.actWrite + r.bytes.weights + r.bytes.tables) / 1e6,
          gmacs,
        };
        rows.push(row);
        if (outFile) appendFileSync(outFile, `${JSON.stringify(row)}\n`);
        process.stderr.write(
          `${preset}@${size} ${mode} ${fused ? "fused" : "unfused"}: ${r.fps.toFixed(2)} FPS, ${(r.energy.total_uj / 1000).toFixed(2)} mJ\n`,
        );
      }
    }
  }
}

if (json) {
  process.stdout.write(`${JSON.stringify(rows)}\n`);
} else {
  const find = (m: string, s: number, mode: Mode, fused: boolean) =>
    rows.find((r) => r.model === m && r.input === s && r.mode === mode && r.fused === fused)!;
  const lines = [
    "| model | input | G MAC | mode | FPS unfused | FPS fused | mJ/frame fused | speed-up vs FP32 (unfused / fused) | energy eff. vs FP32 (fused) |",
    "|---|---|---|---|---|---|---|---|---|",
  ];
  for (const m of models)
    for (const s of sizes)
      for (const mode of MODES) {
        const u = find(m, s, mode, false);
        const f = find(m, s, mode, true);
        const fu = find(m, s, "FP32", false);
        const ff = find(m, s, "FP32", true);
        lines.push(
          `| ${m} | ${s} | ${f.gmacs.toFixed(1)} | ${mode} | ${u.fps.toFixed(2)} | ${f.fps.toFixed(2)} | ${(f.energy_uj / 1000).toFixed(2)} | ` +
            `${(u.fps / fu.fps).toFixed(2)}× / ${(f.fps / ff.fps).toFixed(2)}× | ${(ff.energy_uj / f.energy_uj).toFixed(2)}× |`,
        );
      }
  process.stdout.write(`${lines.join("\n")}\n`);
}
