/**
 * Writes every file derived from spec.ts: the C header, docs/protocol.md and the shared test vectors.
 * Run after `npx tsc -p .` with `node dist/host/protocol/gen.js` (add `--check` to only compare).
 * A test calls generatedFiles() and fails when a committed file differs.
 */

import { fileURLToPath } from "node:url";
import { runGenerator, staleGenerated } from "../../compiler/generated.js";
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

/** Paths whose content on disk differs from what the spec generates. */
export function staleFiles(root: string = projectRoot()): string[] {
  return staleGenerated(generatedFiles(), root);
}

function main(argv: readonly string[]): number {
  return runGenerator(generatedFiles(), argv, "node dist/host/protocol/gen.js");
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1])
  process.exitCode = main(process.argv.slice(2));
