/** Locating the project root from compiled (dist/) or source modules, independent of the working directory. */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

let cached: string | undefined;

/** The folder holding quart's package.json (searched upwards from this module). */
export function projectRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, "utf8")).name === "quart") {
      cached = dir;
      return dir;
    }
    const up = resolve(dir, "..");
    if (up === dir) throw new Error("quart project root (package.json) not found above this module");
    dir = up;
  }
}

/** Absolute path of a project-relative path. */
export function fromRoot(...parts: string[]): string {
  return join(projectRoot(), ...parts);
}
