/**
 * quart_lut_decode against the golden executor's decode (compiler/ptq/golden.ts): random per-channel
 * lut4 tables (non-decreasing, with a zero code) and lin8 zeros; padding lanes must decode as the
 * channel's zero code does.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { decode } from "../../../compiler/ptq/golden.js";
import type { QValue } from "../../../compiler/ptq/qgraph.js";
import { ACCEL_DECODE_SOURCES } from "../../../fpga/build/sources.js";
import { missingTools } from "../../../sim/device/tools.js";
import {
  buildTb,
  IVERILOG_TOOLS,
  lintBlock,
  removeVectors,
  runTb,
  writeVectors,
} from "../../../sim/rtl/iverilog.js";
import { rng } from "./prng.js";

const LANES = 8;
const AW = 9;
const LUT_CH = 2 ** (AW - 4);
const LIN_CH = 2 ** AW;

function skipMsg(tools: readonly string[]): string | false {
  const missing = missingTools(tools);
  return missing.length > 0 ? `missing tools: ${missing.join(", ")}` : false;
}

/** Golden decode of one code of channel `ch` (a 1×C×1×1 tensor holding the code in that channel). */
function goldenOne(v: QValue, ch: number, code: number): number {
  const codes = new Uint8Array(v.shape[1]!);
  codes[ch] = code;
  return decode(codes, v)[ch]!;
}

describe("quart_lut_decode (iverilog) vs golden decode", { skip: skipMsg(IVERILOG_TOOLS) }, () => {
  test("lut4 tables, lin8 offsets and padding are bit-exact", async () => {
    const rand = rng(5);
    const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
    const lut = new Int8Array(LUT_CH * 16);
    const zeroCode = new Uint8Array(LUT_CH);
    for (let c = 0; c < LUT_CH; c++) {
      const z = int(0, 15);
      zeroCode[c] = z;
      // non-decreasing levels through 0 at the zero code, reaching the int8 extremes sometimes
      let x = 0;
      for (let q = z - 1; q >= 0; q--) lut[c * 16 + q] = x = Math.max(-128, x - int(1, 20));
      x = 0;
      for (let q = z + 1; q < 16; q++) lut[c * 16 + q] = x = Math.min(127, x + int(1, 20));
    }
    const zeros = Int32Array.from({ length: LIN_CH }, () => int(-128, 127));
    const lut4: QValue = {
      name: "t",
      shape: [1, LUT_CH, 1, 1],
      enc: { kind: "lut4", channels: LUT_CH, lut, zeroCode, scales: new Float64Array(LUT_CH).fill(1) },
    };
    const lin8: QValue = {
      name: "x",
      shape: [1, LIN_CH, 1, 1],
      enc: { kind: "lin8", channels: LIN_CH, zeros, scales: new Float64Array(LIN_CH).fill(1) },
    };

    // The lut4 tables and the lin8 zeros share the memory (a window holds one kind): a run of each.
    for (const isLut of [true, false]) {
      const writes: number[] = [];
      if (isLut) for (let i = 0; i < lut.length; i++) writes.push((i << 8) | (lut[i]! & 255));
      else for (let c = 0; c < LIN_CH; c++) writes.push((c << 8) | (zeros[c]! & 255));
      const reqs: number[] = [];
      const expected: number[] = [];
      const n = 1500;
      for (let i = 0; i < n; i++) {
        const ch = isLut ? int(0, LUT_CH - 1) : int(0, LIN_CH - 1);
        let pad = 0;
        const codes: number[] = [];
        for (let l = 0; l < LANES; l++) {
          const p = rand() < 0.15;
          if (p) pad |= 1 << l;
          // padding lanes carry garbage codes: the block must ignore them
          const code = isLut ? int(0, 15) | (rand() < 0.1 ? int(1, 15) << 4 : 0) : int(0, 255);
          codes.push(code);
          const zc = isLut ? zeroCode[ch]! : zeros[ch]! + 128;
          expected.push(isLut ? goldenOne(lut4, ch, p ? zc : code & 15) : goldenOne(lin8, ch, p ? zc : code));
        }
        reqs.push((pad << 16) | (ch << 1) | (isLut ? 1 : 0), ...codes);
      }
      const vvp = await buildTb({
        top: "quart_lut_decode_tb",
        files: ["fpga/rtl/accel/quart_lut_decode_tb.v", ...ACCEL_DECODE_SOURCES],
        params: { LANES, AW },
      });
      const words = [writes.length, ...writes, n, ...reqs];
      const vec = writeVectors(vvp, "dec", words);
      let out: string;
      try {
        out = await runTb(vvp, [`+vec=${vec}`, `+nw=${words.length}`]);
      } finally {
        removeVectors(vec);
      }
      const got = [...out.matchAll(/^V (\d+) (\d+) (-?\d+)$/gm)].map((m) => Number(m[3]));
      assert.equal(got.length, n * LANES, out.slice(-1000));
      for (let i = 0; i < expected.length; i++) {
        assert.equal(got[i], expected[i], `request ${Math.floor(i / LANES)} lane ${i % LANES}`);
      }
      assert.match(out, /^DONE$/m);
    }
  });

  test("verilator -Wall lint", { skip: skipMsg(["verilator"]) }, async () => {
    await lintBlock({ top: "quart_lut_decode", files: ACCEL_DECODE_SOURCES });
  });
});
