import assert from "node:assert/strict";
import { test } from "node:test";
import {
  decodeInstr,
  decodeProgram,
  encodeInstr,
  encodeProgram,
  encodeWord,
  IsaError,
  normalizeInstr,
} from "../../../compiler/isa/encode.js";
import { DEP_FLAGS, ENUMS, type Instr, OPCODES } from "../../../compiler/isa/spec.js";
import { seededRandom } from "../../helpers/onnx-random.js";

/** A random valid instruction of every opcode (fields uniformly over their range, enums over values). */
export function randomInstr(r: () => number): Instr {
  const op = OPCODES[Math.floor(r() * OPCODES.length)]!;
  const out: Record<string, number | string> = { op: op.name };
  if (op.queue !== "fetch") for (const f of DEP_FLAGS) out[f] = r() < 0.5 ? 1 : 0;
  for (const fd of op.fields) {
    if (fd.enum) {
      const vs = ENUMS[fd.enum].values;
      out[fd.name] = vs[Math.floor(r() * vs.length)]!.value;
    } else {
      // Mix extremes with uniform values: the edges are where encodings break.
      const roll = r();
      out[fd.name] =
        roll < 0.1 ? fd.min : roll < 0.2 ? fd.max : fd.min + Math.floor(r() * (fd.max - fd.min + 1));
    }
  }
  return out as unknown as Instr;
}

test("encode/decode round-trips random instructions of every opcode", () => {
  const r = seededRandom(42);
  for (let i = 0; i < 3000; i++) {
    const instr = randomInstr(r);
    const bytes = encodeInstr(instr);
    assert.equal(bytes.length, 16);
    assert.deepEqual(decodeInstr(bytes), normalizeInstr(instr));
  }
});

test("programs round-trip and keep their order", () => {
  const r = seededRandom(7);
  const prog = Array.from({ length: 200 }, () => randomInstr(r));
  assert.deepEqual(decodeProgram(encodeProgram(prog)), prog.map(normalizeInstr));
});

test("the opcode sits in bits 0..4 and the dep flags in bits 5..8", () => {
  const w = encodeWord({ op: "CONV", pop_prev: 1, push_next: 1 });
  assert.equal(Number(w & 31n), 8);
  assert.equal(Number((w >> 5n) & 15n), 0b1001);
});

test("counts are stored minus one and signed fields in two's complement", () => {
  const w = encodeWord({ op: "LOOP", count: 1, body: 256, patches: 0 });
  assert.equal(Number((w >> 9n) & 0xffffn), 0);
  assert.equal(Number((w >> 25n) & 0xffn), 255);
  const p = encodeWord({ op: "LPATCH", index: 0, field: 0, mode: 0, stride: -1 });
  assert.equal(Number((p >> 24n) & 0xffffffffn), 0xffffffff);
  assert.equal(decodeInstr(encodeInstr({ op: "LPATCH", stride: -(2 ** 31) })).op, "LPATCH");
});

test("invalid instructions are refused with the field named", () => {
  assert.throws(() => encodeInstr({ op: "CONV", inp: 2 ** 20 }), /CONV\.inp = 1048576 is outside/);
  assert.throws(() => encodeInstr({ op: "LOAD", n0: 0 }), /LOAD\.n0 = 0/);
  assert.throws(() => encodeInstr({ op: "LOAD", buf: 7 }), /not a buf value/);
  assert.throws(() => encodeInstr({ op: "CONV", kh: 3 } as unknown as Instr), /CONV has no field "kh"/);
  assert.throws(() => encodeInstr({ op: "LOOP", pop_prev: 1 }), /dependency flags must be 0/);
  assert.throws(() => encodeInstr({ op: "CONV", inp: 1.5 }), IsaError);
});

test("decode refuses unknown opcodes and set reserved bits", () => {
  const bytes = new Uint8Array(16);
  bytes[0] = 31;
  assert.throws(() => decodeInstr(bytes), /unknown opcode 31/);
  const nop = encodeInstr({ op: "NOP" });
  nop[15] = 0x80;
  assert.throws(() => decodeInstr(nop), /reserved bits/);
  assert.throws(() => decodeProgram(new Uint8Array(17)), /not a multiple of 16/);
});
