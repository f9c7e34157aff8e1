/** Where the project and the read-only shared data live, resolved from this module's location. */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

let root: string | undefined;

/** The folder holding package.json (works from sources and from dist/). */
export function projectRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error("cannot find the project root (no package.json above the compiler)");
    dir = up;
  }
  root = dir;
  return dir;
}

/** The shared data folder next to the project root (QUART_SHARED overrides it). */
export function sharedDir(): string {
  return process.env.QUART_SHARED
    ? resolve(process.env.QUART_SHARED)
    : resolve(projectRoot(), "..", "shared");
}

export function sharedPath(...parts: string[]): string {
  return join(sharedDir(), ...parts);
}

export const PYDNET_DIR = ["models", "pydnet-mobile"] as const;

export function pydnetModelPath(): string {
  return sharedPath(...PYDNET_DIR, "mobile_pydnet_pruned35.tflite");
}

/** A message naming what is missing, or undefined when every path exists. */
export function missingShared(paths: readonly string[]): string | undefined {
  const missing = paths.filter((p) => !existsSync(p));
  return missing.length
    ? `shared data missing: ${missing.join(", ")} (expected next to the project as ../shared)`
    : undefined;
}
