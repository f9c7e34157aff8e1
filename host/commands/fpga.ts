import type { Command } from "commander";
import { buildIce40 } from "../../fpga/build/ice40.js";
import { printJson, UserError } from "../app/output.js";

export function registerFpga(program: Command): void {
  const fpga = program.command("fpga").description("FPGA builds");
  fpga
    .command("build")
    .description(
      "synthesize, place and route the SoC and pack the bitstream (yosys → nextpnr-ice40 → icepack)",
    )
    .option("--board <board>", "target board", "icebreaker")
    .option("--seed <n>", "nextpnr placement seed", (v) => Number.parseInt(v, 10))
    .option("--freq <mhz>", "clock constraint in MHz", (v) => Number.parseFloat(v))
    .option("--force", "rebuild even if the inputs are unchanged")
    .option("--json", "print one JSON object")
    .action(
      async (opts: { board: string; seed?: number; freq?: number; force?: boolean; json?: boolean }) => {
        if (opts.board !== "icebreaker")
          throw new UserError(`unknown board "${opts.board}" (supported: icebreaker)`);
        const r = await buildIce40({
          ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
          ...(opts.freq !== undefined ? { freqMhz: opts.freq } : {}),
          ...(opts.force ? { force: true } : {}),
        });
        if (opts.json) printJson(r);
        else {
          process.stdout.write(
            `${r.lut4}/${r.lut4_total} LUT4, ${r.dsp} DSP, ${r.ebr} EBR, ${r.spram} SPRAM, Fmax ${r.fmax_mhz.toFixed(2)} MHz ` +
              `(${r.timing_met ? "meets" : "misses"} the clock), bitstream ${r.bitstream}\n`,
          );
        }
        if (!r.timing_met) process.exitCode = 2;
      },
    );
}
