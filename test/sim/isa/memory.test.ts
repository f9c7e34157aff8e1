/** DMA row copies against element-by-element transfers: every width, odd offsets and odd lengths. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { prng } from "../../../compiler/prng.js";
import { copyInRow, copyOutRow, readRowElem, writeRowElem } from "../../../sim/isa/memory.js";

test("row copies move exactly the elements the DMA loop names, keeping neighbouring nibbles", () => {
  const rand = prng(11);
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
  for (let i = 0; i < 2000; i++) {
    const bits = [4, 4, 4, 8, 16, 32][i % 6]!;
    const n = 1 + Math.floor(rand() * 21);
    const e = Math.floor(rand() * 9);
    const b = Math.floor(rand() * 5);
    const seg = bytes(160);
    const buf = bytes(160);
    const segWant = seg.slice();
    for (let x = 0; x < n; x++) {
      const v = readRowElem(buf, b, x, bits);
      // Element e + x of the segment as a row starting at byte 0.
      writeRowElem(segWant, 0, e + x, bits, v);
    }
    const segGot = seg.slice();
    copyOutRow(buf, b, segGot, e, n, bits);
    assert.deepEqual(segGot, segWant, `copyOutRow bits=${bits} e=${e} n=${n} b=${b}`);
    const bufGot = buf.slice();
    copyInRow(seg, e, bufGot, b, n, bits);
    for (let x = 0; x < n; x++)
      assert.equal(
        readRowElem(bufGot, b, x, bits),
        readRowElem(seg, 0, e + x, bits),
        `copyInRow bits=${bits} e=${e} n=${n} x=${x}`,
      );
    if (bits === 4 && n & 1)
      assert.equal(bufGot[b + (n >> 1)]! >> 4, 0, "the row's pad nibble after an odd 4-bit row is 0");
  }
});
