import type { Command } from "commander";
import { perfOfBlob } from "../../compiler/blob/perf.js";
import { readBlobFile } from "../../compiler/blob/reader.js";
import { TARGETS, targetByName } from "../../compiler/isa/targets.js";
import { formatTable, printJson, UserError } from "../app/output.js";

export function registerPerf(program: Command): void {
  program
    .command("perf <blob>")
    .description("performance model of a compiled model: cycles, MAC utilization, FPS, per-layer breakdown")
    .option(
      "--target <name>",
      `configuration to model (default: the blob's own): ${Object.keys(TARGETS).join(" | ")}`,
    )
    .option("--layers", "print the per-layer table")
    .option("--json", "print one JSON object")
    .action((path: string, opts: { target?: string; layers?: boolean; json?: boolean }) => {
      if (opts.target && !TARGETS[opts.target])
        throw new UserError(`unknown target "${opts.target}" (one of ${Object.keys(TARGETS).join(", ")})`);
      const blob = readBlobFile(path);
      const target = targetByName(opts.target ?? blob.target);
      const r = perfOfBlob(blob, target);
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
