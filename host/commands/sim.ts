/**
 * `quart sim`: the simulated SoC as a long-lived device. It builds the Verilator model and firmware
 * (cached), boots them, prints the pty and keeps the SoC running until Ctrl-C/SIGTERM. While it runs,
 * `--sim` in every other command attaches to this SoC (host/device/sim-state.ts), so a model flashed by
 * one command stays active for the next, as on a board.
 */
import { existsSync } from "node:fs";
import type { Command } from "commander";
import { buildBootImages } from "../../sim/device/firmware.js";
import { profileByFunction } from "../../sim/device/pc-profile.js";
import { type SimFaults, startSim } from "../../sim/device/sim-device.js";
import { UserError } from "../app/output.js";
import { DEFAULT_BAUD } from "../device/device.js";
import { SIM_SPEED_FACTOR, sampleSimSpeed } from "../device/sim.js";
import {
  pauseSim,
  readSimState,
  removeSimState,
  resumeSim,
  SIM_STATE_VERSION,
  type SimState,
  simPaused,
  simStatePath,
  writeSimState,
} from "../device/sim-state.js";
import { startTcpBridge, type TcpBridge } from "../device/tcp.js";

interface SimOptions {
  baud: string;
  dropRate?: string;
  flipRate?: string;
  faultDir: string;
  faultSeed?: string;
  xmemPins?: boolean;
  flash?: string;
  tcp?: string;
  pcProfile?: string;
  json?: boolean;
  verbose?: boolean;
}

/** Speed changes smaller than this fraction do not rewrite the record. */
const SPEED_REWRITE = 0.2;

function probability(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const p = Number(text);
  if (!(p >= 0 && p < 1)) throw new UserError(`${flag} must be a probability in [0, 1), got "${text}"`);
  return p;
}

function parseOptions(opts: SimOptions): { baud: number; faults: SimFaults | undefined } {
  const baud = Number(opts.baud);
  if (!(Number.isInteger(baud) && baud >= 1200 && baud <= 12_000_000))
    throw new UserError(`--baud must be an integer rate in bit/s, got "${opts.baud}"`);
  const drop = probability(opts.dropRate, "--drop-rate");
  const flip = probability(opts.flipRate, "--flip-rate");
  if (!["rx", "tx", "both"].includes(opts.faultDir))
    throw new UserError(`--fault-dir must be rx, tx or both, got "${opts.faultDir}"`);
  const seed = opts.faultSeed === undefined ? undefined : Number(opts.faultSeed);
  if (seed !== undefined && !(Number.isInteger(seed) && seed >= 0))
    throw new UserError(`--fault-seed must be a non-negative integer, got "${opts.faultSeed}"`);
  const faults =
    drop || flip
      ? {
          drop: drop ?? 0,
          flip: flip ?? 0,
          direction: opts.faultDir as "rx" | "tx" | "both",
          ...(seed !== undefined ? { seed } : {}),
        }
      : undefined;
  return { baud, faults };
}

export function registerSim(program: Command): void {
  program
    .command("sim")
    .description(
      "start the simulated SoC and keep it running: prints its pty; --sim in other commands attaches to it (the model stays active between commands); Ctrl-C stops it",
    )
    .option("--baud <n>", "UART rate after reset", String(DEFAULT_BAUD))
    .option("--drop-rate <p>", "drop each byte on the line with probability p")
    .option("--flip-rate <p>", "flip one bit of each byte on the line with probability p")
    .option("--fault-dir <dir>", "direction of the faults: rx (host to device), tx or both", "both")
    .option("--fault-seed <n>", "seed of the fault injection")
    .option(
      "--xmem-pins",
      "external memory through the board's QSPI controller and a pin-level PSRAM (slower)",
    )
    .option(
      "--tcp <port>",
      "also serve the UART on this TCP port of 127.0.0.1 (one client at a time; 0: any free port)",
    )
    .option(
      "--flash <file>",
      "keep the SoC's QSPI flash in this file: the model stored there is active at boot, and what LOAD stores is written back on exit",
    )
    .option(
      "--pc-profile <file>",
      "firmware profile: write the cycles spent at each CPU program counter to this file on exit and print the busiest functions",
    )
    .option("--verbose", "copy the simulator's own lines to stderr")
    .option("--json", "print one JSON object (one line) once the SoC runs")
    .action(async (opts: SimOptions) => {
      const { baud, faults } = parseOptions(opts);
      const tcpPort = opts.tcp === undefined ? undefined : Number(opts.tcp);
      if (tcpPort !== undefined && !(Number.isInteger(tcpPort) && tcpPort >= 0 && tcpPort < 65536))
        throw new UserError(`--tcp must be a TCP port number, got "${opts.tcp}"`);
      const running = readSimState();
      if (running)
        throw new UserError(
          `quart sim is already running (pid ${running.pid}) on ${running.pty}; stop it first (Ctrl-C or kill ${running.pid})`,
        );
      process.stderr.write(
        "quart sim: building the firmware and the simulated SoC (cached after the first build)\n",
      );
      const images = await buildBootImages();
      let state: SimState | undefined;
      let bridge: TcpBridge | undefined;
      const update = (change: Partial<SimState>) => {
        if (!state) return;
        state = { ...state, ...change };
        writeSimState(state);
      };
      const sim = await startSim({
        xmemPins: opts.xmemPins,
        flashFile: opts.flash,
        pcProfileFile: opts.pcProfile,
        firmwareHex: images.loaderHex,
        ramImage: images.appImage,
        baud,
        checkHostBaud: true,
        faults,
        onLine: (line) => {
          if (opts.verbose) process.stderr.write(`sim: ${line}\n`);
          // The firmware switched its UART (SET_BAUD from a client): the next client must open at it.
          if (line.startsWith("QUART_SIM_BAUD ")) {
            const m = /\bbaud=(\d+)/.exec(line);
            if (m && Number(m[1]) > 0) {
              update({ baud: Number(m[1]) });
              void bridge?.setBaud(Number(m[1]));
            }
          } else if (line.startsWith("QUART_SIM_HALT "))
            process.stderr.write(`quart sim: the CPU halted: ${line}\n`);
        },
        log: (line) => process.stderr.write(`quart sim: ${line}\n`),
      });
      // From here on a signal ends the wait below rather than the process, so the cleanup always runs.
      let signalled: NodeJS.Signals | undefined;
      const stopped = new Promise<void>((resolve) => {
        const on = (sig: NodeJS.Signals) => {
          signalled = sig;
          resolve();
        };
        process.once("SIGINT", on);
        process.once("SIGTERM", on);
        void sim.exited.then(() => resolve());
      });
      state = {
        version: SIM_STATE_VERSION,
        pid: process.pid,
        simPid: sim.process.pid ?? 0,
        pty: sim.ptyPath,
        baud,
        speed: SIM_SPEED_FACTOR,
        xmemPins: Boolean(opts.xmemPins),
        faults: faults
          ? {
              drop: faults.drop ?? 0,
              flip: faults.flip ?? 0,
              direction: faults.direction ?? "both",
              seed: faults.seed ?? null,
            }
          : null,
        tcp: null,
        started: new Date().toISOString(),
      };
      // Whatever ends this process, the record must not outlive it, nor the simulator.
      const onExit = () => {
        removeSimState();
        sim.process.kill("SIGTERM");
        if (sim.process.pid) resumeSim(sim.process.pid);
      };
      process.once("exit", onExit);
      writeSimState(state);
      const simPid = state.simPid;
      if (tcpPort !== undefined) {
        try {
          bridge = await startTcpBridge({
            port: tcpPort,
            pty: sim.ptyPath,
            baud: () => state!.baud,
            onAttach: () => resumeSim(simPid),
            onDetach: () => pauseSim(simPid),
            ...(opts.verbose ? { log: (l: string) => process.stderr.write(`quart sim: ${l}\n`) } : {}),
          });
        } catch (e) {
          removeSimState();
          await sim.stop();
          throw e;
        }
        update({ tcp: bridge.port });
      }
      // Paused until the first command attaches (it boots then, as a fresh sim does). The stop takes
      // effect when the kernel next schedules the simulator: wait for it, so "ready" means idle.
      pauseSim(simPid);
      for (let i = 0; i < 100 && !simPaused(simPid); i++) await new Promise((r) => setTimeout(r, 10));
      const stopSampling = sampleSimSpeed(
        sim,
        (speed) => {
          if (state && Math.abs(speed - state.speed) > SPEED_REWRITE * state.speed) update({ speed });
        },
        1000,
        () => !simPaused(simPid),
      );

      if (opts.json)
        process.stdout.write(
          `${JSON.stringify({
            port: sim.ptyPath,
            baud,
            pid: process.pid,
            sim_pid: state.simPid,
            state_file: simStatePath(),
            xmem_pins: state.xmemPins,
            faults: state.faults,
            tcp: state.tcp,
          })}\n`,
        );
      else
        process.stdout.write(
          `${sim.ptyPath}\n` +
            `quart sim: SoC at ${baud} baud (pid ${process.pid}), its clock running while a command is attached; --sim in other commands attaches to it, Ctrl-C stops it\n`,
        );

      await stopped;
      stopSampling();
      await bridge?.close();
      // A stopped process keeps its SIGTERM pending: let it run to take it.
      resumeSim(simPid);
      // A terminal's Ctrl-C reaches the simulator too; it then stops by itself, with code 0.
      const exitedBySelf = signalled === undefined;
      const stats = await sim.stop();
      const code = await sim.exited;
      removeSimState();
      process.off("exit", onExit);
      if (stats)
        process.stderr.write(
          `quart sim: stopped after ${stats.cycles} cycles, ${stats.rx_bytes} bytes in, ${stats.tx_bytes} out\n`,
        );
      if (opts.pcProfile && existsSync(opts.pcProfile)) {
        const fns = await profileByFunction(opts.pcProfile, [images.loaderElf, images.appElf]);
        const total = fns.reduce((a, f) => a + f.cycles, 0);
        process.stderr.write(`quart sim: firmware profile in ${opts.pcProfile}; the busiest functions:\n`);
        for (const f of fns.slice(0, 12))
          process.stderr.write(
            `  ${f.name.padEnd(28)} ${String(f.cycles).padStart(12)} cycles  ${((100 * f.cycles) / total).toFixed(1).padStart(5)} %\n`,
          );
      }
      if (exitedBySelf && code !== 0) throw new Error(`the simulator exited by itself (code ${code})`);
    });
}
