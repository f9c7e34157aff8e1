/** The simulator on hand-written programs: reference loops checked directly, and its refusals. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { assemble } from "../../../compiler/isa/asm.js";
import { EV } from "../../../compiler/isa/spec.js";
import { asic28 } from "../../../compiler/isa/targets.js";
import { IsaMachine } from "../../../sim/isa/machine.js";
import { SimError } from "../../../sim/isa/memory.js";
import { resizeTaps } from "../../../sim/isa/units.js";

function machine(
  program: string,
  act: Uint8Array,
  weights = new Uint8Array(64),
  tables = new Uint8Array(256),
) {
  const m = new IsaMachine(asic28, { program: assemble(program), weights, tables, actBytes: act.length });
  m.act.set(act);
  return m;
}

test("DMA moves 4-bit elements at odd offsets and keeps the neighbouring nibbles", () => {
  // ACT: nibbles 0..15 then 0xff bytes; copy elements 3..7 to element 21 through an identity RESIZE
  // (LUT4 table v = q, thresholds (k+1)·2^16 give back q).
  const act = new Uint8Array(16);
  for (let k = 0; k < 8; k++) act[k] = (2 * k) | ((2 * k + 1) << 4);
  act.fill(0xff, 8);
  const tables = new Uint8Array(128);
  const dv = new DataView(tables.buffer);
  for (let q = 0; q < 16; q++) dv.setInt8(q, q);
  for (let k = 0; k < 15; k++) dv.setInt32(64 + 4 * k, (k + 1) * 65536, true);
  const m = machine(
    `LOAD push_next buf=INP seg=ACT ebits=E4 ext=3 n0=5
     LOADT buf=TBL seg=TBL ebits=E8 n0=128
     RCFG ienc=LUT4 in_h=1 in_w=5 out_h=1 out_w=5 itab=0
     VCFG stage=THRESH ptab=64
     RESIZE pop_prev push_next c_n=1 ny=1 ih_n=1
     STORE pop_prev push_prev buf=OUT seg=ACT ebits=E4 ext=21 n0=5
     FINISH pop_next`,
    act,
    new Uint8Array(16),
    tables,
  );
  m.run();
  const nib = (e: number): number => (m.act[e >> 1]! >> ((e & 1) * 4)) & 15;
  assert.deepEqual([20, 21, 22, 23, 24, 25, 26].map(nib), [15, 3, 4, 5, 6, 7, 15]);
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7].map(nib), [0, 1, 2, 3, 4, 5, 6, 7], "the source is untouched");
});

test("a 3×3 LIN8 conv with padding and a requant stage follows the reference loop", () => {
  // Input: 1 channel 3×3, codes 128 + v with v = 1..9; zero value z = -2 (pad reads v = -2).
  const act = new Uint8Array(64);
  for (let i = 0; i < 9; i++) act[i] = 128 + i + 1;
  const weights = Int8Array.from([1, -2, 3, 0, 1, 0, -1, 2, 1]);
  const tables = new Uint8Array(256);
  const dv = new DataView(tables.buffer);
  dv.setInt8(0, -2); // lin8 pad value of channel 0
  dv.setInt32(16, 5, true); // bias
  dv.setUint16(32, 16384, true); // M = 2^14
  dv.setUint8(34, 15); // n = 15: q = round(u / 2) + z + 128
  dv.setInt32(36, -3, true); // z
  const m = machine(
    `LOAD buf=INP seg=ACT ebits=E8 n0=3 n1=3 pitch=3 rows=3
     LOAD push_next buf=WGT seg=WGT ebits=E8 n0=9
     LOADT buf=TBL seg=TBL ebits=E8 n0=64
     VCFG stage=REQUANT bias=1 act=LEAKY alpha=16384 btab=16 ptab=32
     CCFG wbits=W8 ienc=LIN8 kh=3 kw=3 sy=1 sx=1 dy=1 dx=1 oc_n=1 oh_n=3 ow_n=3 ic_n=1 pt=1 pb=1 pl=1 pr=1
     CONV pop_prev push_next fuse=1 inp=0 wgt=0 dst=0
     STORE pop_prev push_prev buf=OUT seg=ACT ebits=E8 ext=32 n0=3 n1=3 pitch=3 rows=3
     FINISH pop_next`,
    act,
    new Uint8Array(weights.buffer),
    tables,
  );
  const c = m.run();
  const v = (y: number, x: number): number => (y < 0 || y > 2 || x < 0 || x > 2 ? -2 : y * 3 + x + 1);
  const expected: number[] = [];
  for (let y = 0; y < 3; y++)
    for (let x = 0; x < 3; x++) {
      let a = 5;
      for (let ky = 0; ky < 3; ky++)
        for (let kx = 0; kx < 3; kx++) a += weights[ky * 3 + kx]! * v(y + ky - 1, x + kx - 1);
      const u = a >= 0 ? a : Math.floor((a * 16384) / 65536);
      expected.push(Math.min(255, Math.max(0, Math.floor((u * 16384 + 2 ** 14) / 2 ** 15) - 3 + 128)));
    }
  assert.deepEqual(Array.from(m.act.subarray(32, 41)), expected);
  assert.equal(c.macs, 81);
  assert.equal(c.vectorOutputs, 9);
  assert.equal(c.instructions.CONV, 1);
  assert.deepEqual(c.dmaBytes, { LOAD: 18, LOADT: 64, STORE: 9 });
  assert.equal(c.segmentBytes.ACT.write, 9);
});

test("align_corners taps match docs/arithmetic.md §4", () => {
  assert.deepEqual(resizeTaps(0, 4, 8), [0, 1, 0]);
  assert.deepEqual(resizeTaps(7, 4, 8), [3, 3, 0]);
  // o = 3: num = 9, den = 7 → i0 = 1, f = ⌊(256·2 + 3) / 7⌋ = 73
  assert.deepEqual(resizeTaps(3, 4, 8), [1, 2, 73]);
  assert.deepEqual(resizeTaps(0, 5, 1), [0, 0, 0]);
});

test("the simulator refuses what the hardware cannot do, naming the word", () => {
  const act = new Uint8Array(64);
  const run = (p: string) => () => machine(p, act).run();
  assert.throws(run("LOAD buf=INP seg=ACT ebits=E8 addr=0xfffff n0=8\nFINISH"), /word 0 .*INP bytes 1048575/);
  assert.throws(
    run("LOAD buf=INP seg=ACT ebits=E8 ext=60 n0=8\nFINISH"),
    /ACT element 67 outside the 64-byte segment/,
  );
  assert.throws(run("LOAD buf=TBL seg=ACT ebits=E8 n0=8\nFINISH"), /LOAD cannot use buffer TBL/);
  assert.throws(run("STORE buf=OUT seg=WGT ebits=E8 n0=8\nFINISH"), /read-only segment WGT/);
  assert.throws(run("CONV\nFINISH"), /word 0 .*no CCFG/);
  assert.throws(run("NOP pop_prev\nFINISH"), /no token in l2c/);
  assert.throws(run("LOAD push_next buf=INP seg=ACT ebits=E8 n0=8\nFINISH"), /tokens left at FINISH: l2c 1/);
  assert.throws(run("FINISH\nNOP"), /word 1: NOP after FINISH/);
  assert.throws(run("NOP"), /ended without FINISH/);
  // The transformer steps check their operands like the matrix unit does.
  assert.throws(run("NORM c_n=4 cols=4 eps=1\nFINISH"), /no VCFG/);
  assert.throws(run("VCFG stage=THRESH\nNORM c_n=4 cols=4 eps=0\nFINISH"), /NORM: eps must be at least 1/);
  assert.throws(run("VCFG stage=ACC32\nSMAX c_n=4 cols=4 n=8\nFINISH"), /SMAX: the stage must produce codes/);
  assert.throws(
    run("VCFG stage=THRESH\nSMAX src=2 c_n=4 cols=4\nFINISH"),
    /SMAX: ACC address not 4-byte aligned/,
  );
  assert.throws(run("VCFG stage=THRESH\nSMAX c_n=4 cols=4 n=48\nFINISH"), /SMAX: shift 48 > 47/);
  assert.throws(
    run("CCFG wt=1 kh=3 kw=3 sy=1 sx=1 dy=1 dx=1 oc_n=2 oh_n=4 ow_n=4 ic_n=1\nCONV\nFINISH"),
    /transposed weights need a 1×1 kernel/,
  );
  assert.throws(
    () =>
      new IsaMachine(
        { ...asic28, segments: { ...asic28.segments, ACT: { ...asic28.segments.ACT, bytes: 8 } } },
        { program: [], weights: new Uint8Array(), tables: new Uint8Array(), actBytes: 64 },
      ),
    SimError,
  );
  assert.equal(EV.ienc.INT4, 2);
  assert.throws(
    run("CCFG ienc=INT4 kh=1 kw=1 sy=1 sx=1 dy=1 dx=1\nCONV\nFINISH"),
    /INT4 activations \(W4A4\) are not implemented/,
  );
});

test("the trace gives one line per dispatched instruction", () => {
  const lines: string[] = [];
  const m = new IsaMachine(
    asic28,
    {
      program: assemble("LOOP count=3 body=1\nNOP\nFINISH"),
      weights: new Uint8Array(),
      tables: new Uint8Array(),
      actBytes: 0,
    },
    { trace: (l) => lines.push(l) },
  );
  const c = m.run();
  assert.deepEqual(lines, ["0 1 NOP", "1 1 NOP", "2 1 NOP", "3 2 FINISH"]);
  assert.equal(c.words, 3);
  assert.equal(c.dispatched, 4);
});
