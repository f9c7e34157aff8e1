/**
 * Synthesis of single accelerator blocks for the iCE40UP5K (yosys synth_ice40, then nextpnr-ice40
 * --up5k --package sg48 with automatic IO placement), for the resource and Fmax tables of
 * fpga/rtl/accel/README.md. Results are cached under build/rtl/synth-<top>-<hash>/.
 *
 *   node dist/sim/rtl/synth.js [--pnr] [--seed N] [--core] [--modules] [--no-transformer] [--rows N]
 *
 * prints one JSON line per block. --core adds the whole core (place and route through a pin harness with
 * --pnr); --modules synthesizes the core with its hierarchy kept and prints the LUT4 of every module
 * instance; --no-transformer builds the core without its NORM / SMAX units (HAS_TRANSFORMER = 0),
 * --rows N with N array rows (2: every PE in the DSPs).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseNextpnrReport } from "../../fpga/build/ice40.js";
import {
  ACCEL_CORE_SOURCES,
  ACCEL_DECODE_SOURCES,
  ACCEL_INCLUDE_DIRS,
  ACCEL_MAC_ARRAY_SOURCES,
  ACCEL_OUT_STAGE_SOURCES,
} from "../../fpga/build/sources.js";
import { fromRoot } from "../device/paths.js";
import { hashInputs, run } from "../device/tools.js";

export const SYNTH_TOOLS = ["yosys", "nextpnr-ice40"];

export interface BlockSpec {
  readonly name: string;
  readonly top: string;
  readonly files: readonly string[];
  readonly params?: Readonly<Record<string, number>>;
  /** Include directories of `include files (their .vh files are part of the cache key). */
  readonly includeDirs?: readonly string[];
  /** synth_ice40 -dsp: let yosys map wide multipliers (quart_mulw) to SB_MAC16. */
  readonly dsp?: boolean;
  /** Place and route it (only pin-limited tops fit the package). */
  readonly pnr?: boolean;
  /** synth_ice40 -noflatten: keep every module, for a per-module breakdown (lut4_by_module). */
  readonly hierarchy?: boolean;
}

export interface BlockReport {
  readonly name: string;
  readonly top: string;
  readonly params: Readonly<Record<string, number>>;
  readonly dsp_inference: boolean;
  readonly lut4: number;
  readonly carry: number;
  readonly dff: number;
  readonly sb_mac16: number;
  readonly ebr: number;
  /** Per-module SB_LUT4 counts (hierarchy kept by keep_hierarchy modules). */
  readonly lut4_by_module: Readonly<Record<string, number>>;
  /** nextpnr results when placed and routed (undefined when not requested or it did not fit). */
  readonly pnr?: { readonly logic_cells: number; readonly fmax_mhz: number; readonly seed: number };
  readonly pnr_error?: string;
}

const OUT_FILES = ACCEL_OUT_STAGE_SOURCES;
const HARNESS_FILES = [
  "fpga/rtl/accel/quart_accel_synth_top.v",
  ...ACCEL_DECODE_SOURCES,
  ...ACCEL_MAC_ARRAY_SOURCES,
  ...OUT_FILES,
];

/**
 * The blocks alone (synthesis counts), and through the pin-limited harness quart_accel_synth_top for
 * place and route (the blocks have more ports than the package has pins).
 */
export const ACCEL_BLOCKS: readonly BlockSpec[] = [
  { name: "mac_array 4x8, 8 DSP", top: "quart_mac_array", files: ACCEL_MAC_ARRAY_SOURCES },
  {
    name: "mac_array 4x8, no DSP",
    top: "quart_mac_array",
    files: ACCEL_MAC_ARRAY_SOURCES,
    params: { N_DSP: 0 },
  },
  {
    name: "mac_array 2x8, 8 DSP",
    top: "quart_mac_array",
    files: ACCEL_MAC_ARRAY_SOURCES,
    params: { ROWS: 2 },
  },
  { name: "lut_decode 8 lanes", top: "quart_lut_decode", files: ACCEL_DECODE_SOURCES },
  { name: "out_stage", top: "quart_out_stage", files: OUT_FILES },
  {
    name: "harness: decode -> mac_array (8 DSP)",
    top: "quart_accel_synth_top",
    files: HARNESS_FILES,
    params: { USE_OUT: 0 },
    pnr: true,
  },
  {
    name: "harness: out_stage",
    top: "quart_accel_synth_top",
    files: HARNESS_FILES,
    params: { USE_DEC: 0, USE_ARR: 0 },
    pnr: true,
  },
  {
    name: "harness: decode -> mac_array -> out_stage",
    top: "quart_accel_synth_top",
    files: HARNESS_FILES,
    pnr: true,
  },
  {
    name: "harness: decode -> mac_array 2x8 -> out_stage",
    top: "quart_accel_synth_top",
    files: HARNESS_FILES,
    params: { ROWS: 2 },
    pnr: true,
  },
];

/**
 * The whole core (quart_accel with the icebreaker parameters and 8 DSPs) behind the pin harness
 * quart_accel_core_top (its ports are far more than the package's pins). `--core` adds it to the
 * command line's output (placed and routed with --pnr).
 */
export const ACCEL_CORE_BLOCK: BlockSpec = {
  name: "core: quart_accel 4x8, 8 DSP (pin harness)",
  top: "quart_accel_core_top",
  files: ["fpga/rtl/accel/quart_accel_core_top.v", ...ACCEL_CORE_SOURCES, "fpga/rtl/accel/quart_mac2_dsp.v"],
  params: { N_DSP: 8 },
  includeDirs: ACCEL_INCLUDE_DIRS,
  pnr: true,
};

/** The core with its hierarchy kept: LUT4 per module (`--modules`). */
export const ACCEL_CORE_MODULES: BlockSpec = {
  name: "core modules: quart_accel 4x8, 8 DSP",
  top: "quart_accel",
  files: [...ACCEL_CORE_SOURCES, "fpga/rtl/accel/quart_mac2_dsp.v"],
  params: { N_DSP: 8 },
  includeDirs: ACCEL_INCLUDE_DIRS,
  hierarchy: true,
};

type Cells = Record<string, number>;
interface YosysStat {
  design?: { num_cells_by_type?: Cells };
  modules?: Record<string, { num_cells_by_type?: Cells }>;
}

function count(cells: Cells, pred: (k: string) => boolean): number {
  return Object.entries(cells)
    .filter(([k]) => pred(k))
    .reduce((s, [, v]) => s + v, 0);
}

/**
 * yosys 0.23's `stat -json` on a design with sub-modules also writes the instance tree as text
 * between the modules and the design totals; this drops it. Each module's instance count in the
 * design comes from the modules' own cell counts (a kept sub-module is a cell type of its parent),
 * walked from `top`.
 */
export function splitStatJson(
  text: string,
  top: string,
): { stat: YosysStat; instances: Map<string, number> } {
  const kept = text.split("\n").filter((l) => !/^\s+\S+\s+\d+$/.test(l) || l.includes('"'));
  const stat = JSON.parse(kept.join("\n")) as YosysStat;
  const norm = (m: string) => m.replace(/^\\/, "");
  const mods = new Map(
    Object.entries(stat.modules ?? {}).map(([m, v]) => [norm(m), v.num_cells_by_type ?? {}]),
  );
  const instances = new Map<string, number>();
  const visit = (m: string, mult: number) => {
    instances.set(m, (instances.get(m) ?? 0) + mult);
    for (const [cell, n] of Object.entries(mods.get(m) ?? {}))
      if (mods.has(norm(cell))) visit(norm(cell), mult * n);
  };
  // the top, or its parameter variant (`$paramod\\<top>\\...`): the module no other module instantiates
  const used = new Set([...mods.values()].flatMap((c) => Object.keys(c).map(norm)));
  const roots = [...mods.keys()].filter((m) => !used.has(m));
  for (const r of roots.length > 0 ? roots : [top]) visit(r, 1);
  return { stat, instances };
}

/**
 * Totals from `stat -json` after synth_ice40 (design totals include the kept sub-modules); with the
 * instance counts of a kept hierarchy, lut4_by_module is per module over all its instances.
 */
export function parseBlockStat(
  stat: YosysStat,
  instances: ReadonlyMap<string, number> = new Map(),
): Omit<BlockReport, "name" | "top" | "params" | "dsp_inference"> {
  const cells = stat.design?.num_cells_by_type ?? {};
  const byModule: Record<string, number> = {};
  for (const [m, v] of Object.entries(stat.modules ?? {})) {
    // one entry per module definition (parameter variants get a #n suffix)
    const base = m
      .replace(/^\$paramod\$[0-9a-f]+\\/, "")
      .replace(/^\$paramod\\/, "")
      .replace(/^\\/, "")
      .replace(/\\.*$/, "");
    let name = base;
    for (let n = 2; name in byModule; n++) name = `${base}#${n}`;
    byModule[name] = (v.num_cells_by_type?.SB_LUT4 ?? 0) * (instances.get(m.replace(/^\\/, "")) ?? 1);
  }
  return {
    lut4: cells.SB_LUT4 ?? 0,
    carry: cells.SB_CARRY ?? 0,
    dff: count(cells, (k) => k.startsWith("SB_DFF")),
    sb_mac16: cells.SB_MAC16 ?? 0,
    ebr: count(cells, (k) => k.startsWith("SB_RAM40")),
    lut4_by_module: byModule,
  };
}

export async function synthBlock(
  spec: BlockSpec,
  opts: { pnr?: boolean; seed?: number } = {},
): Promise<BlockReport> {
  const seed = opts.seed ?? 1;
  const files = spec.files.map((f) => fromRoot(f));
  const incs = (spec.includeDirs ?? []).map((d) => fromRoot(d));
  const headers = incs.flatMap((d) =>
    readdirSync(d)
      .filter((f) => f.endsWith(".vh"))
      .map((f) => join(d, f)),
  );
  const params = spec.params ?? {};
  const yosysV = (await run("yosys", ["-V"])).stdout.trim();
  const key = hashInputs(
    [...files, ...headers],
    [spec.top, JSON.stringify(params), `${spec.dsp ?? false}`, `${spec.hierarchy ?? false}`, yosysV],
  );
  const dir = fromRoot("build", "rtl", `synth-${spec.top}-${key.slice(0, 16)}`);
  if (!existsSync(join(dir, "stat.json"))) {
    const work = `${dir}.tmp-${process.pid}`;
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    const chparam = Object.entries(params).map(([k, v]) => `chparam -set ${k} ${v} ${spec.top}`);
    const script = [
      `read_verilog -DSYNTHESIS ${incs.map((d) => `-I${d} `).join("")}${files.join(" ")}`,
      ...chparam,
      `synth_ice40 ${spec.dsp ? "-dsp " : ""}${spec.hierarchy ? "-noflatten " : ""}-top ${spec.top} -json ${join(work, "synth.json")}`,
      `tee -q -o ${join(work, "stat.json")} stat -json`,
    ].join("; ");
    await run("yosys", ["-q", "-l", join(work, "yosys.log"), "-p", script], { cwd: work });
    rmSync(dir, { recursive: true, force: true });
    renameSync(work, dir);
  }
  const { stat, instances } = splitStatJson(readFileSync(join(dir, "stat.json"), "utf8"), spec.top);
  const base = parseBlockStat(stat, instances);
  const report: BlockReport = {
    name: spec.name,
    top: spec.top,
    params,
    dsp_inference: spec.dsp ?? false,
    ...base,
  };
  if (!opts.pnr || !spec.pnr) return report;
  const pnrJson = join(dir, `nextpnr-${seed}.json`);
  const pnrErr = join(dir, `nextpnr-${seed}.err`);
  if (!existsSync(pnrJson) && !existsSync(pnrErr)) {
    try {
      await run(
        "nextpnr-ice40",
        [
          ...["--up5k", "--package", "sg48", "--json", join(dir, "synth.json"), "--freq", "24"],
          ...["--seed", `${seed}`, "--timing-allow-fail", "--report", `${pnrJson}.tmp`, "-q"],
          ...["--log", join(dir, `nextpnr-${seed}.log`)],
        ],
        { cwd: dir },
      );
      renameSync(`${pnrJson}.tmp`, pnrJson);
    } catch (err) {
      const log = readFileSync(join(dir, `nextpnr-${seed}.log`), "utf8");
      const line = log.split("\n").find((l) => l.startsWith("ERROR")) ?? String(err).split("\n")[0]!;
      writeFileSync(pnrErr, line);
    }
  }
  if (existsSync(pnrErr)) return { ...report, pnr_error: readFileSync(pnrErr, "utf8") };
  const pnr = parseNextpnrReport(JSON.parse(readFileSync(pnrJson, "utf8")));
  return { ...report, pnr: { logic_cells: pnr.lc, fmax_mhz: Math.round(pnr.fmaxMhz * 100) / 100, seed } };
}

async function main(argv: readonly string[]): Promise<void> {
  const i = argv.indexOf("--seed");
  const seed = i >= 0 ? Number(argv[i + 1]) : 1;
  const r = argv.indexOf("--rows");
  const rows = r >= 0 ? Number(argv[r + 1]) : undefined;
  const withRows = (b: BlockSpec): BlockSpec =>
    rows ? { ...b, name: `${b.name}, ${rows} array rows`, params: { ...b.params, ROWS: rows } } : b;
  const noTf = (b: BlockSpec): BlockSpec =>
    withRows(
      argv.includes("--no-transformer")
        ? { ...b, name: `${b.name}, no transformer units`, params: { ...b.params, HAS_TRANSFORMER: 0 } }
        : b,
    );
  const blocks = argv.includes("--modules")
    ? [noTf(ACCEL_CORE_MODULES)]
    : argv.includes("--core")
      ? [...ACCEL_BLOCKS, noTf(ACCEL_CORE_BLOCK)]
      : ACCEL_BLOCKS;
  for (const b of blocks) {
    const r = await synthBlock(b, { pnr: argv.includes("--pnr"), seed });
    process.stdout.write(`${JSON.stringify(r)}\n`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
