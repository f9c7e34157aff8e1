/**
 * quart_mac_array against a TS reference: random W4 taps (every row) and W8 taps (one cycle, output
 * channel 0 only), bubbles, back-to-back passes drained as early as the array allows; every
 * accumulator must equal Σ w·a exactly. Worst-case passes drive every product to its extreme for
 * thousands of taps, so the wrapping partial accumulators (16-bit in the DSPs, 17-bit in LUTs) run at
 * their bound between two spills into the 32-bit bank.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ACCEL_MAC_ARRAY_SOURCES } from "../../../fpga/build/sources.js";
import { missingTools } from "../../../sim/device/tools.js";
import {
  buildTb,
  ICE40_SIM_DEFINES,
  IVERILOG_TOOLS,
  ice40SimLib,
  lintBlock,
  removeVectors,
  runTb,
  writeVectors,
} from "../../../sim/rtl/iverilog.js";
import { rng } from "./prng.js";

const COLS = 8;

function skipMsg(tools: readonly string[]): string | false {
  const missing = missingTools(tools);
  if (missing.length > 0) return `missing tools: ${missing.join(", ")}`;
  return ice40SimLib() ? false : "yosys iCE40 cell library (cells_sim.v) not found";
}

interface Pass {
  readonly words: number[];
  readonly expected: number[]; // ROWS*COLS
  /** Rows whose result is defined (a W8 pass computes channel 0 only). */
  readonly rows: number;
  readonly w8: boolean;
}

type Worst = "none" | "pos" | "neg";

/**
 * One pass of `taps` taps (W4 or W8) with random bubbles; returns tb words and Σ w·a per PE.
 * W8 passes feed channel 0 a byte, as the nibbles of rows 0 and 1 (`w8Rows` = 1).
 */
function makePass(
  rand: () => number,
  taps: number,
  w8: boolean,
  extreme: boolean,
  w8Rows: number,
  worst: Worst = "none",
  ROWS = 4,
): Pass {
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const pick = (lo: number, hi: number, worstV: number) =>
    worst !== "none" ? worstV : extreme && rand() < 0.7 ? (rand() < 0.5 ? lo : hi) : int(lo, hi);
  const rows = w8 ? w8Rows : ROWS;
  const expected = new Array<number>(ROWS * COLS).fill(0);
  const cycles: number[][] = [];
  const cycle = (flags: number, nib: number[], act: number[]) =>
    cycles.push([flags, ...nib.map((n) => n & 15), ...act.map((a) => a & 255)]);
  for (let t = 0; t < taps; t++) {
    const w = Array.from({ length: ROWS }, (_, r) =>
      w8
        ? r < rows
          ? pick(-128, 127, worst === "pos" ? -128 : 127)
          : 0
        : pick(-8, 7, worst === "pos" ? -8 : 7),
    );
    const a = Array.from({ length: COLS }, () => pick(-128, 127, -128));
    for (let r = 0; r < rows; r++) for (let c = 0; c < COLS; c++) expected[r * COLS + c]! += w[r]! * a[c]!;
    if (t > 0 && rand() < 0.1) {
      // a bubble with garbage operands must not change the accumulators
      cycle(
        4 | (rand() < 0.5 ? 1 : 0),
        w.map(() => int(0, 15)),
        a.map(() => int(0, 255)),
      );
    }
    if (w8) {
      const nib = new Array<number>(ROWS).fill(0);
      for (let r = 0; r < rows; r++) {
        nib[2 * r] = w[r]! & 15;
        nib[2 * r + 1] = (w[r]! >> 4) & 15;
      }
      cycle(1, nib, a);
    } else {
      cycle(0, w, a);
    }
  }
  return { words: [cycles.length, ...cycles.flat()], expected, rows, w8 };
}

async function runArray(params: { N_DSP: number }, passes: readonly Pass[], ROWS = 4): Promise<void> {
  const vvp = await buildTb({
    top: "quart_mac_array_tb",
    files: ["fpga/rtl/accel/quart_mac_array_tb.v", ...ACCEL_MAC_ARRAY_SOURCES],
    libs: [ice40SimLib()!],
    defines: ICE40_SIM_DEFINES,
    params: { ROWS, COLS, ...params },
  });
  const words = [passes.length, ...passes.flatMap((p) => p.words)];
  const vec = writeVectors(vvp, "mac", words);
  let out: string;
  try {
    out = await runTb(vvp, [`+vec=${vec}`, `+nw=${words.length}`]);
  } finally {
    removeVectors(vec);
  }
  const got = new Map<string, number>();
  for (const m of out.matchAll(/^ACC (\d+) (\d+) (\d+) (-?\d+)$/gm))
    got.set(`${m[1]} ${m[2]} ${m[3]}`, Number(m[4]));
  const reads = passes.reduce((n, p) => n + (p.w8 ? 2 * COLS : ROWS * COLS), 0);
  assert.equal(got.size, reads, out.slice(0, 2000));
  for (const [p, pass] of passes.entries()) {
    for (let r = 0; r < pass.rows; r++) {
      for (let c = 0; c < COLS; c++) {
        const kind = r < 2 && params.N_DSP > 0 ? "DSP" : "LUT";
        assert.equal(
          got.get(`${p} ${r} ${c}`),
          pass.expected[r * COLS + c],
          `pass ${p} PE (${r},${c}) (${kind} product)`,
        );
      }
    }
  }
  assert.match(out, /^DONE \d+$/m);
}

describe("quart_mac_array (iverilog, yosys SB_MAC16 model)", { skip: skipMsg(IVERILOG_TOOLS) }, () => {
  test("random W4/W8 passes are bit-exact against Σ w·a (8 DSP accumulating, spilled partials)", async () => {
    const rand = rng(1234);
    const D = 1; // a W8 pass computes output channel 0
    const passes: Pass[] = [];
    // worst-case |Σ| for 3·3·512 taps, both signs; long random extreme passes
    passes.push(makePass(rand, 4608, false, true, D, "pos"));
    passes.push(makePass(rand, 4608, false, true, D, "neg"));
    passes.push(makePass(rand, 4608, false, true, D));
    // W8: every product +2^14 (or -16256) for 1100 taps: the sums pass 2^24
    passes.push(makePass(rand, 1100, true, false, D, "pos"));
    passes.push(makePass(rand, 1100, true, false, D, "neg"));
    passes.push(makePass(rand, 1200, true, true, D));
    for (let i = 0; i < 60; i++)
      passes.push(makePass(rand, 1 + Math.floor(rand() * 70), rand() < 0.3, rand() < 0.4, D));
    assert.ok(passes[3]!.expected.slice(0, D * COLS).every((v) => v >= 2 ** 24));
    assert.ok(passes[0]!.expected.every((v) => v === 4608 * 1024));
    await runArray({ N_DSP: 8 }, passes);
  });

  test("2×8 array entirely in the 8 DSPs (W4 and W8 spilled round robin), worst-case and random passes", async () => {
    const rand = rng(4321);
    const R = 2;
    const passes: Pass[] = [
      makePass(rand, 4608, false, true, 1, "pos", R),
      makePass(rand, 4608, false, true, 1, "neg", R),
      makePass(rand, 1100, true, false, 1, "pos", R),
      makePass(rand, 1100, true, false, 1, "neg", R),
    ];
    for (let i = 0; i < 50; i++)
      passes.push(makePass(rand, 1 + Math.floor(rand() * 70), rand() < 0.3, rand() < 0.4, 1, "none", R));
    assert.ok(passes[0]!.expected.every((v) => v === 4608 * 1024));
    await runArray({ N_DSP: 8 }, passes, R);
  });

  test("all-LUT array (W4), short and worst-case passes", async () => {
    const rand = rng(99);
    const passes: Pass[] = [makePass(rand, 700, false, true, 0, "pos")];
    for (let i = 0; i < 40; i++)
      passes.push(makePass(rand, 1 + Math.floor(rand() * 60), false, rand() < 0.5, 0));
    await runArray({ N_DSP: 0 }, passes);
  });

  test("verilator -Wall lint (yosys cell library waived, our sources not)", {
    skip: skipMsg(["verilator"]),
  }, async () => {
    await lintBlock({
      top: "quart_mac_array",
      files: ACCEL_MAC_ARRAY_SOURCES,
      libs: [ice40SimLib()!],
      defines: ICE40_SIM_DEFINES,
    });
    await lintBlock({
      top: "quart_mac_array",
      files: ACCEL_MAC_ARRAY_SOURCES.filter((f) => !f.endsWith("_dsp.v")),
      params: { N_DSP: 0 },
    });
    await lintBlock({
      top: "quart_mac_array",
      files: ACCEL_MAC_ARRAY_SOURCES,
      libs: [ice40SimLib()!],
      defines: ICE40_SIM_DEFINES,
      params: { ROWS: 2 },
    });
  });
});
