/**
 * The simulated device: builds the Verilator model of the SoC (sim/verilator/main.cpp around
 * fpga/rtl/soc/soc_top.v) and starts it with its UART on a pseudo-terminal.
 *
 * Builds are cached in build/sim/<hash>/ keyed by every input (RTL, harness, flags, Verilator version),
 * so a second buildSim() with unchanged sources returns at once.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import {
  ACCEL_INCLUDE_DIRS,
  RTL_INCLUDE_DIRS,
  SOC_ACCEL_SOURCES,
  SOC_FLASH_MODEL_SOURCES,
  SOC_FLASH_SOURCES,
  SOC_SOURCES,
  SOC_XMEM_PINS_SOURCES,
} from "../../fpga/build/sources.js";
import { SOC_CLOCK_HZ } from "../../fpga/soc/map.js";
import { ICE40_SIM_DEFINES, ice40SimLib, libWaiverArgs } from "../rtl/iverilog.js";
import { buildFirmware } from "./firmware.js";
import { fromRoot } from "./paths.js";
import { hashInputs, run } from "./tools.js";

export const SIM_TOOLS = ["verilator", "make", "g++"];
export const SIM_TOP = "soc_top";
const HARNESS = ["sim/verilator/main.cpp"];
const MODELS = ["fpga/rtl/soc/sim/SB_SPRAM256KA.v"];

export interface BuildSimOptions {
  /** Build with VCD tracing support (`--trace <file>` at run time). */
  readonly trace?: boolean;
  /**
   * External memory through the board's QSPI controller and a pin-level PSRAM (SOC_XMEM_PINS) instead of
   * the timed PSRAM model: slower (SCLK = clk / 2), checks the controller under real traffic.
   */
  readonly xmemPins?: boolean;
  readonly log?: (line: string) => void;
}

/** Builds (or reuses) the simulator binary; returns its path. */
export async function buildSim(opts: BuildSimOptions = {}): Promise<string> {
  const log = opts.log ?? (() => {});
  // The SoC with the accelerator core and the external-memory model (SOC_ACCEL).
  const pins = opts.xmemPins ? SOC_XMEM_PINS_SOURCES : [];
  // The DSP rows of the array are simulated with yosys's own SB_MAC16 model when it is installed.
  const dspLib = ice40SimLib();
  const sources = [
    ...[
      ...SOC_SOURCES,
      ...SOC_ACCEL_SOURCES,
      ...SOC_FLASH_SOURCES,
      ...SOC_FLASH_MODEL_SOURCES,
      ...pins,
      ...MODELS,
    ].map((f) => fromRoot(f)),
    ...(dspLib ? [fromRoot("fpga/rtl/accel/quart_mac2_dsp.v"), dspLib] : []),
  ];
  const defines = [
    "SOC_ACCEL",
    // the core's clock stops while it is idle (fpga/rtl/soc/soc_accel.v): uploads simulate faster
    "SOC_ACCEL_IDLE_GATE",
    // the QSPI flash controller with the pin-level flash model (--flash keeps its contents in a file)
    "SOC_FLASH",
    "SOC_FLASH_MODEL",
    ...(opts.xmemPins ? ["SOC_XMEM_PINS"] : []),
    ...(dspLib ? ["SOC_ACCEL_DSP", ...ICE40_SIM_DEFINES] : []),
  ];
  const includeDirs = [...RTL_INCLUDE_DIRS, ...ACCEL_INCLUDE_DIRS];
  const headers = [fromRoot("fpga/rtl/soc/soc_map.vh"), fromRoot("fpga/rtl/accel/isa_defs.vh")];
  const harness = HARNESS.map((f) => fromRoot(f));
  const { stdout: version } = await run("verilator", ["--version"]);
  const cflags = [`-O3`, `-DQUART_CLOCK_HZ=${SOC_CLOCK_HZ}`, ...(opts.trace ? ["-DQUART_TRACE"] : [])];
  const key = hashInputs([...sources, ...headers, ...harness], [version, ...cflags, ...defines]).slice(0, 16);
  const dir = fromRoot("build/sim", `${key}${opts.trace ? "-trace" : ""}${opts.xmemPins ? "-pins" : ""}`);
  const binary = join(dir, `V${SIM_TOP}`);
  if (existsSync(binary)) return binary;

  const work = `${dir}.tmp-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  log(`verilator: building ${SIM_TOP} into ${dir}`);
  // -Wall covers our sources; the vendor cell library gets a waiver of its own. Its SB_SPRAM256KA
  // duplicates our SPRAM model, which comes first in the sources and is the one kept.
  const libArgs = dspLib ? ["-Wno-MODDUP", ...libWaiverArgs(work, [dspLib])] : [];
  await run(
    "verilator",
    [
      "--cc",
      "--exe",
      "--build",
      "-j",
      "2",
      "-Wall",
      "--top-module",
      SIM_TOP,
      "-Mdir",
      work,
      ...defines.map((d) => `-D${d}`),
      ...includeDirs.map((d) => `-I${fromRoot(d)}`),
      "-MAKEFLAGS",
      "OPT_FAST=-O3 OPT_SLOW=-O3 OPT_GLOBAL=-O3",
      "-CFLAGS",
      cflags.join(" "),
      "-LDFLAGS",
      "-lutil",
      ...(opts.trace ? ["--trace"] : []),
      ...libArgs,
      ...sources,
      ...harness,
    ],
    { cwd: work },
  );
  // Atomic publish: a concurrent build of the same inputs may have won; either result is fine.
  try {
    renameSync(work, dir);
  } catch {
    rmSync(work, { recursive: true, force: true });
  }
  if (!existsSync(binary)) throw new Error(`verilator build produced no ${binary}`);
  return binary;
}

export interface SimFaults {
  /** Probability of dropping a byte. */
  readonly drop?: number;
  /** Probability of flipping one bit of a byte. */
  readonly flip?: number;
  readonly seed?: number;
  /** rx: host -> device (default), tx: device -> host, both. */
  readonly direction?: "rx" | "tx" | "both";
}

export interface StartSimOptions {
  /** See BuildSimOptions.xmemPins. */
  readonly xmemPins?: boolean;
  /** ROM image (hex words); default: the firmware built from firmware/ (make). */
  readonly firmwareHex?: string;
  /**
   * Bytes written into RAM from its base before reset (`--ram-image`): the app image that the boot ROM
   * loader (firmware `make boot`) verifies and starts. On the board the loader will read it from SPI flash.
   */
  readonly ramImage?: string;
  /** UART line rate after reset; default: the SoC reset divisor (UART_RESET_BAUD). */
  readonly baud?: number;
  /**
   * File holding the QSPI flash's contents (`--flash`): read at start if it exists (else the flash is
   * erased), written back when the simulator stops, so the next one boots with the model stored there.
   */
  readonly flashFile?: string;
  /** Write a VCD waveform (builds the tracing variant of the simulator). */
  readonly traceFile?: string;
  /** Write the cycles spent at each CPU program counter on exit (`--pc-profile`, sim/device/pc-profile.ts). */
  readonly pcProfileFile?: string;
  readonly faults?: SimFaults;
  /** Stop after this many cycles (default: run until stopped). */
  readonly maxCycles?: number;
  readonly exitOnHalt?: boolean;
  /**
   * Model the host port's rate: while the rate set on the pty differs from the device's UART rate,
   * bytes arrive as garbage both ways (`--check-host-baud`). Clients that open the pty at another
   * rate than the device's (raw tests at a fixed 115200) leave it off.
   */
  readonly checkHostBaud?: boolean;
  /**
   * Start the clock only after a client opened the pty, plus this many ms (default: start at once and
   * keep the device's output in the pty until someone reads it). Use it to see the boot banner through
   * `serialport`, whose open flushes pending input.
   */
  readonly waitClientMs?: number;
  /** Called with every line the simulator prints (stdout and stderr). */
  readonly onLine?: (line: string) => void;
  readonly log?: (line: string) => void;
}

export interface SimStats {
  readonly cycles: number;
  readonly seconds: number;
  readonly cycles_per_second: number;
  readonly retired: number;
  readonly rx_bytes: number;
  readonly tx_bytes: number;
  readonly dropped: number;
  readonly flipped: number;
  readonly frame_errors: number;
  readonly tx_overflow: number;
  /** Bytes garbled while host and device rates differed (checkHostBaud). */
  readonly garbled: number;
}

export interface SimHalt {
  readonly cause: number;
  readonly pc: number;
  readonly cycle: number;
}

/** A point in simulated time (QUART_SIM_MARK), for rates measured in SoC cycles rather than wall time. */
export interface SimMark {
  readonly cycle: number;
  /** Bytes that started on the device's RX line / left its TX line so far. */
  readonly line_rx: number;
  readonly line_tx: number;
  /** UART divisor (SoC cycles per bit) at that moment. */
  readonly div: number;
}

export interface SimDevice {
  readonly ptyPath: string;
  readonly process: ChildProcess;
  /** Set when the CPU halted (QUART_SIM_HALT). */
  readonly halts: SimHalt[];
  /** Resolves with the exit code when the simulator ends by itself (sim exit, max cycles, halt). */
  readonly exited: Promise<number | null>;
  /**
   * The simulator's cycle counter and line byte counts now (SIGUSR1; answered within one 2048-cycle
   * slice). Wall-clock jitter of the signal shifts the mark by a few thousand cycles at most.
   */
  mark(): Promise<SimMark>;
  /** Stops the simulator (SIGTERM) and returns its final statistics. */
  stop(): Promise<SimStats | undefined>;
}

function parseKv(line: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of line.matchAll(/(\w+)=(0x[0-9a-f]+|[0-9.]+)/g)) out[m[1]!] = Number(m[2]);
  return out;
}

/** Starts the simulator; resolves once its pty is open. */
export async function startSim(opts: StartSimOptions = {}): Promise<SimDevice> {
  const binary = await buildSim({
    trace: opts.traceFile !== undefined,
    xmemPins: opts.xmemPins,
    log: opts.log,
  });
  const firmware = opts.firmwareHex ?? (await buildFirmware()).hex;
  const args = ["--firmware", firmware];
  if (opts.ramImage !== undefined) args.push("--ram-image", opts.ramImage);
  if (opts.baud !== undefined) args.push("--baud", `${opts.baud}`);
  if (opts.flashFile !== undefined) args.push("--flash", opts.flashFile);
  if (opts.traceFile !== undefined) args.push("--trace", opts.traceFile);
  if (opts.pcProfileFile !== undefined) args.push("--pc-profile", opts.pcProfileFile);
  if (opts.maxCycles !== undefined) args.push("--max-cycles", `${opts.maxCycles}`);
  if (opts.exitOnHalt) args.push("--exit-on-halt");
  if (opts.checkHostBaud) args.push("--check-host-baud");
  if (opts.waitClientMs !== undefined) args.push("--wait-client", `${opts.waitClientMs}`);
  const f = opts.faults;
  if (f) {
    if (f.drop !== undefined) args.push("--fault-drop", `${f.drop}`);
    if (f.flip !== undefined) args.push("--fault-flip", `${f.flip}`);
    if (f.seed !== undefined) args.push("--fault-seed", `${f.seed}`);
    if (f.direction !== undefined) args.push("--fault-dir", f.direction);
  }
  const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
  const halts: SimHalt[] = [];
  const markWaiters: ((m: SimMark) => void)[] = [];
  let stats: SimStats | undefined;
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));

  const ptyPath = await new Promise<string>((resolve, reject) => {
    const onLine = (line: string): void => {
      opts.onLine?.(line);
      if (line.startsWith("QUART_SIM_PTY ")) resolve(line.slice("QUART_SIM_PTY ".length).trim());
      else if (line.startsWith("QUART_SIM_HALT ")) {
        const kv = parseKv(line);
        halts.push({ cause: kv.cause ?? 0, pc: kv.pc ?? 0, cycle: kv.cycle ?? 0 });
      } else if (line.startsWith("QUART_SIM_STATS ")) stats = parseKv(line) as unknown as SimStats;
      else if (line.startsWith("QUART_SIM_MARK ")) {
        const kv = parseKv(line);
        const m: SimMark = {
          cycle: kv.cycle ?? 0,
          line_rx: kv.line_rx ?? 0,
          line_tx: kv.line_tx ?? 0,
          div: kv.div ?? 0,
        };
        for (const w of markWaiters.splice(0)) w(m);
      }
    };
    createInterface({ input: child.stdout! }).on("line", onLine);
    createInterface({ input: child.stderr! }).on("line", (l) => opts.onLine?.(l));
    child.on("error", reject);
    exited.then((code) => reject(new Error(`simulator exited (${code}) before opening its pty`)));
  });

  return {
    ptyPath,
    process: child,
    halts,
    exited,
    mark(): Promise<SimMark> {
      return new Promise<SimMark>((resolve, reject) => {
        if (child.exitCode !== null || child.signalCode !== null) {
          reject(new Error("simulator not running"));
          return;
        }
        markWaiters.push(resolve);
        if (markWaiters.length === 1) child.kill("SIGUSR1");
      });
    },
    async stop(): Promise<SimStats | undefined> {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
      // stdout may still be draining the last lines
      await new Promise((r) => setImmediate(r));
      return stats;
    },
  };
}
