#!/usr/bin/env node
/** The `quart` command line. Each command lives in host/commands; errors end as one line on stderr. */
import { Command } from "commander";
import { registerBench } from "./commands/bench.js";
import { registerCompare } from "./commands/compare.js";
import { registerCompile } from "./commands/compile.js";
import { registerDemo } from "./commands/demo.js";
import { registerDevice, registerDevices, registerRun } from "./commands/device.js";
import { registerEval } from "./commands/eval.js";
import { registerFpga } from "./commands/fpga.js";
import { registerInfer } from "./commands/infer.js";
import { registerInspect } from "./commands/inspect.js";
import { registerLive } from "./commands/live.js";
import { registerMesh } from "./commands/mesh.js";
import { registerPerf } from "./commands/perf.js";
import { registerSim } from "./commands/sim.js";

const program = new Command();
program.name("quart").description("4-bit monocular depth: compile, simulate, flash, run").version("0.1.0");
registerInspect(program);
registerEval(program);
registerCompile(program);
registerCompare(program);
registerPerf(program);
registerFpga(program);
registerInfer(program);
registerDemo(program);
registerMesh(program);
registerLive(program);
registerDevice(program);
registerDevices(program);
registerRun(program);
registerBench(program);
registerSim(program);

program.parseAsync(process.argv).catch((e: unknown) => {
  const err = e as Error;
  process.stderr.write(`quart: ${err.message}\n`);
  if (process.env.QUART_DEBUG) process.stderr.write(`${err.stack}\n`);
  process.exitCode = 1;
});
