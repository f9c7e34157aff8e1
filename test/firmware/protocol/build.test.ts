/**
 * The firmware protocol code builds for the soft CPU (rv32i, flags of DESIGN.md §3) without warnings,
 * and its code size stays within budget: the SoC's boot ROM holds the whole firmware.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { test } from "node:test";
import { projectRoot } from "../../../compiler/paths.js";
import { protocolSources } from "./native-build.js";

const CC = "riscv64-unknown-elf-gcc";
const missing =
  spawnSync(CC, ["--version"]).status === 0
    ? undefined
    : `${CC} not found (apt-get install gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf)`;

/**
 * .text + .rodata of all protocol objects at -Os (unused functions included): a regression guard set
 * just above the measured ~15.0 KB, of which 1 KiB is the byte table of the bulk CRC-32 (the blob
 * readback at LOAD_END). RV32I has no compressed instructions (rv32imc would be ~9 KB).
 */
const CODE_BUDGET = 15.5 * 1024;

test("firmware/protocol compiles for rv32i with -Werror and fits its code budget", { skip: missing }, (t) => {
  const root = projectRoot();
  const dir = mkdtempSync(join(tmpdir(), "quart-protocol-rv32-"));
  try {
    const objects: string[] = [];
    for (const src of protocolSources(root)) {
      const obj = join(dir, basename(src).replace(/\.c$/, ".o"));
      execFileSync(CC, [
        "-march=rv32i",
        "-mabi=ilp32",
        "--specs=picolibc.specs",
        "-Os",
        "-std=c11",
        "-Wall",
        "-Wextra",
        "-Wpedantic",
        "-Werror",
        "-ffunction-sections",
        "-fdata-sections",
        `-I${join(root, "firmware", "include")}`,
        `-I${join(root, "firmware", "protocol")}`,
        "-c",
        src,
        "-o",
        obj,
      ]);
      objects.push(obj);
    }
    const size = execFileSync("riscv64-unknown-elf-size", ["-A", ...objects], { encoding: "utf8" });
    let code = 0;
    let data = 0;
    for (const line of size.split("\n")) {
      const m = /^\.(text|rodata|data|bss|sdata|sbss)\S*\s+(\d+)/.exec(line);
      if (!m) continue;
      if (m[1] === "text" || m[1] === "rodata") code += Number(m[2]);
      else data += Number(m[2]);
    }
    t.diagnostic(
      `rv32i -Os: ${code} bytes of code and constants, ${data} bytes of static data (state lives in qp_device_t)`,
    );
    assert.ok(code > 0);
    assert.ok(code <= CODE_BUDGET, `${code} > ${CODE_BUDGET} bytes`);
    assert.equal(data, 0, "no hidden static state: everything is in qp_device_t");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
