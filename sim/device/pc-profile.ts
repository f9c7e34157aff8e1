/**
 * Firmware profile from the simulated SoC: the harness's `--pc-profile` file (cycles spent at each CPU
 * program counter) attributed to the functions of the firmware's ELF (symbols from `nm`), so the
 * firmware's time per function is measured in SoC cycles rather than guessed.
 */
import { readFileSync } from "node:fs";
import { run } from "./tools.js";

export const PC_PROFILE_TOOLS = ["riscv64-unknown-elf-nm"];

export interface FunctionCycles {
  readonly name: string;
  readonly cycles: number;
}

/** `<pc hex> <cycles>` lines (and `other <cycles>` for program counters outside ROM and RAM). */
export function parsePcProfile(text: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const [i, line] of text.split("\n").entries()) {
    if (!line.trim()) continue;
    const m = /^([0-9a-f]{8}|other) (\d+)$/.exec(line.trim());
    if (!m) throw new Error(`pc profile line ${i + 1}: "${line}" is not "<pc> <cycles>"`);
    out.set(m[1] === "other" ? -1 : Number.parseInt(m[1]!, 16), Number(m[2]));
  }
  return out;
}

interface Sym {
  readonly addr: number;
  readonly name: string;
}

/** Text symbols of an ELF, by address (`nm -n`). */
export async function textSymbols(elf: string): Promise<Sym[]> {
  const { stdout } = await run(PC_PROFILE_TOOLS[0]!, ["-n", elf]);
  const syms: Sym[] = [];
  for (const line of stdout.split("\n")) {
    const m = /^([0-9a-f]+) [tT] (\S+)$/.exec(line.trim());
    if (m) syms.push({ addr: Number.parseInt(m[1]!, 16), name: m[2]! });
  }
  return syms;
}

/** Cycles per function (the nearest text symbol at or below each pc), largest first. */
export function attribute(profile: ReadonlyMap<number, number>, syms: readonly Sym[]): FunctionCycles[] {
  const byName = new Map<string, number>();
  for (const [pc, cycles] of profile) {
    let name = "(outside ROM and RAM)";
    if (pc >= 0) {
      let lo = 0;
      let hi = syms.length - 1;
      let best = -1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (syms[mid]!.addr <= pc) {
          best = mid;
          lo = mid + 1;
        } else hi = mid - 1;
      }
      name = best >= 0 ? syms[best]!.name : `(below the first symbol: 0x${pc.toString(16)})`;
    }
    byName.set(name, (byName.get(name) ?? 0) + cycles);
  }
  return [...byName].map(([name, cycles]) => ({ name, cycles })).sort((a, b) => b.cycles - a.cycles);
}

/** The profile file attributed to the functions of the ELFs (the boot loader in ROM, the app in RAM). */
export async function profileByFunction(file: string, elfs: readonly string[]): Promise<FunctionCycles[]> {
  const syms = (await Promise.all(elfs.map(textSymbols))).flat().sort((a, b) => a.addr - b.addr);
  return attribute(parsePcProfile(readFileSync(file, "utf8")), syms);
}
