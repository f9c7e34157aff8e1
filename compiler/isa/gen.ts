/**
 * Writes every file derived from the ISA spec (and the blob spec). Run after `npx tsc -p .`:
 *   node dist/compiler/isa/gen.js           write the generated files
 *   node dist/compiler/isa/gen.js --check   exit 1 if any generated file differs
 * A test calls staleFiles() and fails on drift.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { renderBlobMarkdown } from "../blob/doc.js";
import { projectRoot } from "../paths.js";
import { renderC, renderMarkdown, renderVerilog } from "./render.js";
import { validateSpec } from "./spec.js";
import { TARGETS, validateTarget } from "./targets.js";

/** Project-relative path → content. */
export function generatedFiles(): Map<string, string> {
  validateSpec();
  for (const t of Object.values(TARGETS)) validateTarget(t);
  return new Map([
    ["docs/isa.md", renderMarkdown()],
    ["fpga/rtl/accel/isa_defs.vh", renderVerilog()],
    ["firmware/include/quart_isa.h", renderC()],
    ["docs/blob.md", renderBlobMarkdown()],
  ]);
}

/** Paths whose content on disk differs from what the specs generate. */
export function staleFiles(root: string = projectRoot()): string[] {
  const stale: string[] = [];
  for (const [rel, content] of generatedFiles()) {
    let current: string | undefined;
    try {
      current = readFileSync(join(root, rel), "utf8");
    } catch {
      current = undefined;
    }
    if (current !== content) stale.push(rel);
  }
  return stale;
}

function main(argv: readonly string[]): number {
  const root = projectRoot();
  if (argv.includes("--check")) {
    const stale = staleFiles(root);
    for (const rel of stale) process.stderr.write(`stale: ${rel} (run node dist/compiler/isa/gen.js)\n`);
    return stale.length ? 1 : 0;
  }
  for (const [rel, content] of generatedFiles()) {
    const path = join(root, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    process.stderr.write(`wrote ${rel}\n`);
  }
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1])
  process.exitCode = main(process.argv.slice(2));
