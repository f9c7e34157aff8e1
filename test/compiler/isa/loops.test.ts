import assert from "node:assert/strict";
import { test } from "node:test";
import { assemble } from "../../../compiler/isa/asm.js";
import { normalizeInstr } from "../../../compiler/isa/encode.js";
import { expandedList, reroll } from "../../../compiler/isa/loops.js";
import type { Instr } from "../../../compiler/isa/spec.js";
import { seededRandom } from "../../helpers/onnx-random.js";

const norm = (p: readonly Instr[]): Instr[] => p.map(normalizeInstr);

test("LOOP expands its body with linear and toggled patches", () => {
  const prog = assemble(`
    LOOP count=3 body=2 patches=2
      LPATCH index=0 field=3 mode=LINEAR stride=100   # LOAD.ext
      LPATCH index=1 field=2 mode=TOGGLE stride=64    # CONV.inp
      LOAD ext=5
      CONV inp=0
    FINISH
  `);
  const flat = expandedList(prog);
  assert.deepEqual(
    flat.map((i) => [i.op, (i as Record<string, unknown>).ext ?? (i as Record<string, unknown>).inp ?? null]),
    [
      ["LOAD", 5],
      ["CONV", 0],
      ["LOAD", 105],
      ["CONV", 64],
      ["LOAD", 205],
      ["CONV", 0],
      ["FINISH", null],
    ],
  );
});

test("nested loops apply the outer patch before the inner expansion", () => {
  const prog = assemble(`
    LOOP count=2 body=3 patches=1
      LPATCH index=2 field=0 stride=1000    # inner body word: VEC.src
      LOOP count=2 body=1 patches=1
        LPATCH index=0 field=0 stride=4
        VEC src=8
  `);
  assert.deepEqual(
    expandedList(prog).map((i) => (i as { src: number }).src),
    [8, 12, 1008, 1012],
  );
});

test("malformed loops are refused", () => {
  assert.throws(() => expandedList(assemble("LPATCH index=0")), /outside a LOOP header/);
  assert.throws(() => expandedList(assemble("LOOP count=2 body=3\nNOP")), /runs past the end/);
  assert.throws(() => expandedList(assemble("LOOP count=2 body=1 patches=1\nNOP\nNOP")), /expects 1 LPATCH/);
  assert.throws(
    () =>
      expandedList(assemble("LOOP count=3 body=1 patches=1\nLPATCH index=0 field=0 stride=-8\nVEC src=8")),
    /outside \[0, 1048575\]/,
  );
});

/** Tile-like sequences: a header, repeated steps with advancing and toggling fields, a tail. */
function syntheticProgram(seed: number): Instr[] {
  const r = seededRandom(seed);
  const out: Instr[] = [{ op: "VCFG", stage: 1 }];
  const steps = 1 + Math.floor(r() * 40);
  const pitch = 1 + Math.floor(r() * 500);
  for (let k = 0; k < steps; k++) {
    const edge = k === 0 || k === steps - 1 || r() < 0.05;
    out.push({
      op: "LOAD",
      ext: k * pitch,
      addr: (k % 2) * 256,
      n0: 8,
      pop_next: k >= 2 ? 1 : 0,
      push_next: 1,
    });
    if (edge) out.push({ op: "CCFG", kh: 3, kw: 3, sy: 1, sx: 1, dy: 1, dx: 1, pt: k === 0 ? 1 : 0 });
    out.push({ op: "CONV", inp: (k % 2) * 256, dst: (k % 2) * 64, fuse: 1, pop_prev: 1, push_next: 1 });
    out.push({ op: "STORE", ext: 7 + k * 3 * pitch, addr: (k % 2) * 64, pop_prev: 1 });
  }
  out.push({ op: "FINISH" });
  return out;
}

test("reroll compresses repeated tiles and expands back to the same instructions", () => {
  let words = 0;
  let flat = 0;
  for (let seed = 1; seed <= 60; seed++) {
    const p = syntheticProgram(seed);
    const rolled = reroll(p);
    assert.deepEqual(norm(expandedList(rolled)), norm(p), `seed ${seed}`);
    assert.ok(rolled.length <= p.length);
    words += rolled.length;
    flat += p.length;
  }
  assert.ok(words < flat / 2, `compressed ${flat} words to ${words}`);
});

test("reroll leaves irregular code alone", () => {
  const p: Instr[] = [{ op: "NOP" }, { op: "CONV", inp: 1 }, { op: "CONV", inp: 5 }, { op: "FINISH" }];
  assert.deepEqual(norm(expandedList(reroll(p))), norm(p));
});
