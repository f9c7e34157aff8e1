/**
 * The fast matrix unit (decoded tiles, SIMD float32 sums or the float64 fallback, row-wise output
 * stage) against the literal spec loop, on random CONV configurations: odd shapes, strides, padding,
 * dilation, groups with a phase, W4/W8, LUT4/LIN8 inputs, accumulation, every output stage.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { EV, TABLE_BYTES } from "../../../compiler/isa/spec.js";
import { prng } from "../../../compiler/prng.js";
import { decodeWeights, exactInFloat32 } from "../../../sim/isa/conv-tile.js";
import { SimError, TableView } from "../../../sim/isa/memory.js";
import { referenceConv } from "../../../sim/isa/reference.js";
import { type Buffers, execConv, type Fields } from "../../../sim/isa/units.js";

const SIZES = { INP: 1 << 17, WGT: 1 << 16, ACC: 1 << 14, OUT: 8192, TBL: 8192 };

interface Case {
  cc: Fields;
  v: Fields;
  ins: Fields;
  buffers: Buffers;
}

function buffers(rand: () => number): Buffers {
  const bytes = (n: number) =>
    new Uint8Array(Uint32Array.from({ length: n / 4 }, () => Math.floor(rand() * 2 ** 32)).buffer);
  const acc = bytes(SIZES.ACC);
  return {
    INP: bytes(SIZES.INP),
    WGT: bytes(SIZES.WGT),
    ACC: acc,
    ACC32: new Int32Array(acc.buffer, 0, acc.length >> 2),
    OUT: bytes(SIZES.OUT),
    TBL: new TableView(bytes(SIZES.TBL)),
  };
}

function copy(b: Buffers): Buffers {
  const acc = b.ACC.slice();
  return {
    INP: b.INP.slice(),
    WGT: b.WGT.slice(),
    ACC: acc,
    ACC32: new Int32Array(acc.buffer, 0, acc.length >> 2),
    OUT: b.OUT.slice(),
    TBL: new TableView(b.TBL.bytes.slice()),
  };
}

function randomCase(seed: number): Case {
  const rand = prng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const kh = pick([1, 1, 2, 3, 3, 5]);
  const kw = rand() < 0.7 ? kh : int(1, 4);
  const [sy, sx, dy, dx] = [int(1, 3), int(1, 3), pick([1, 1, 2, 3]), pick([1, 1, 2])];
  const [ohN, owN] = [int(1, 6), int(1, 11)];
  const spanH = (ohN - 1) * sy + (kh - 1) * dy + 1;
  const spanW = (owN - 1) * sx + (kw - 1) * dx + 1;
  // Padding on each side, leaving at least one real input row and column.
  const pads = (span: number): [number, number] => {
    const a = Math.min(int(0, 3), span - 1);
    return [a, Math.min(int(0, 3), span - 1 - a)];
  };
  const [pt, pb] = pads(spanH);
  const [pl, pr] = pads(spanW);
  const og = pick([0, 0, 1, 2, 3]);
  const gphase = og ? int(0, og - 1) : 0;
  const ocN = int(1, 9);
  const icN = int(1, 6);
  const ienc = pick([EV.ienc.LUT4, EV.ienc.LIN8]);
  const wbits = pick([EV.wbits.W4, EV.wbits.W8]);
  const stage = pick([EV.stage.ACC32, EV.stage.THRESH, EV.stage.REQUANT]);
  const fuse = rand() < 0.75 ? 1 : 0;
  const b = buffers(rand);
  const oc0 = int(0, 4);
  // Thresholds non-decreasing (as the compiler emits them) around the accumulator range; shifts ≤ 47.
  const ptab = 1024;
  for (let ch = 0; ch < oc0 + ocN; ch++) {
    if (stage === EV.stage.THRESH) {
      const thr = Array.from({ length: 15 }, () => int(-3000, 3000)).sort((x, y) => x - y);
      const dv = new DataView(b.TBL.bytes.buffer);
      for (const [k, t] of thr.entries()) dv.setInt32(ptab + TABLE_BYTES.thresh * ch + 4 * k, t, true);
    } else if (stage === EV.stage.REQUANT) {
      b.TBL.bytes[ptab + TABLE_BYTES.requant * ch + 2] = int(0, 47);
    }
  }
  const cc: Fields = {
    wbits,
    ienc,
    kh,
    kw,
    sy,
    sx,
    dy,
    dx,
    og,
    itab: int(0, 64),
    oc_n: ocN,
    oh_n: ohN,
    ow_n: owN,
    ic_n: icN,
    pt,
    pb,
    pl,
    pr,
  };
  const v: Fields = {
    stage,
    bias: int(0, 1),
    act: pick([EV.act.NONE, EV.act.RELU, EV.act.LEAKY]),
    alpha: int(0, 70000),
    btab: int(7000, 7100),
    ptab,
  };
  const ins: Fields = {
    fuse,
    accum: rand() < 0.4 || !fuse ? int(0, 1) : 0,
    inp: int(0, 40),
    wgt: int(0, 40),
    acc: 4 * int(0, 30),
    dst: int(0, 40),
    ic0: int(0, 5),
    oc0,
    gphase,
  };
  return { cc, v, ins, buffers: b };
}

function runBoth(c: Case): { fast: Buffers; reference: Buffers } {
  const fast = copy(c.buffers);
  const reference = copy(c.buffers);
  execConv(fast, c.cc, c.v, c.ins);
  referenceConv(reference, c.cc, c.v, c.ins);
  return { fast, reference };
}

function assertSame(c: Case, what: string): void {
  const { fast, reference } = runBoth(c);
  const where = `${what}: ${JSON.stringify({ ...c.cc, ...c.v, ...c.ins })}`;
  assert.deepEqual(fast.OUT, reference.OUT, `OUT differs, ${where}`);
  assert.deepEqual(fast.ACC, reference.ACC, `ACC differs, ${where}`);
}

test("random CONV tiles: the fast matrix unit writes what the spec loop writes", () => {
  const seen = new Set<string>();
  for (let seed = 1; seed <= 400; seed++) {
    const c = randomCase(seed);
    assertSame(c, `seed ${seed}`);
    seen.add(`stage${c.v.stage}-fuse${c.ins.fuse}`);
    seen.add(`ienc${c.cc.ienc}-w${c.cc.wbits}`);
    if (c.cc.og && c.ins.gphase) seen.add("grouped-phase");
    if (c.cc.ow_n! % 2) seen.add("odd-width");
    if (c.ins.accum) seen.add("accum");
  }
  for (const f of ["stage0-fuse1", "stage1-fuse1", "stage2-fuse1", "stage0-fuse0"])
    assert.ok(seen.has(f), `no case covered ${f}`);
  for (const f of ["ienc0-w0", "ienc0-w1", "ienc1-w0", "ienc1-w1", "grouped-phase", "odd-width", "accum"])
    assert.ok(seen.has(f), `no case covered ${f}`);
});

test("tiles too wide for exact float32 sums take the float64 path and stay exact, int32 wrap included", () => {
  const c = randomCase(7);
  const cc: Fields = {
    ...c.cc,
    wbits: EV.wbits.W8,
    ienc: EV.ienc.LIN8,
    kh: 3,
    kw: 3,
    sy: 1,
    sx: 1,
    dy: 1,
    dx: 1,
    og: 0,
    oc_n: 3,
    oh_n: 2,
    ow_n: 5,
    ic_n: 150,
    pt: 1,
    pb: 1,
    pl: 1,
    pr: 0,
  };
  const ins: Fields = { ...c.ins, inp: 0, wgt: 0, acc: 0, fuse: 0, accum: 1, gphase: 0 };
  // Weights and inputs at the int8 extremes: |Σ| reaches 150·9·128·128 ≈ 2^24.4.
  c.buffers.WGT.fill(0x80);
  c.buffers.INP.fill(0);
  c.buffers.ACC32.fill(2 ** 31 - 5);
  const n = cc.oc_n! * cc.ic_n! * 9;
  assert.equal(exactInFloat32(decodeWeights(c.buffers.WGT, 0, n, true), cc.ic_n! * 9, 128), false);
  assertSame({ ...c, cc, ins }, "wide");
  assertSame({ ...c, cc, ins: { ...ins, fuse: 1 }, v: { ...c.v, stage: EV.stage.ACC32 } }, "wide fused");
});

test("W4 weight nibbles decode as signed, low nibble first, odd counts included", () => {
  assert.deepEqual(Array.from(decodeWeights(Uint8Array.from([0x8f, 0x07]), 0, 3, false)), [-1, -8, 7]);
  assert.deepEqual(Array.from(decodeWeights(Uint8Array.from([0x80, 0x7f]), 0, 2, true)), [-128, 127]);
  // offset binary (activation operands): q − 8, q − 128
  assert.deepEqual(
    Array.from(decodeWeights(Uint8Array.from([0x8f, 0x07]), 0, 3, false, undefined, true)),
    [7, 0, -1],
  );
  assert.deepEqual(
    Array.from(decodeWeights(Uint8Array.from([0x80, 0x7f]), 0, 2, true, undefined, true)),
    [0, -1],
  );
});

test("out-of-range tiles are refused once, with the reference's messages", () => {
  const c = randomCase(3);
  const tooFar = { ...c.ins, inp: SIZES.INP - 1 };
  assert.throws(() => execConv(copy(c.buffers), c.cc, c.v, tooFar), /CONV input: bytes/);
  assert.throws(() => referenceConv(copy(c.buffers), c.cc, c.v, tooFar), /CONV input: bytes/);
  const badTable = { ...c.cc, itab: SIZES.TBL - 4 };
  assert.throws(() => execConv(copy(c.buffers), badTable, c.v, c.ins), /CONV decode table: TBL bytes/);
  const int4 = { ...c.cc, ienc: EV.ienc.INT4 };
  assert.throws(() => execConv(copy(c.buffers), int4, c.v, c.ins), SimError);
});
