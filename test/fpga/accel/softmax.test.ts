/**
 * quart_softmax against softmaxColumn of the golden executor (compiler/ptq/golden-tokens.ts),
 * probability by probability: random columns over the score range with random m/n, ties for the max,
 * a single key, spreads where most exponentials underflow, n = 0 and shifts past the product's width;
 * and the cycles per column the block documents. The ROM it reads is generated from EXP2_TABLE.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { softmaxColumn } from "../../../compiler/ptq/golden-tokens.js";
import { ACCEL_SOFTMAX_SOURCES, ACCEL_TB_VECTORS } from "../../../fpga/build/sources.js";
import {
  buildTb,
  IVERILOG_TOOLS,
  lintBlock,
  removeVectors,
  runTb,
  writeVectors,
} from "../../../sim/rtl/iverilog.js";
import { skipUnless } from "../cpu/cpu-harness.js";
import { rng } from "./prng.js";

const SPEC = {
  files: ACCEL_SOFTMAX_SOURCES,
  includeDirs: ["fpga/rtl/accel"],
  includes: ["fpga/rtl/accel/quart_exp2_rom.vh"],
};

interface Column {
  readonly m: number;
  readonly n: number;
  readonly s: readonly number[];
}

function expected(c: Column): number[] {
  const out = new Float64Array(c.s.length);
  softmaxColumn(Float64Array.from(c.s), c.m, c.n, out);
  return [...out];
}

function makeColumns(): Column[] {
  const rand = rng(53);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const cols: Column[] = [];
  for (const keys of [1, 2, 5, 16, 64, 200]) {
    for (let k = 0; k < 4; k++) {
      const span = [2 ** 31 - 1, 100_000, 3000, 40][k]!;
      cols.push({
        m: int(1, 2 ** 16 - 1),
        n: int(0, 40),
        s: Array.from({ length: keys }, () => int(-span - (k === 0 ? 1 : 0), span)),
      });
    }
  }
  cols.push({ m: 1000, n: 12, s: Array.from({ length: 33 }, () => 5) }); // all tied
  cols.push({ m: 65535, n: 0, s: [0, -1, -2, 7, 7, -(2 ** 31), 2 ** 31 - 1] }); // no rounding, extremes
  cols.push({ m: 30_000, n: 63, s: [1, 2, 3, -100] }); // everything shifted out: u = 0 for all
  cols.push({ m: 2 ** 16 - 1, n: 1, s: [2 ** 31 - 1, -(2 ** 31), 0] }); // underflow to 0
  return cols;
}

describe("quart_softmax (iverilog) vs the golden softmax", { skip: skipUnless(IVERILOG_TOOLS) }, () => {
  test("every probability is identical, at the documented cycles per column", async () => {
    const cols = makeColumns();
    const vvp = await buildTb({
      top: "quart_softmax_tb",
      ...SPEC,
      files: ["fpga/rtl/accel/quart_softmax_tb.v", ...SPEC.files],
      includes: [...SPEC.includes, ACCEL_TB_VECTORS],
    });
    const words: number[] = [cols.length];
    for (const c of cols) words.push(c.m, c.n, c.s.length, ...c.s.map((x) => x >>> 0));
    const vec = writeVectors(vvp, "smax", words);
    let out: string;
    try {
      out = await runTb(vvp, [`+vec=${vec}`, `+nw=${words.length}`]);
    } finally {
      removeVectors(vec);
    }
    const got = [...out.matchAll(/^OUT (\d+)$/gm)].map((m) => Number(m[1]));
    const cycles = [...out.matchAll(/^COL (\d+)$/gm)].map((m) => Number(m[1]));
    const want = cols.map(expected);
    assert.equal(got.length, want.flat().length, out.slice(-1500));
    let at = 0;
    for (const [i, c] of cols.entries()) {
      assert.deepEqual(got.slice(at, at + c.s.length), want[i], `column ${i} (m ${c.m}, n ${c.n})`);
      at += c.s.length;
    }
    // the columns exercise both ends: certain keys (p = 2^15) and underflow (p = 0)
    assert.ok(want.flat().includes(2 ** 15) && want.flat().includes(0));
    // per score: pass 0 one cycle; pass 1 the acceptance, MW product steps, u, the ROM read and the sum;
    // pass 2 the same, then 16 product steps over e, p and the output (quart_softmax.v)
    const MW = 16;
    assert.deepEqual(
      cycles,
      cols.map((c) => cycles[0]! + (c.s.length - cols[0]!.s.length) * (1 + (MW + 4) + (MW + 4 + 18))),
    );
  });

  test("verilator -Wall lint", { skip: skipUnless(["verilator"]) }, async () => {
    await lintBlock({ top: "quart_softmax", ...SPEC });
  });
});
