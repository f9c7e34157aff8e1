/**
 * iCEBreaker bitstream build: yosys synth_ice40 -> nextpnr-ice40 (--up5k --package sg48) -> icepack.
 * Results (utilisation, Fmax) are parsed into JSON. Builds are cached under build/fpga/<hash of inputs>/.
 *
 *   node dist/fpga/build/ice40.js [--seed N] [--freq MHZ] [--force]     prints the JSON report on stdout
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildFirmware } from "../../sim/device/firmware.js";
import { fromRoot } from "../../sim/device/paths.js";
import { hashInputs, run } from "../../sim/device/tools.js";
import { SOC_CLOCK_HZ } from "../soc/map.js";
import { BOARD_DEFINES, BOARD_PCF, BOARD_SOURCES, BOARD_TOP, RTL_INCLUDE_DIRS } from "./sources.js";

export const ICE40_TOOLS = ["yosys", "nextpnr-ice40", "icepack"];

export interface Ice40Report {
  readonly board: "icebreaker";
  readonly device: "up5k-sg48";
  /** SB_LUT4 cells after synthesis. */
  readonly lut4: number;
  readonly lut4_total: number;
  /** Logic cells placed by nextpnr (LUT and/or FF). */
  readonly logic_cells: number;
  readonly dff: number;
  readonly dsp: number;
  readonly dsp_total: number;
  readonly ebr: number;
  readonly ebr_total: number;
  readonly spram: number;
  readonly spram_total: number;
  readonly fmax_mhz: number;
  readonly target_mhz: number;
  readonly timing_met: boolean;
  readonly seed: number;
  readonly bitstream: string;
  readonly bitstream_bytes: number;
  readonly tools: { readonly yosys: string; readonly nextpnr: string };
  readonly seconds: { readonly synth: number; readonly pnr: number };
  readonly cached: boolean;
}

interface NextpnrReport {
  utilization?: Record<string, { used: number; available: number }>;
  fmax?: Record<string, { achieved: number; constraint: number }>;
}

/** Utilisation and worst-clock Fmax from nextpnr's `--report` JSON. */
export function parseNextpnrReport(report: NextpnrReport): {
  lc: number;
  lcTotal: number;
  dsp: [number, number];
  ebr: [number, number];
  spram: [number, number];
  fmaxMhz: number;
  constraintMhz: number;
} {
  const u = report.utilization ?? {};
  const get = (k: string): [number, number] => [u[k]?.used ?? 0, u[k]?.available ?? 0];
  const clocks = Object.values(report.fmax ?? {});
  if (clocks.length === 0) throw new Error("nextpnr report has no clock (fmax) entries");
  const worst = clocks.reduce((a, b) => (b.achieved < a.achieved ? b : a));
  const [lc, lcTotal] = get("ICESTORM_LC");
  return {
    lc,
    lcTotal,
    dsp: get("ICESTORM_DSP"),
    ebr: get("ICESTORM_RAM"),
    spram: get("ICESTORM_SPRAM"),
    fmaxMhz: worst.achieved,
    constraintMhz: worst.constraint,
  };
}

/** Cell counts from `yosys stat -json` output (the design totals, else the sum over modules). */
export function parseYosysStat(stat: {
  design?: { num_cells_by_type?: Record<string, number> };
  modules?: Record<string, { num_cells_by_type?: Record<string, number> }>;
}): { lut4: number; dff: number } {
  let cells = stat.design?.num_cells_by_type;
  if (!cells) {
    const modules = Object.values(stat.modules ?? {});
    if (modules.length === 0) throw new Error("yosys stat has no modules");
    cells = {};
    for (const m of modules) {
      for (const [k, v] of Object.entries(m.num_cells_by_type ?? {})) cells[k] = (cells[k] ?? 0) + v;
    }
  }
  const dff = Object.entries(cells)
    .filter(([k]) => k.startsWith("SB_DFF"))
    .reduce((s, [, v]) => s + v, 0);
  return { lut4: cells.SB_LUT4 ?? 0, dff };
}

async function toolVersion(cmd: string, args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run(cmd, args);
    return (stdout || stderr).trim().split("\n")[0] ?? "";
  } catch {
    return "unknown";
  }
}

export interface Ice40Options {
  readonly seed?: number;
  readonly freqMhz?: number;
  /** ROM image; default: the firmware built by firmware/Makefile. */
  readonly romHex?: string;
  /** Ignore the cache. */
  readonly force?: boolean;
  readonly log?: (line: string) => void;
}

export async function buildIce40(opts: Ice40Options = {}): Promise<Ice40Report> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const seed = opts.seed ?? 1;
  const freq = opts.freqMhz ?? SOC_CLOCK_HZ / 1e6;
  const romHex = opts.romHex ?? (await buildFirmware()).hex;
  const sources = [BOARD_TOP.file, ...BOARD_SOURCES].map((f) => fromRoot(f));
  const headers = RTL_INCLUDE_DIRS.map((d) => fromRoot(d, "soc_map.vh"));
  const yosysV = await toolVersion("yosys", ["-V"]);
  const nextpnrV = await toolVersion("nextpnr-ice40", ["--version"]);
  const key = hashInputs(
    [...sources, ...headers, fromRoot(BOARD_PCF), romHex],
    [yosysV, nextpnrV, `${seed}`, `${freq}`, ...BOARD_DEFINES],
  );
  const dir = fromRoot("build/fpga", key.slice(0, 16));
  // The cache keeps the tools' raw outputs; the report is always derived from them afresh.
  if (!opts.force && existsSync(join(dir, "meta.json"))) return readReport(dir, true);

  const work = `${dir}.tmp-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const synthJson = join(work, "synth.json");
  const statJson = join(work, "stat.json");
  const inc = RTL_INCLUDE_DIRS.map((d) => `-I${fromRoot(d)}`).join(" ");
  const script = [
    `read_verilog -DSYNTHESIS ${BOARD_DEFINES.map((d) => `-D${d}`).join(" ")} ${inc} ${sources.join(" ")}`,
    `chparam -set ROM_INIT "${romHex}" ${BOARD_TOP.top}`,
    `synth_ice40 -top ${BOARD_TOP.top} -json ${synthJson}`,
    `tee -q -o ${statJson} stat -json`,
  ].join("; ");
  log(`yosys synth_ice40 (${BOARD_TOP.top})`);
  const t0 = Date.now();
  await run("yosys", ["-q", "-l", join(work, "yosys.log"), "-p", script], { cwd: work });
  const t1 = Date.now();
  log(`nextpnr-ice40 --up5k --package sg48 --freq ${freq} --seed ${seed}`);
  const asc = join(work, "icebreaker.asc");
  const pnrReport = join(work, "nextpnr.json");
  await run(
    "nextpnr-ice40",
    [
      "--up5k",
      "--package",
      "sg48",
      "--json",
      synthJson,
      "--pcf",
      fromRoot(BOARD_PCF),
      "--asc",
      asc,
      "--freq",
      `${freq}`,
      "--seed",
      `${seed}`,
      "--timing-allow-fail",
      "--report",
      pnrReport,
      "--log",
      join(work, "nextpnr.log"),
      "-q",
    ],
    { cwd: work },
  );
  const t2 = Date.now();
  const bin = join(work, "icebreaker.bin");
  await run("icepack", [asc, bin]);

  const meta: BuildMeta = {
    seed,
    freqMhz: freq,
    tools: { yosys: yosysV, nextpnr: nextpnrV },
    seconds: { synth: (t1 - t0) / 1000, pnr: (t2 - t1) / 1000 },
  };
  writeFileSync(join(work, "meta.json"), `${JSON.stringify(meta, null, 2)}\n`);
  rmSync(dir, { recursive: true, force: true });
  renameSync(work, dir);
  const report = readReport(dir, false);
  writeFileSync(join(dir, "report.json"), `${JSON.stringify(report, null, 2)}\n`);
  return report;
}

interface BuildMeta {
  readonly seed: number;
  readonly freqMhz: number;
  readonly tools: { readonly yosys: string; readonly nextpnr: string };
  readonly seconds: { readonly synth: number; readonly pnr: number };
}

function readReport(dir: string, cached: boolean): Ice40Report {
  const meta = JSON.parse(readFileSync(join(dir, "meta.json"), "utf8")) as BuildMeta;
  const stat = parseYosysStat(JSON.parse(readFileSync(join(dir, "stat.json"), "utf8")));
  const pnr = parseNextpnrReport(
    JSON.parse(readFileSync(join(dir, "nextpnr.json"), "utf8")) as NextpnrReport,
  );
  const bitstream = join(dir, "icebreaker.bin");
  return {
    board: "icebreaker",
    device: "up5k-sg48",
    lut4: stat.lut4,
    lut4_total: pnr.lcTotal,
    logic_cells: pnr.lc,
    dff: stat.dff,
    dsp: pnr.dsp[0],
    dsp_total: pnr.dsp[1],
    ebr: pnr.ebr[0],
    ebr_total: pnr.ebr[1],
    spram: pnr.spram[0],
    spram_total: pnr.spram[1],
    fmax_mhz: Math.round(pnr.fmaxMhz * 100) / 100,
    target_mhz: meta.freqMhz,
    timing_met: pnr.fmaxMhz >= meta.freqMhz,
    seed: meta.seed,
    bitstream,
    bitstream_bytes: readFileSync(bitstream).length,
    tools: meta.tools,
    seconds: meta.seconds,
    cached,
  };
}

async function main(argv: readonly string[]): Promise<number> {
  const arg = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const seed = arg("--seed");
  const freq = arg("--freq");
  const report = await buildIce40({
    seed: seed === undefined ? undefined : Number(seed),
    freqMhz: freq === undefined ? undefined : Number(freq),
    force: argv.includes("--force"),
  });
  process.stdout.write(`${JSON.stringify(report)}\n`);
  return report.timing_met ? 0 : 2;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
