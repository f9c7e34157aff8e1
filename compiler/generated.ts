/**
 * Generated files (headers, docs, test vectors) are derived from one spec each: the generators share
 * this check-or-write step, so every drift test and every `gen.js --check` means the same thing.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { projectRoot } from "./paths.js";

export type GeneratedFiles = ReadonlyMap<string, string>;

/** Paths (relative to `root`) whose content on disk differs from the generated content. */
export function staleGenerated(files: GeneratedFiles, root: string = projectRoot()): string[] {
  const stale: string[] = [];
  for (const [rel, content] of files) {
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

/** `--check`: exit 1 listing stale files; otherwise write every file. Returns the exit code. */
export function runGenerator(files: GeneratedFiles, argv: readonly string[], command: string): number {
  const root = projectRoot();
  if (argv.includes("--check")) {
    const stale = staleGenerated(files, root);
    for (const rel of stale) process.stderr.write(`stale: ${rel} (run ${command})\n`);
    return stale.length ? 1 : 0;
  }
  for (const [rel, content] of files) {
    const path = join(root, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    process.stderr.write(`wrote ${rel}\n`);
  }
  return 0;
}
