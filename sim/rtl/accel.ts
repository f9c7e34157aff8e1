/**
 * The accelerator core (fpga/rtl/accel/quart_accel.v) under Verilator: builds the top-level harness
 * (sim/verilator/accel_main.cpp, cached under build/rtl/accel-<hash>/) and runs a program image on it
 * with the external memories timed as a target describes them. Returns the ACT segment after FINISH
 * and the core's counter registers.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeProgram } from "../../compiler/isa/encode.js";
import { INSTR_BYTES } from "../../compiler/isa/spec.js";
import type { SegmentName, Target } from "../../compiler/isa/targets.js";
import { ACCEL_CORE_SOURCES } from "../../fpga/build/sources.js";
import { fromRoot } from "../device/paths.js";
import { hashInputs, run } from "../device/tools.js";
import type { MachineImage } from "../isa/machine.js";
import { ICE40_SIM_DEFINES, ice40SimLib } from "./iverilog.js";

export const ACCEL_SIM_TOOLS = ["verilator", "make", "g++"];
const HARNESS = "sim/verilator/accel_main.cpp";
const TOP = "quart_accel";

export interface AccelParams {
  readonly ROWS?: number;
  readonly COLS?: number;
  readonly N_DSP?: number;
  /** TBL buffer address bits (default 11: the icebreaker's 2 KiB). */
  readonly TBL_AW?: number;
  /** 0: the core without its NORM / SMAX units (they raise error 9). */
  readonly HAS_TRANSFORMER?: number;
}

/** Builds (or reuses) the harness binary for one parameter set; returns its path. */
export async function buildAccelSim(params: AccelParams = {}): Promise<string> {
  // The icebreaker configuration by default: array rows 0-1 in the 8 DSPs (quart_mac2_dsp and
  // yosys's SB_MAC16 simulation model), which W8 taps need. N_DSP = 0: the all-LUT array, W4 only.
  params = { N_DSP: params.COLS ?? 8, ...params };
  const dsp = (params.N_DSP ?? 0) > 0;
  const lib = dsp ? ice40SimLib() : undefined;
  if (dsp && !lib) throw new Error("N_DSP > 0 needs the yosys iCE40 cell library (cells_sim.v)");
  const sources = [
    ...ACCEL_CORE_SOURCES.map((f) => fromRoot(f)),
    ...(dsp ? [fromRoot("fpga/rtl/accel/quart_mac2_dsp.v"), lib!] : []),
  ];
  const include = fromRoot("fpga/rtl/accel");
  const gparams = Object.entries(params).map(([k, v]) => `-G${k}=${v}`);
  const { stdout: version } = await run("verilator", ["--version"]);
  const key = hashInputs(
    [...sources, join(include, "isa_defs.vh"), fromRoot(HARNESS)],
    [version, ...gparams],
  ).slice(0, 16);
  const dir = fromRoot("build", "rtl", `accel-${key}`);
  const binary = join(dir, `V${TOP}`);
  if (existsSync(binary)) return binary;
  const work = `${dir}.tmp-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  await run(
    "verilator",
    [
      "--cc",
      "--exe",
      "--build",
      "-j",
      "2",
      "-Wno-fatal",
      "-Wno-lint",
      "-Wno-style",
      "--top-module",
      TOP,
      "-Mdir",
      work,
      `-I${include}`,
      ...gparams,
      ...(dsp ? ["--timescale", "1ps/1ps", ...ICE40_SIM_DEFINES.map((d) => `-D${d}`)] : []),
      "-MAKEFLAGS",
      "OPT_FAST=-O3 OPT_SLOW=-O1 OPT_GLOBAL=-O2",
      ...sources,
      fromRoot(HARNESS),
    ],
    { cwd: work },
  );
  try {
    renameSync(work, dir);
  } catch {
    rmSync(work, { recursive: true, force: true });
  }
  if (!existsSync(binary)) throw new Error(`verilator build produced no ${binary}`);
  return binary;
}

export interface AccelCounters {
  status: number;
  cycles: number;
  load_busy: number;
  load_stall: number;
  compute_busy: number;
  compute_stall: number;
  store_busy: number;
  store_stall: number;
  macs: number;
  load_bytes: number;
  loadt_bytes: number;
  store_bytes: number;
  dispatched: number;
  prog_words: number;
  vec_outputs: number;
  tap_cycles: number;
  tokens: number;
  bad_access: number;
}

export interface AccelRun {
  /** The ACT segment after the run. */
  readonly act: Uint8Array;
  readonly counters: AccelCounters;
  readonly done: boolean;
  readonly error?: string;
  /** Simulated cycles per wall-clock second. */
  readonly cyclesPerSecond: number;
  /** Simulated cycles per second of the harness's own CPU time (not skewed by other jobs on the machine). */
  readonly cyclesPerCpuSecond: number;
  /** With `dmaTrace`: one record per DMA instruction, in the order each port received them. */
  readonly dma?: DmaRecord[];
}

/** One DMA instruction as the harness saw it on the core's memory ports. */
export interface DmaRecord {
  /** 0: the load queue's DMA (LOAD), 1: the compute queue's (LOADT), 2: the store queue's (STORE). */
  readonly port: 0 | 1 | 2;
  /** Cycle the instruction's first request was granted, counted from the start write. */
  readonly start: number;
  /** Cycle after its last byte moved. */
  readonly end: number;
}

function parseDmaTrace(bytes: Uint8Array): DmaRecord[] {
  if (bytes.length % 16 !== 0) throw new Error(`DMA trace of ${bytes.length} bytes is not whole records`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: DmaRecord[] = [];
  for (let o = 0; o < bytes.length; o += 16) {
    const port = v.getUint32(o, true);
    if (port > 2) throw new Error(`DMA trace: port ${port} at record ${o / 16}`);
    out.push({ port: port as 0 | 1 | 2, start: v.getUint32(o + 8, true), end: v.getUint32(o + 12, true) });
  }
  return out;
}

const SEG_INDEX: Record<SegmentName, number> = { ACT: 0, WGT: 1, TBL: 2 };

/**
 * Cycles per row the DMA engine spends itself (address computation, request handshake): a target's
 * rowOverheadCycles includes them, the memory model charges the rest.
 */
export const DMA_ROW_CYCLES = 2;

/** Rational approximation num/den of a bytes-per-cycle figure. */
function ratio(x: number): [number, number] {
  for (let den = 1; den <= 64; den++) {
    const num = Math.round(x * den);
    if (Math.abs(num / den - x) < 1e-9) return [num, den];
  }
  return [Math.max(1, Math.round(x * 64)), 64];
}

/**
 * A target as the core harness (sim/verilator/accel_main.cpp) times it: each segment and the program on
 * a memory of its own, no arbiter. The core's timing model was measured with an on-chip ACT arena (a
 * byte per cycle) and weights, tables and program in quad-SPI flash; the SoC's shared PSRAM and its
 * arbiter are checked on the simulated device (test/host/device/run.test.ts, pydnet.test.ts). Lower and
 * time with it when comparing the core with the performance model here.
 */
export function harnessTarget(t: Target): Target {
  const flash = {
    kind: "quad-SPI flash (harness)",
    bytes: t.segments.WGT.bytes,
    bytesPerCycle: 0.5,
    latencyCycles: 20,
    rowOverheadCycles: 20,
  };
  const arena = {
    kind: "on-chip arena (harness)",
    bytes: t.segments.ACT.bytes,
    bytesPerCycle: 1,
    latencyCycles: 2,
    rowOverheadCycles: 3,
  };
  return {
    ...t,
    sharedMemory: undefined,
    fetchBytesPerCycle: 0.5,
    segments: { ACT: arena, WGT: flash, TBL: flash },
  };
}

export interface RunAccelOptions {
  readonly params?: AccelParams;
  readonly maxCycles?: number;
  /** Record when every DMA instruction started and finished (AccelRun.dma). */
  readonly dmaTrace?: boolean;
  /** Wall-clock limit of the harness process (default 10 min). */
  readonly timeoutMs?: number;
}

/** Runs a program image with `act` as the initial ACT segment. */
export async function runAccel(
  target: Target,
  image: MachineImage,
  act: Uint8Array,
  opts: RunAccelOptions = {},
): Promise<AccelRun> {
  const binary = await buildAccelSim(opts.params);
  const dir = mkdtempSync(join(tmpdir(), "quart-accel-"));
  try {
    const files = {
      prog: join(dir, "prog.bin"),
      wgt: join(dir, "wgt.bin"),
      tbl: join(dir, "tbl.bin"),
      act: join(dir, "act.bin"),
      out: join(dir, "act-out.bin"),
      trace: join(dir, "dma.bin"),
    };
    writeFileSync(files.prog, encodeProgram(image.program));
    writeFileSync(files.wgt, image.weights);
    writeFileSync(files.tbl, image.tables);
    writeFileSync(files.act, act);
    const segArgs: string[] = [];
    for (const [name, mem] of Object.entries(target.segments) as [SegmentName, Target["segments"]["ACT"]][]) {
      const [num, den] = ratio(mem.bytesPerCycle);
      segArgs.push(
        "--seg",
        `${SEG_INDEX[name]}:${mem.latencyCycles}:${Math.max(0, mem.rowOverheadCycles - DMA_ROW_CYCLES)}:${num}:${den}`,
      );
      const b = mem.burst;
      if (b)
        segArgs.push(
          "--burst-seg",
          `${SEG_INDEX[name]}:${b.readLatency}:${b.writeLatency}:${b.byteCycles}:${b.bytes}`,
        );
    }
    const fetchCycles = Math.ceil(INSTR_BYTES / target.fetchBytesPerCycle);
    const { stdout } = await run(
      binary,
      [
        "--prog",
        files.prog,
        "--wgt",
        files.wgt,
        "--tbl",
        files.tbl,
        "--act",
        files.act,
        "--act-out",
        files.out,
        "--fetch-cycles",
        String(fetchCycles),
        "--max-cycles",
        String(opts.maxCycles ?? 200_000_000),
        ...segArgs,
        // one PSRAM for the program and every segment, as in the SoC (its timing is the ACT segment's)
        ...(target.sharedMemory && target.segments.ACT.burst ? ["--shared-memory"] : []),
        ...(opts.dmaTrace ? ["--dma-trace", files.trace] : []),
      ],
      { timeoutMs: opts.timeoutMs ?? 600_000 },
    );
    const line = stdout.split("\n").find((l) => l.startsWith("QUART_ACCEL "));
    if (!line) throw new Error(`no counters from the harness:\n${stdout}`);
    const kv = new Map<string, number>();
    for (const m of line.matchAll(/(\w+)=(\d+)/g)) kv.set(m[1]!, Number(m[2]));
    const get = (k: string): number => kv.get(k) ?? 0;
    const counters: AccelCounters = {
      status: get("status"),
      cycles: get("cycles"),
      load_busy: get("load_busy"),
      load_stall: get("load_stall"),
      compute_busy: get("compute_busy"),
      compute_stall: get("compute_stall"),
      store_busy: get("store_busy"),
      store_stall: get("store_stall"),
      macs: get("macs_lo") + get("macs_hi") * 2 ** 32,
      load_bytes: get("load_bytes"),
      loadt_bytes: get("loadt_bytes"),
      store_bytes: get("store_bytes"),
      dispatched: get("dispatched"),
      prog_words: get("prog_words"),
      vec_outputs: get("vec_outputs"),
      tap_cycles: get("tap_cycles"),
      tokens: get("tokens"),
      bad_access: get("bad_access"),
    };
    const speed = stdout.match(/QUART_ACCEL_SPEED cycles_per_s=(\d+)(?: cpu_cycles_per_s=(\d+))?/);
    const st = counters.status;
    const done = (st & 2) !== 0;
    const error =
      st & 4 ? `error source ${(st >> 8) & 15} code ${(st >> 12) & 15}` : done ? undefined : "did not finish";
    return {
      act: new Uint8Array(readFileSync(files.out)),
      counters,
      done,
      error,
      cyclesPerSecond: speed ? Number(speed[1]) : 0,
      cyclesPerCpuSecond: speed?.[2] ? Number(speed[2]) : 0,
      ...(opts.dmaTrace ? { dma: parseDmaTrace(new Uint8Array(readFileSync(files.trace))) } : {}),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
