/** Assembling test programs and running them on the RTL testbench (iverilog) and the TS reference. */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fromRoot } from "../../../sim/device/paths.js";
import { missingTools, run } from "../../../sim/device/tools.js";

export const ASM_TOOLS = ["riscv64-unknown-elf-gcc", "riscv64-unknown-elf-objcopy"];
export const TB_TOOLS = ["iverilog", "vvp"];
export const PROGRAM_DIR = fromRoot("test/fpga/cpu/programs");

/** A skip message when a tool is missing, or false. */
export function skipUnless(tools: readonly string[]): string | false {
  const missing = missingTools(tools);
  return missing.length > 0 ? `missing tools: ${missing.join(", ")}` : false;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `quart-${prefix}-`));
}

/** Assembles and links a .S program (layout: programs/link.ld) into a flat binary image at address 0. */
export async function assemble(src: string, outDir: string): Promise<Uint8Array> {
  const elf = join(outDir, `${basename(src, ".S")}.elf`);
  const bin = join(outDir, `${basename(src, ".S")}.bin`);
  await run("riscv64-unknown-elf-gcc", [
    "-march=rv32i_zicsr_zifencei", // the CPU reads counters and treats fence.i as a no-op
    "-mabi=ilp32",
    "-nostdlib",
    "-nostartfiles",
    "-T",
    join(PROGRAM_DIR, "link.ld"),
    "-o",
    elf,
    src,
  ]);
  await run("riscv64-unknown-elf-objcopy", ["-O", "binary", elf, bin]);
  return new Uint8Array(readFileSync(bin));
}

/** One little-endian 32-bit word per line, for $readmemh. */
export function imageToHex(image: Uint8Array): string {
  const padded = new Uint8Array(Math.ceil(image.length / 4) * 4);
  padded.set(image);
  const view = new DataView(padded.buffer);
  const lines: string[] = [];
  for (let i = 0; i < padded.length; i += 4)
    lines.push(view.getUint32(i, true).toString(16).padStart(8, "0"));
  return `${lines.join("\n")}\n`;
}

export function wordsToImage(words: readonly number[]): Uint8Array {
  const out = new Uint8Array(words.length * 4);
  const view = new DataView(out.buffer);
  for (const [i, w] of words.entries()) view.setUint32(i * 4, w >>> 0, true);
  return out;
}

/** Compiles fpga/rtl/cpu/rv32i_cpu_tb.v with iverilog; returns the vvp file. */
export async function buildCpuTb(outDir: string): Promise<string> {
  const out = join(outDir, "rv32i_cpu_tb.vvp");
  const cpu = ["rv32i_cpu.v", "rv32i_decode.v", "rv32i_alu.v", "rv32i_regfile.v", "rv32i_cpu_tb.v"];
  await run("iverilog", [
    "-g2005",
    "-Wall",
    "-I",
    fromRoot("fpga/rtl/soc"),
    "-s",
    "rv32i_cpu_tb",
    "-o",
    out,
    ...cpu.map((f) => fromRoot("fpga/rtl/cpu", f)),
  ]);
  return out;
}

let hexCounter = 0;

/** Runs an image on the RTL testbench; returns its output lines. */
export async function runTb(
  vvp: string,
  image: Uint8Array,
  opts: { stallSeed?: number; maxCycles?: number } = {},
): Promise<string[]> {
  const hex = join(tmpdir(), `quart-cpu-${process.pid}-${hexCounter++}.hex`);
  writeFileSync(hex, imageToHex(image));
  const args = [vvp, `+hex=${hex}`];
  if (opts.stallSeed !== undefined) args.push(`+stall=${opts.stallSeed}`);
  if (opts.maxCycles !== undefined) args.push(`+max_cycles=${opts.maxCycles}`);
  const { stdout } = await run("vvp", ["-n", ...args]);
  // A short image is expected: iverilog warns that the file has fewer words than the memory.
  return stdout.split("\n").filter((l) => l.length > 0 && !/^WARNING: .*Not enough words/.test(l));
}

/** Describes the first line where two outputs differ, or undefined when equal. */
export function firstDifference(expected: readonly string[], actual: readonly string[]): string | undefined {
  const n = Math.max(expected.length, actual.length);
  for (let i = 0; i < n; i++) {
    if (expected[i] !== actual[i]) {
      const ctx = expected.slice(Math.max(0, i - 3), i).map((l) => `    ${l}`);
      return [
        `first difference at line ${i + 1}:`,
        ...ctx,
        `  - ref: ${expected[i] ?? "<end>"}`,
        `  + rtl: ${actual[i] ?? "<end>"}`,
      ].join("\n");
    }
  }
  return undefined;
}
