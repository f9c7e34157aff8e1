/**
 * quart_mac_array against a TS reference: random W4 and W8 taps (W8 split into an unsigned low nibble
 * and a shifted signed high nibble, as the weight feeder does), bubbles, back-to-back passes; every
 * accumulator must equal Σ w·a exactly.
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

const ROWS = 4;
const COLS = 8;

function skipMsg(tools: readonly string[]): string | false {
  const missing = missingTools(tools);
  if (missing.length > 0) return `missing tools: ${missing.join(", ")}`;
  return ice40SimLib() ? false : "yosys iCE40 cell library (cells_sim.v) not found";
}

interface Pass {
  readonly words: number[];
  readonly expected: number[]; // ROWS*COLS
}

/** One pass of `taps` taps (W4 or W8) with random bubbles; returns tb words and Σ w·a per PE. */
function makePass(rand: () => number, taps: number, w8: boolean, extreme: boolean, worst = false): Pass {
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const pick = (lo: number, hi: number) =>
    worst ? lo : extreme && rand() < 0.7 ? (rand() < 0.5 ? lo : hi) : int(lo, hi);
  const expected = new Array<number>(ROWS * COLS).fill(0);
  const cycles: number[][] = [];
  const cycle = (flags: number, nib: number[], act: number[]) =>
    cycles.push([flags, ...nib.map((n) => n & 15), ...act.map((a) => a & 255)]);
  for (let t = 0; t < taps; t++) {
    const w = Array.from({ length: ROWS }, () => (w8 ? pick(-128, 127) : pick(-8, 7)));
    const a = Array.from({ length: COLS }, () => pick(-128, 127));
    for (let r = 0; r < ROWS; r++) for (let c = 0; c < COLS; c++) expected[r * COLS + c]! += w[r]! * a[c]!;
    if (t > 0 && rand() < 0.1) {
      // a bubble with garbage operands must not change the accumulators
      cycle(
        4,
        w.map(() => int(0, 15)),
        a.map(() => int(0, 255)),
      );
    }
    if (w8) {
      cycle(
        1,
        w.map((x) => x & 15),
        a,
      ); // low nibble, unsigned
      cycle(
        2,
        w.map((x) => (x >> 4) & 15),
        a,
      ); // high nibble, signed, ×16
    } else {
      cycle(0, w, a);
    }
  }
  return { words: [cycles.length, ...cycles.flat()], expected };
}

async function runArray(params: { ACC_W: number; N_DSP: number }, passes: readonly Pass[]): Promise<void> {
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
  assert.equal(got.size, passes.length * ROWS * COLS, out.slice(0, 2000));
  for (const [p, pass] of passes.entries()) {
    for (let r = 0; r < ROWS; r++) {
      for (let c = 0; c < COLS; c++) {
        const kind = r * COLS + c < 2 * params.N_DSP ? "DSP" : "LUT";
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
  test("random W4/W8 passes are bit-exact against Σ w·a (8 DSP, 32-bit accumulators)", async () => {
    const rand = rng(1234);
    const passes: Pass[] = [];
    // long W4 pass with the extreme values (worst case |Σ| for 3·3·512 taps), W8 passes, short passes
    passes.push(makePass(rand, 4608, false, true));
    passes.push(makePass(rand, 1200, true, true));
    passes.push(makePass(rand, 1100, true, false, true)); // every product +2^14: the sum passes 2^24
    for (let i = 0; i < 40; i++)
      passes.push(makePass(rand, 1 + Math.floor(rand() * 40), rand() < 0.4, rand() < 0.3));
    // the worst-case pass needs more than a 24-bit accumulator
    assert.ok(passes[2]!.expected.every((v) => v >= 2 ** 24));
    await runArray({ ACC_W: 32, N_DSP: 8 }, passes);
  });

  test("all-LUT array with 24-bit accumulators (short passes)", async () => {
    const rand = rng(99);
    const passes: Pass[] = [];
    for (let i = 0; i < 30; i++)
      passes.push(makePass(rand, 1 + Math.floor(rand() * 60), rand() < 0.5, rand() < 0.5));
    await runArray({ ACC_W: 24, N_DSP: 0 }, passes);
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
      params: { N_DSP: 0, ACC_W: 24 },
    });
  });
});
