/**
 * quart_norm against the golden executor's LayerNorm arithmetic (compiler/ptq/golden-tokens.ts), value
 * by value: random pixels over the whole channel range, constant pixels (zero variance: σ' = isqrt(eps)),
 * the extreme values, eps at both ends; and the cycles per pixel the block documents.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isqrt, normReciprocal, normValue } from "../../../compiler/ptq/golden-tokens.js";
import { ACCEL_NORM_SOURCES, ACCEL_TB_VECTORS } from "../../../fpga/build/sources.js";
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

const FILES = ACCEL_NORM_SOURCES;

interface Pixel {
  readonly eps: number;
  readonly v: readonly number[];
}

/** What the golden executor computes for one pixel (docs/arithmetic.md §4). */
function expected(p: Pixel): number[] {
  const c = p.v.length;
  let s1 = 0;
  let s2 = 0;
  for (const x of p.v) {
    s1 += x;
    s2 += x * x;
  }
  const r = normReciprocal(isqrt(c * s2 - s1 * s1 + p.eps));
  return p.v.map((x) => normValue(x, c, s1, r));
}

function makePixels(): Pixel[] {
  const rand = rng(31);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const pixels: Pixel[] = [];
  const epsOf = () => (rand() < 0.2 ? 1 : rand() < 0.2 ? 2 ** 20 - 1 : int(1, 5000));
  for (const c of [1, 2, 3, 7, 16, 64, 100, 384]) {
    for (let k = 0; k < 3; k++) {
      const span = [255, 127, 8][k]!;
      pixels.push({
        eps: epsOf(),
        v: Array.from({ length: c }, () => int(-span - (span === 255 ? 1 : 0), span)),
      });
    }
  }
  pixels.push({ eps: 1, v: Array.from({ length: 32 }, () => 77) }); // zero variance
  pixels.push({ eps: 2 ** 20 - 1, v: Array.from({ length: 32 }, () => -256) });
  pixels.push({ eps: 1, v: Array.from({ length: 64 }, (_, i) => (i % 2 ? 255 : -256)) });
  pixels.push({ eps: 3, v: [...Array.from({ length: 63 }, () => 0), 255] }); // one outlier
  pixels.push({ eps: 1, v: Array.from({ length: 4096 }, () => int(-256, 255)) }); // the largest c_n
  pixels.push({ eps: 1, v: Array.from({ length: 4096 }, (_, i) => (i === 0 ? 255 : -256)) });
  return pixels;
}

const VW = 9;
const CW = 13;

/**
 * Setup cycles per pixel (quart_norm.v): c_n·s2 and s1² (CW and SW steps), the square root (DW/2
 * steps), the divider (33), c_n·r and s1·r, each phase one cycle more for its hand-over.
 */
function setupCycles(): number {
  const SW = VW + CW;
  const DW0 = Math.max(2 * VW + CW + CW + 1, SW + 33);
  const DW = DW0 + (DW0 % 2);
  return CW + 1 + (SW + 1) + (DW / 2 + 1) + (33 + 1) + (CW + 1) + (SW + 1);
}

describe("quart_norm (iverilog) vs the golden LayerNorm", { skip: skipUnless(IVERILOG_TOOLS) }, () => {
  test("every normalized value is identical, at the documented cycles per pixel", async () => {
    const pixels = makePixels();
    const vvp = await buildTb({
      top: "quart_norm_tb",
      files: ["fpga/rtl/accel/quart_norm_tb.v", ...FILES],
      includeDirs: ["fpga/rtl/accel"],
      includes: [ACCEL_TB_VECTORS],
    });
    const words: number[] = [pixels.length];
    for (const p of pixels) words.push(p.v.length, p.eps, ...p.v.map((x) => x >>> 0));
    const vec = writeVectors(vvp, "norm", words);
    let out: string;
    try {
      out = await runTb(vvp, [`+vec=${vec}`, `+nw=${words.length}`]);
    } finally {
      removeVectors(vec);
    }
    const got = [...out.matchAll(/^OUT (-?\d+)$/gm)].map((m) => Number(m[1]));
    const pix = [...out.matchAll(/^PIX (\d+) (\d+)$/gm)].map((m) => [Number(m[1]), Number(m[2])] as const);
    const want = pixels.flatMap(expected);
    assert.equal(got.length, want.length, out.slice(-1500));
    let at = 0;
    for (const [i, p] of pixels.entries()) {
      const w = want.slice(at, at + p.v.length);
      const g = got.slice(at, at + p.v.length);
      assert.deepEqual(g, w, `pixel ${i} (c_n ${p.v.length}, eps ${p.eps})`);
      at += p.v.length;
    }
    // the values span the range the output stage sees (not all zero)
    assert.ok(want.some((a) => Math.abs(a) > 4096 * 2));
    // one cycle per value of the statistics pass and VW + 1 per normalized value, plus the setup
    assert.equal(pix.length, pixels.length);
    for (const [i, [cycles, setup]] of pix.entries()) {
      assert.equal(setup, setupCycles(), `pixel ${i}: setup cycles`);
      assert.equal(cycles - pix[0]![0], (pixels[i]!.v.length - pixels[0]!.v.length) * (VW + 2), `pixel ${i}`);
    }
  });

  test("verilator -Wall lint", { skip: skipUnless(["verilator"]) }, async () => {
    await lintBlock({ top: "quart_norm", files: FILES });
  });
});
