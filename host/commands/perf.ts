import type { Command } from "commander";
import { perfOfBlob } from "../../compiler/blob/perf.js";
import { readBlobFile } from "../../compiler/blob/reader.js";
import type { PerfReport } from "../../compiler/isa/perf.js";
import { TARGETS, type Target, targetByName } from "../../compiler/isa/targets.js";
import { VIT_DPT_PRESETS, type VitDptPreset } from "../../compiler/zoo/vit-dpt.js";
import { ZOO_MODES, type ZooMode, zooPerf, zooQGraph, zooTarget } from "../../compiler/zoo/zoo-perf.js";
import { formatTable, printJson, UserError } from "../app/output.js";

interface PerfOptions {
  target?: string;
  layers?: boolean;
  json?: boolean;
  zoo?: string;
  size?: string;
  mode?: string;
  fuse?: boolean;
}

/** A zoo model sized and lowered for the performance model (no blob, no calibration). */
async function zooReport(opts: PerfOptions): Promise<{ report: PerfReport; target: Target }> {
  const preset = opts.zoo as VitDptPreset;
  if (!VIT_DPT_PRESETS[preset])
    throw new UserError(
      `unknown zoo model "${opts.zoo}" (one of ${Object.keys(VIT_DPT_PRESETS).join(", ")})`,
    );
  const mode = (opts.mode ?? "W4A4").toUpperCase() as ZooMode;
  if (!ZOO_MODES.includes(mode))
    throw new UserError(`unknown mode "${opts.mode}" (one of ${ZOO_MODES.join(", ")})`);
  const size = Number(opts.size ?? 512);
  if (!Number.isInteger(size) || size < 16 || size % 16 !== 0)
    throw new UserError(`--size must be an image size in pixels, a multiple of the patch size 16`);
  const target = zooTarget(opts.target ?? "asic28", mode);
  return { report: zooPerf(await zooQGraph(preset, size, mode), target, opts.fuse !== false), target };
}

export function registerPerf(program: Command): void {
  program
    .command("perf [blob]")
    .description(
      "performance model of a compiled model (or of a zoo model with --zoo): cycles, MAC utilization, FPS, energy, per-layer breakdown",
    )
    .option(
      "--target <name>",
      `configuration to model (default: the blob's own, asic28 for --zoo): ${Object.keys(TARGETS).join(" | ")}`,
    )
    .option(
      "--zoo <model>",
      `a ViT + DPT zoo model instead of a blob: ${Object.keys(VIT_DPT_PRESETS).join(" | ")}`,
    )
    .option("--size <pixels>", "input size of the zoo model (multiple of 16, default 512)")
    .option("--mode <mode>", `precision of the zoo model: ${ZOO_MODES.join(" | ")} (default W4A4)`)
    .option("--no-fuse", "zoo model: lower without kernel fusion")
    .option("--layers", "print the per-layer table")
    .option("--json", "print one JSON object")
    .action(async (path: string | undefined, opts: PerfOptions) => {
      if (opts.target && !TARGETS[opts.target])
        throw new UserError(`unknown target "${opts.target}" (one of ${Object.keys(TARGETS).join(", ")})`);
      if (!path && !opts.zoo) throw new UserError("give a blob or --zoo <model>");
      let r: PerfReport;
      let target: Target;
      if (opts.zoo) ({ report: r, target } = await zooReport(opts));
      else {
        const blob = readBlobFile(path!);
        target = targetByName(opts.target ?? blob.target);
        r = perfOfBlob(blob, target);
      }
      if (opts.json) {
        printJson({ ...r, target: target.name });
        return;
      }
      if (opts.layers) {
        process.stdout.write(
          `${formatTable(
            r.layers.map((l) => [l.name, l.cycles, l.macs, l.mac_utilization]),
            ["layer", "cycles", "MACs", "MAC util"],
          )}\n`,
        );
      }
      process.stdout.write(
        `${target.name}: ${r.cycles} cycles/frame at ${(r.clockHz / 1e6).toFixed(0)} MHz = ${r.fps.toFixed(2)} FPS, ` +
          `${(r.macs / 1e9).toFixed(2)} G MAC, MAC utilization ${(100 * r.mac_utilization).toFixed(1)}% of ${r.peakMacsPerCycle} MAC/cycle, ` +
          `${(r.energy.total_uj / 1000).toFixed(3)} mJ/frame\n`,
      );
    });
}
