/**
 * Building and running the accelerator's block testbenches (fpga/rtl/accel) under iverilog and linting
 * them with Verilator. Compiled testbenches are cached under build/rtl/<hash of sources and options>/.
 * Blocks that instantiate iCE40 primitives (SB_MAC16) simulate with yosys's own cell models
 * (ice40/cells_sim.v from the yosys installation), so the DSP configuration is checked against the
 * vendor-equivalent model rather than a model of ours.
 */
import { existsSync, mkdirSync, realpathSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fromRoot } from "../device/paths.js";
import { hashInputs, run, which } from "../device/tools.js";

export const IVERILOG_TOOLS = ["iverilog", "vvp"];

/** yosys's iCE40 simulation library (cells_sim.v), or undefined when yosys is not installed. */
export function ice40SimLib(): string | undefined {
  const yosys = which("yosys");
  if (!yosys) return undefined;
  const p = join(dirname(realpathSync(yosys)), "..", "share", "yosys", "ice40", "cells_sim.v");
  return existsSync(p) ? p : undefined;
}

/** Defines needed to compile cells_sim.v as plain Verilog-2005. */
export const ICE40_SIM_DEFINES = ["NO_ICE40_DEFAULT_ASSIGNMENTS"];

export interface TbSpec {
  /** Top module. */
  readonly top: string;
  /** Project-relative sources. */
  readonly files: readonly string[];
  /** Absolute extra sources (e.g. the iCE40 cell library). */
  readonly libs?: readonly string[];
  readonly defines?: readonly string[];
  /** Project-relative `include directories. */
  readonly includeDirs?: readonly string[];
  /** Project-relative files the sources `include: hashed into the build cache's key, not compiled. */
  readonly includes?: readonly string[];
  /** Top-level parameter overrides (iverilog -P). */
  readonly params?: Readonly<Record<string, number>>;
}

function cacheDir(kind: string, spec: TbSpec, extra: readonly string[]): string {
  const files = [
    ...spec.files.map((f) => fromRoot(f)),
    ...(spec.includes ?? []).map((f) => fromRoot(f)),
    ...(spec.libs ?? []),
  ];
  const params = Object.entries(spec.params ?? {}).map(([k, v]) => `${k}=${v}`);
  const key = hashInputs(files, [
    kind,
    spec.top,
    ...(spec.defines ?? []),
    ...(spec.includeDirs ?? []),
    ...params,
    ...extra,
  ]);
  return fromRoot("build", "rtl", `${spec.top}-${key.slice(0, 16)}`);
}

/** Compiles a testbench with iverilog (cached); returns the .vvp path. */
export async function buildTb(spec: TbSpec): Promise<string> {
  const dir = cacheDir("iverilog", spec, []);
  const vvp = join(dir, `${spec.top}.vvp`);
  if (existsSync(vvp)) return vvp;
  mkdirSync(dir, { recursive: true });
  const tmp = `${vvp}.tmp-${process.pid}`;
  await run("iverilog", [
    "-g2005",
    ...(spec.defines ?? []).map((d) => `-D${d}`),
    ...(spec.includeDirs ?? []).map((d) => `-I${fromRoot(d)}`),
    ...Object.entries(spec.params ?? {}).map(([k, v]) => `-P${spec.top}.${k}=${v}`),
    "-s",
    spec.top,
    "-o",
    tmp,
    ...spec.files.map((f) => fromRoot(f)),
    ...(spec.libs ?? []),
  ]);
  renameSync(tmp, vvp);
  return vvp;
}

/** Runs a compiled testbench; returns its stdout. */
export async function runTb(vvp: string, plusargs: readonly string[] = []): Promise<string> {
  const { stdout } = await run("vvp", ["-n", vvp, ...plusargs], { timeoutMs: 120_000 });
  return stdout;
}

/** Writes 32-bit words, one hex word per line, into the testbench's cache dir; returns the path. */
export function writeVectors(vvp: string, name: string, words: readonly number[]): string {
  const path = join(dirname(vvp), `${name}-${process.pid}.hex`);
  writeFileSync(path, `${words.map((w) => (w >>> 0).toString(16).padStart(8, "0")).join("\n")}\n`);
  return path;
}

export function removeVectors(path: string): void {
  rmSync(path, { force: true });
}

/**
 * verilator --lint-only -Wall on a block. Warnings inside the yosys cell library (not our code) are
 * waived by a Verilator configuration file naming only that file. Resolves with the tool output;
 * rejects (CommandError) on any warning in our sources.
 */
/**
 * Verilator arguments that compile vendor cell libraries under -Wall: a configuration file in `dir`
 * waiving warnings inside those files only, and the timescale they declare.
 */
export function libWaiverArgs(dir: string, libs: readonly string[]): string[] {
  const vlt = join(dir, "waive-lib.vlt");
  writeFileSync(vlt, `\`verilator_config\n${libs.map((l) => `lint_off -file "${l}"`).join("\n")}\n`);
  return ["--timescale", "1ps/1ps", vlt];
}

export async function lintBlock(spec: TbSpec): Promise<string> {
  const libs = spec.libs ?? [];
  const args = ["--lint-only", "-Wall", "--top-module", spec.top];
  if (libs.length > 0) {
    const dir = cacheDir("lint", spec, []);
    mkdirSync(dir, { recursive: true });
    args.push(...libWaiverArgs(dir, libs));
  }
  for (const d of spec.defines ?? []) args.push(`-D${d}`);
  for (const d of spec.includeDirs ?? []) args.push(`-I${fromRoot(d)}`);
  for (const [k, v] of Object.entries(spec.params ?? {})) args.push(`-G${k}=${v}`);
  const { stdout, stderr } = await run("verilator", [
    ...args,
    ...spec.files.map((f) => fromRoot(f)),
    ...libs,
  ]);
  return stdout + stderr;
}
