/** The THRESH stage follows the hardware's 4-step binary search, also on unsorted tables. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { EV } from "../../../compiler/isa/spec.js";
import { prng } from "../../../compiler/prng.js";
import { TableView } from "../../../sim/isa/memory.js";
import { Stage } from "../../../sim/isa/stage.js";

/** The search as spec.ts words it: halve [lo, hi) four times. */
function searchThresholds(a: number, thr: readonly number[]): number {
  let lo = 0;
  let hi = 15;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a >= thr[mid]!) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

test("THRESH codes equal the binary search for sorted and unsorted thresholds, bias included", () => {
  const rand = prng(5);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  for (let i = 0; i < 300; i++) {
    const thr = Array.from({ length: 15 }, () => int(-50, 50));
    if (i % 2) thr.sort((x, y) => x - y);
    const bias = int(-20, 20);
    const bytes = new Uint8Array(64);
    const dv = new DataView(bytes.buffer);
    for (const [k, t] of thr.entries()) dv.setInt32(4 * k, t, true);
    dv.setInt32(60, bias, true);
    const stage = new Stage({ stage: EV.stage.THRESH, bias: 1, btab: 60, ptab: 0 }, new TableView(bytes));
    stage.channel(0);
    const acc = Int32Array.from({ length: 9 }, () => int(-80, 80));
    const out = new Uint8Array(5).fill(0xa0);
    stage.writeRow(out, 0, acc, 0, 9);
    const want = Array.from(acc, (a) => searchThresholds(a + bias, thr));
    for (let x = 0; x < 9; x++) {
      assert.equal(stage.apply(acc[x]!), want[x], `apply, thresholds ${thr}`);
      assert.equal((out[x >> 1]! >> ((x & 1) * 4)) & 15, want[x], `writeRow, thresholds ${thr}`);
    }
    assert.equal(out[4]! >> 4, 0xa, "the nibble after an odd row is kept");
  }
});
