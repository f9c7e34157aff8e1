/** Verilator -Wall lint of every RTL target (no warnings allowed). */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { LINT_TARGETS, RTL_INCLUDE_DIRS } from "../../fpga/build/sources.js";
import { fromRoot } from "../../sim/device/paths.js";
import { CommandError, run } from "../../sim/device/tools.js";
import { skipUnless } from "./cpu/cpu-harness.js";

describe("verilator --lint-only -Wall", { skip: skipUnless(["verilator"]) }, () => {
  for (const t of LINT_TARGETS) {
    const params = Object.entries(t.params ?? {}).map(([k, v]) => `-G${k}=${v}`);
    const defines = (t.defines ?? []).map((d) => `-D${d}`);
    const flags = [...params, ...defines];
    test(`${t.top}${flags.length ? ` ${flags.join(" ")}` : ""}`, async () => {
      try {
        const { stderr } = await run("verilator", [
          "--lint-only",
          "-Wall",
          ...[...RTL_INCLUDE_DIRS, ...(t.includes ?? [])].map((d) => `-I${fromRoot(d)}`),
          ...flags,
          "--top-module",
          t.top,
          ...t.files.map((f) => fromRoot(f)),
        ]);
        assert.equal(stderr.trim(), "", stderr);
      } catch (e) {
        assert.fail(e instanceof CommandError ? e.stderr : String(e));
      }
    });
  }
});
