import assert from "node:assert/strict";
import { test } from "node:test";
import { assemble, disassemble, disassembleInstr } from "../../../compiler/isa/asm.js";
import { normalizeInstr } from "../../../compiler/isa/encode.js";
import { EV } from "../../../compiler/isa/spec.js";
import { seededRandom } from "../../helpers/onnx-random.js";
import { randomInstr } from "./encode.test.js";

test("disassemble then assemble gives the same instructions", () => {
  const r = seededRandom(9);
  const prog = Array.from({ length: 500 }, () => randomInstr(r)).filter((i) => i.op !== "LOOP");
  assert.deepEqual(assemble(disassemble(prog)).map(normalizeInstr), prog.map(normalizeInstr));
});

test("assembly syntax: flags, enums by name, hex, negatives, defaults, comments", () => {
  const prog = assemble(`
    # a tile
    LOAD pop_next push_next buf=INP seg=ACT ebits=E4 ext=0x40 addr=0 n0=16 n1=5 n2=3 pitch=16 rows=16
    loop count=4 body=1 patches=1
      LPATCH index=0 field=3 mode=TOGGLE stride=-128   ; comment
      conv fuse=1
  `);
  assert.equal(prog.length, 4);
  assert.deepEqual(normalizeInstr(prog[0]!), {
    ...normalizeInstr({ op: "LOAD" }),
    pop_next: 1,
    push_next: 1,
    buf: EV.buf.INP,
    seg: EV.seg.ACT,
    ebits: EV.ebits.E4,
    ext: 64,
    n0: 16,
    n1: 5,
    n2: 3,
    pitch: 16,
    rows: 16,
  });
  assert.equal((prog[2] as { stride: number }).stride, -128);
  assert.equal((prog[3] as { fuse: number }).fuse, 1);
  assert.equal(disassembleInstr(prog[1]!), "LOOP count=4 patches=1");
});

test("assembler errors name the line", () => {
  assert.throws(() => assemble("NOP\nFOO x=1"), /line 2: unknown mnemonic "FOO"/);
  assert.throws(() => assemble("CONV inp=zz"), /line 1: bad value "zz" for inp/);
  assert.throws(() => assemble("CONV wat"), /line 1: "wat" is neither/);
  assert.throws(() => assemble("LOAD n0=5000"), /line 1: LOAD\.n0 = 5000 is outside/);
});

test("the disassembler indents loop bodies", () => {
  const text = disassemble(assemble("LOOP count=2 body=2 patches=0\nNOP\nNOP\nFINISH"));
  assert.deepEqual(text.trimEnd().split("\n"), ["LOOP count=2 body=2", "  NOP", "  NOP", "FINISH"]);
});
