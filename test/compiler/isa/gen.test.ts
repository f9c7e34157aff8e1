import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { BLOB_CHECKS } from "../../../compiler/blob/spec.js";
import { generatedFiles, staleFiles } from "../../../compiler/isa/gen.js";
import { ISA_HASH, OPCODES } from "../../../compiler/isa/spec.js";
import { projectRoot } from "../../../compiler/paths.js";

const has = (tool: string): boolean => spawnSync(tool, ["--version"], { stdio: "ignore" }).status === 0;

test("generated ISA and blob files match the specs (run node dist/compiler/isa/gen.js after editing)", () => {
  assert.deepEqual(staleFiles(), []);
});

test("a changed file is reported as stale", () => {
  const dir = mkdtempSync(join(tmpdir(), "quart-gen-"));
  try {
    assert.equal(staleFiles(dir).length, generatedFiles().size);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the generated files carry every opcode, the hash and every blob check", () => {
  const files = generatedFiles();
  const hash = ISA_HASH.toString(16).padStart(8, "0");
  for (const o of OPCODES) {
    assert.ok(files.get("docs/isa.md")!.includes(`### ${o.name}`), o.name);
    assert.ok(files.get("fpga/rtl/accel/isa_defs.vh")!.includes(`OP_${o.name} = 5'd${o.code};`), o.name);
    assert.ok(
      files.get("firmware/include/quart_isa.h")!.includes(`#define QI_OP_${o.name} ${o.code}u`),
      o.name,
    );
  }
  assert.ok(files.get("fpga/rtl/accel/isa_defs.vh")!.includes(`32'h${hash}`));
  assert.ok(files.get("firmware/include/quart_isa.h")!.includes(`0x${hash}u`));
  for (const c of BLOB_CHECKS) assert.ok(files.get("docs/blob.md")!.includes(`\`${c.name}\``), c.name);
});

test("the Verilog header elaborates in a module under verilator -Wall", {
  skip: !has("verilator") && "no verilator",
}, () => {
  const dir = mkdtempSync(join(tmpdir(), "quart-vh-"));
  try {
    const src = join(dir, "isa_check.v");
    writeFileSync(
      src,
      [
        "`default_nettype none",
        "module isa_check (input wire [127:0] i_word, output wire o_conv, output wire [19:0] o_inp);",
        '`include "isa_defs.vh"',
        "  assign o_conv = i_word[ISA_OPCODE_BITS-1:0] == OP_CONV;",
        "  assign o_inp = i_word[CONV_INP_LSB +: CONV_INP_W];",
        "  wire unused = &{1'b0, i_word[127:CONV_INP_LSB+CONV_INP_W], i_word[CONV_INP_LSB-1:ISA_OPCODE_BITS]};",
        "endmodule",
        "",
      ].join("\n"),
    );
    const inc = join(projectRoot(), "fpga", "rtl", "accel");
    execFileSync("verilator", ["--lint-only", "-Wall", `-I${inc}`, src], { stdio: "pipe" });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the C header compiles and extracts fields like the TS decoder", {
  skip: !has("gcc") && "no gcc",
}, () => {
  const dir = mkdtempSync(join(tmpdir(), "quart-h-"));
  try {
    const src = join(dir, "t.c");
    // CONV inp = 0x12345 at its LSB, packed by hand into four little-endian words.
    const conv = OPCODES.find((o) => o.name === "CONV")!.fields.find((f) => f.name === "inp")!;
    const word = 0x12345n << BigInt(conv.lsb);
    const words = [0, 1, 2, 3].map((i) => `0x${((word >> BigInt(32 * i)) & 0xffffffffn).toString(16)}u`);
    writeFileSync(
      src,
      `#include <stdio.h>\n#include "quart_isa.h"\nint main(void) { uint32_t w[4] = {${words.join(", ")}};\n` +
        `printf("%x\\n", qi_field(w, QI_CONV_INP_LSB, QI_CONV_INP_WIDTH)); return 0; }\n`,
    );
    const exe = join(dir, "t");
    execFileSync("gcc", [
      "-std=c99",
      "-Wall",
      "-Wextra",
      "-Werror",
      `-I${join(projectRoot(), "firmware", "include")}`,
      src,
      "-o",
      exe,
    ]);
    assert.equal(execFileSync(exe).toString().trim(), "12345");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("docs/isa.md documents the targets' buffer sizes", () => {
  const md = readFileSync(join(projectRoot(), "docs", "isa.md"), "utf8");
  assert.match(md, /\| icebreaker \| 24 MHz \| 4×8 \|/);
  assert.match(md, /\| asic28 \| 1000 MHz \| 32×32 \|/);
});
