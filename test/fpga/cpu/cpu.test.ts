/**
 * CPU instruction tests: each program runs on the RTL (fpga/rtl/cpu via iverilog) and on the TS reference
 * (sim/device/rv32i-ref.ts); the traces (one line per retired instruction with its register and memory
 * writes), the halt cause, the cycle/instret counts and the final memory must be identical.
 */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { HALT, Rv32iRef } from "../../../sim/device/rv32i-ref.js";
import {
  ASM_TOOLS,
  assemble,
  buildCpuTb,
  firstDifference,
  PROGRAM_DIR,
  runTb,
  skipUnless,
  TB_TOOLS,
  tempDir,
  wordsToImage,
} from "./cpu-harness.js";
import { enc, OP_F3, rng } from "./encode.js";

const skipTb = skipUnless(TB_TOOLS);
const skipAsm = skipUnless([...ASM_TOOLS, ...TB_TOOLS]);

/** RV32I mnemonic of an instruction word (for the coverage check). */
function mnemonic(w: number): string {
  const op = w & 0x7f;
  const f3 = (w >>> 12) & 7;
  const alt = (w >>> 30) & 1;
  switch (op) {
    case 0x37:
      return "lui";
    case 0x17:
      return "auipc";
    case 0x6f:
      return "jal";
    case 0x67:
      return "jalr";
    case 0x63:
      return ["beq", "bne", "?", "?", "blt", "bge", "bltu", "bgeu"][f3]!;
    case 0x03:
      return ["lb", "lh", "lw", "?", "lbu", "lhu", "?", "?"][f3]!;
    case 0x23:
      return ["sb", "sh", "sw"][f3] ?? "?";
    case 0x13:
      return f3 === 5
        ? alt
          ? "srai"
          : "srli"
        : ["addi", "slli", "slti", "sltiu", "xori", "", "ori", "andi"][f3]!;
    case 0x33:
      if (f3 === 0) return alt ? "sub" : "add";
      if (f3 === 5) return alt ? "sra" : "srl";
      return ["", "sll", "slt", "sltu", "xor", "", "or", "and"][f3]!;
    case 0x0f:
      return f3 === 0 ? "fence" : "fence.i";
    case 0x73:
      return ["ecall", "csrrw", "csrrs", "csrrc", "?", "csrrwi", "csrrsi", "csrrci"][f3]!;
    default:
      return "?";
  }
}

const ALL = [
  ..."lui auipc jal jalr beq bne blt bge bltu bgeu lb lh lw lbu lhu sb sh sw".split(" "),
  ..."addi slti sltiu xori ori andi slli srli srai add sub sll slt sltu xor srl sra or and".split(" "),
  ..."fence fence.i csrrs csrrc csrrsi csrrci".split(" "),
];

function refRun(image: Uint8Array) {
  return new Rv32iRef(image).run();
}

function assertSame(name: string, ref: readonly string[], rtl: readonly string[]): void {
  const diff = firstDifference(ref, rtl);
  assert.equal(diff, undefined, `${name}: RTL and reference differ\n${diff}`);
}

const withoutCycles = (lines: readonly string[]): string[] => lines.filter((l) => !l.startsWith("end "));

describe("rv32i_cpu vs TS reference", { skip: skipAsm }, () => {
  let vvp = "";
  let dir = "";
  const seen = new Set<string>();
  before(async () => {
    dir = tempDir("cpu");
    vvp = await buildCpuTb(dir);
  });

  const programs = readdirSync(PROGRAM_DIR).filter((f) => f.endsWith(".S"));
  for (const file of programs) {
    test(`program ${file}`, async () => {
      const image = await assemble(join(PROGRAM_DIR, file), dir);
      const ref = refRun(image);
      const rtl = await runTb(vvp, image);
      assertSame(file, ref.lines, rtl);
      for (const l of ref.lines) {
        const m = /^[0-9a-f]{8} ([0-9a-f]{8})/.exec(l);
        if (m) seen.add(mnemonic(Number.parseInt(m[1]!, 16)));
      }
      const expectedCause = file === "csr.S" ? HALT.ECALL : HALT.EBREAK;
      assert.equal(ref.haltCause, expectedCause, `${file} should end with its ecall/ebreak`);
      // Independent checks of the reference itself.
      if (file === "branches.S") {
        assert.notEqual(ref.regs[30], 0xbad, "a branch went the wrong way");
        assert.equal(ref.regs[31], 9);
        assert.equal(ref.regs[11], 55);
      }
      if (file === "loadstore.S") {
        assert.equal(ref.regs[5], 0xffffff80); // lb of 0x80
        assert.equal(ref.regs[6], 0x80); // lbu of 0x80
        assert.equal(ref.regs[7], 0xfffffedc); // lh of 0xfedc
        assert.equal(ref.regs[8], 0xfedc); // lhu
        assert.equal(ref.regs[9], 0); // word before dst
      }
      if (file === "sort.S") {
        const arr = [9, -3, 200, 7, 0, 0x7fffffff, -2147483648, 42, 5, 5, -1, 13, 1000, -77, 3, 64].sort(
          (a, b) => a - b,
        );
        let sum = 0;
        for (const v of arr) sum = ((sum << 1) ^ v) >>> 0;
        assert.equal(ref.regs[12], sum);
      }
      if (file === "csr.S") {
        assert.equal(ref.regs[5], 4, "instret counts retired instructions");
        assert.ok(ref.regs[15]! > 0, "cycle advances");
      }
      if (file !== "csr.S") {
        const stalled = await runTb(vvp, image, { stallSeed: 12345 });
        assertSame(`${file} with wait states`, withoutCycles(ref.lines), withoutCycles(stalled));
      }
    });
  }

  test("every RV32I instruction was executed by the programs", () => {
    const missing = ALL.filter((m) => !seen.has(m));
    assert.deepEqual(missing, [], `not covered: ${missing.join(" ")}`);
  });

  // Halts: each case is [name, program words, expected cause, expected halt pc].
  const li1 = enc.opimm(0, 1, 0, 1); // x1 = 1 (retires before the halt)
  const halts: Array<[string, number[], number, number]> = [
    ["ecall", [li1, enc.ecall, li1], HALT.ECALL, 4],
    ["ebreak", [li1, enc.ebreak], HALT.EBREAK, 4],
    ["all zeros", [li1, 0], HALT.ILLEGAL, 4],
    ["all ones", [li1, 0xffffffff], HALT.ILLEGAL, 4],
    ["compressed (low bits != 11)", [li1, 0x00000001], HALT.ILLEGAL, 4],
    ["load funct3=3 (ld)", [li1, enc.load(3, 2, 0, 0)], HALT.ILLEGAL, 4],
    ["load funct3=6 (lwu)", [li1, enc.load(6, 2, 0, 0)], HALT.ILLEGAL, 4],
    ["store funct3=3 (sd)", [li1, enc.store(3, 2, 0, 0)], HALT.ILLEGAL, 4],
    ["branch funct3=2", [li1, enc.branch(2, 0, 0, 8)], HALT.ILLEGAL, 4],
    ["jalr funct3=1", [li1, (enc.jalr(1, 0, 0) | (1 << 12)) >>> 0], HALT.ILLEGAL, 4],
    ["mul (M extension)", [li1, (enc.op(0, 2, 1, 1) | (1 << 25)) >>> 0], HALT.ILLEGAL, 4],
    ["sub-like xor (funct7=0x20)", [li1, enc.op(OP_F3.xor, 2, 1, 1, true)], HALT.ILLEGAL, 4],
    ["slli with funct7!=0", [li1, (enc.opimm(1, 2, 1, 3) | (0x20 << 25)) >>> 0], HALT.ILLEGAL, 4],
    ["srli with funct7=1", [li1, (enc.opimm(5, 2, 1, 3) | (1 << 25)) >>> 0], HALT.ILLEGAL, 4],
    ["fence funct3=2", [li1, 0x0000200f], HALT.ILLEGAL, 4],
    ["mret", [li1, 0x30200073], HALT.ILLEGAL, 4],
    ["wfi", [li1, 0x10500073], HALT.ILLEGAL, 4],
    ["csrrw cycle (write)", [li1, enc.csr(1, 2, 0, 0xc00)], HALT.ILLEGAL, 4],
    ["csrrs cycle with rs1!=0 (write)", [li1, enc.csr(2, 2, 1, 0xc00)], HALT.ILLEGAL, 4],
    ["csrrci instret with uimm!=0", [li1, enc.csr(7, 2, 1, 0xc02)], HALT.ILLEGAL, 4],
    ["csrr mstatus (unsupported)", [li1, enc.csr(2, 2, 0, 0x300)], HALT.ILLEGAL, 4],
    ["csrr 0xc03 (hpmcounter3)", [li1, enc.csr(2, 2, 0, 0xc03)], HALT.ILLEGAL, 4],
    ["csr funct3=4", [li1, enc.csr(4, 2, 0, 0xc00)], HALT.ILLEGAL, 4],
    ["jal to pc+2", [li1, enc.jal(1, 6)], HALT.MISALIGNED_FETCH, 4],
    ["taken branch to pc+6", [li1, enc.branch(0, 0, 0, 6)], HALT.MISALIGNED_FETCH, 4],
    ["not-taken branch to pc+6 is fine", [li1, enc.branch(1, 0, 0, 6), enc.ebreak], HALT.EBREAK, 8],
    ["jalr to 2 (bit 1 set)", [li1, enc.jalr(1, 0, 2)], HALT.MISALIGNED_FETCH, 4],
    ["jalr to 3 (bit 0 cleared, bit 1 set)", [li1, enc.jalr(1, 0, 3)], HALT.MISALIGNED_FETCH, 4],
    ["lw at 2", [li1, enc.load(2, 2, 0, 2)], HALT.MISALIGNED_LOAD, 4],
    ["lh at 1", [li1, enc.load(1, 2, 0, 1)], HALT.MISALIGNED_LOAD, 4],
    ["lhu at 3", [li1, enc.load(5, 2, 0, 3)], HALT.MISALIGNED_LOAD, 4],
    ["lb at 3 is fine", [li1, enc.load(0, 2, 0, 3), enc.ebreak], HALT.EBREAK, 8],
    ["sw at 1", [li1, enc.store(2, 1, 0, 0x101)], HALT.MISALIGNED_STORE, 4],
    ["sh at 3", [li1, enc.store(1, 1, 0, 0x103)], HALT.MISALIGNED_STORE, 4],
    ["sh at 2 is fine", [li1, enc.store(1, 1, 0, 0x102), enc.ebreak], HALT.EBREAK, 8],
  ];
  for (const [name, words, cause, pc] of halts) {
    test(`halt: ${name}`, { skip: skipTb }, async () => {
      const image = wordsToImage(words);
      const ref = refRun(image);
      assert.equal(ref.haltCause, cause, "reference halt cause");
      assert.equal(ref.haltPc, pc, "reference halt pc");
      assert.equal(ref.regs[2], 0, "the halting instruction must not write rd");
      assertSame(name, ref.lines, await runTb(vvp, image));
    });
  }

  /** Random straight-line code with forward branches, loads and stores into a 256-byte window at 0x4000. */
  function randomProgram(seed: number, length: number): number[] {
    const rand = rng(seed);
    const pick = (n: number) => rand() % n;
    const reg = () => 1 + pick(14); // x1..x14; x15 = data base
    const words: number[] = [enc.lui(15, 4)];
    for (let r = 1; r < 15; r++) words.push(enc.lui(r, rand() >>> 12), enc.opimm(0, r, r, rand()));
    while (words.length < length) {
      const k = pick(10);
      if (k < 3) words.push(enc.op(pick(8), reg(), reg(), reg(), false));
      else if (k === 3) words.push(enc.op([0, 5][pick(2)]!, reg(), reg(), reg(), true));
      else if (k === 4) {
        const f3 = pick(8);
        const imm = f3 === 1 || f3 === 5 ? pick(32) | (f3 === 5 && pick(2) ? 0x400 : 0) : rand();
        words.push(enc.opimm(f3, reg(), reg(), imm));
      } else if (k === 5) words.push(pick(2) ? enc.lui(reg(), rand()) : enc.auipc(reg(), rand()));
      else if (k === 6) {
        const f3 = [0, 1, 2, 4, 5][pick(5)]!;
        const size = 1 << (f3 & 3);
        words.push(enc.load(f3, reg(), 15, pick(256 / size) * size));
      } else if (k === 7) {
        const f3 = pick(3);
        const size = 1 << f3;
        words.push(enc.store(f3, reg(), 15, pick(256 / size) * size));
      } else if (k === 8)
        words.push(enc.branch([0, 1, 4, 5, 6, 7][pick(6)]!, reg(), reg(), 4 * (1 + pick(4))));
      else words.push(enc.csr(2, reg(), 0, 0xc02));
    }
    words.push(enc.ebreak, enc.ebreak, enc.ebreak, enc.ebreak);
    return words;
  }

  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    test(`random program seed ${seed}`, { skip: skipTb }, async () => {
      const image = wordsToImage(randomProgram(seed, 400));
      const ref = refRun(image);
      assert.equal(ref.haltCause, HALT.EBREAK);
      assert.ok(ref.instret > 250n, "most of the program ran");
      assertSame(`seed ${seed}`, ref.lines, await runTb(vvp, image));
      assertSame(
        `seed ${seed} with wait states`,
        withoutCycles(ref.lines),
        withoutCycles(await runTb(vvp, image, { stallSeed: seed })),
      );
    });
  }
});
