/**
 * Writes every file derived from spec.ts: the C header, docs/protocol.md and the shared test vectors.
 * Run after `npx tsc -p .` with `node dist/host/protocol/gen.js` (add `--check` to only compare).
 * A test calls generatedFiles() and fails when a committed file differs.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { projectRoot } from "../../compiler/paths.js";
import { GENERATED_NOTE, renderHeader } from "./gen-c.js";
import { renderDocs } from "./gen-docs.js";
import { vectorFiles } from "./vectors.js";

export const VECTOR_DIR = "test/vectors/protocol";

/** Project-relative path → content. */
export function generatedFiles(): Map<string, string> {
  const files = new Map([
    ["firmware/include/quart_protocol.h", renderHeader()],
    ["docs/protocol.md", renderDocs()],
  ]);
  for (const [name, text] of vectorFiles(GENERATED_NOTE)) files.set(`${VECTOR_DIR}/${name}`, text);
  return files;
}

/** Paths whose committed content differs from what the spec generates. */
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
    for (const rel of stale) process.stderr.write(`stale: ${rel} (run node dist/host/protocol/gen.js)\n`);
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
