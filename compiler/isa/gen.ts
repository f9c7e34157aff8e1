/**
 * Writes every file derived from the ISA spec (and the blob spec). Run after `npx tsc -p .`:
 *   node dist/compiler/isa/gen.js           write the generated files
 *   node dist/compiler/isa/gen.js --check   exit 1 if any generated file differs
 * A test calls staleFiles() and fails on drift.
 */

import { fileURLToPath } from "node:url";
import { renderBlobMarkdown } from "../blob/doc.js";
import { runGenerator, staleGenerated } from "../generated.js";
import { projectRoot } from "../paths.js";
import { renderC, renderMarkdown, renderVerilog } from "./render.js";
import { renderExp2Rom } from "./render-roms.js";
import { validateSpec } from "./spec.js";
import { TARGETS, validateTarget } from "./targets.js";

/** Project-relative path → content. */
export function generatedFiles(): Map<string, string> {
  validateSpec();
  for (const t of Object.values(TARGETS)) validateTarget(t);
  return new Map([
    ["docs/isa.md", renderMarkdown()],
    ["fpga/rtl/accel/isa_defs.vh", renderVerilog()],
    ["fpga/rtl/accel/quart_exp2_rom.vh", renderExp2Rom()],
    ["firmware/include/quart_isa.h", renderC()],
    ["docs/blob.md", renderBlobMarkdown()],
  ]);
}

/** Paths whose content on disk differs from what the spec generates. */
export function staleFiles(root: string = projectRoot()): string[] {
  return staleGenerated(generatedFiles(), root);
}

function main(argv: readonly string[]): number {
  return runGenerator(generatedFiles(), argv, "node dist/compiler/isa/gen.js");
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1])
  process.exitCode = main(process.argv.slice(2));
