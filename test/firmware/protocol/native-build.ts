/**
 * Builds the firmware protocol code with the host's gcc for tests: the native device emulator and the
 * vector driver. Binaries are cached in the OS temp folder under a hash of every source and flag, and
 * renamed into place atomically, so test files running in parallel share one build.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { projectRoot } from "../../../compiler/paths.js";

export const CFLAGS = ["-std=c11", "-O2", "-Wall", "-Wextra", "-Wpedantic", "-Wshadow", "-Werror"];

/** Why native C tests cannot run here, or undefined when gcc is available. */
export function gccMissing(): string | undefined {
  const r = spawnSync("gcc", ["--version"], { encoding: "utf8" });
  return r.status === 0
    ? undefined
    : "host gcc not found: the firmware protocol tests need it (apt-get install gcc)";
}

export function protocolSources(root: string = projectRoot()): string[] {
  const dir = join(root, "firmware", "protocol");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".c"))
    .sort()
    .map((f) => join(dir, f));
}

/** Compiles firmware/protocol/*.c with test/firmware/protocol/<main>.c; returns the binary's path. */
export function buildNative(
  main: "native_device" | "vectors_driver",
  defines: readonly string[] = [],
): string {
  const root = projectRoot();
  const sources = [...protocolSources(root), join(root, "test", "firmware", "protocol", `${main}.c`)];
  const includes = ["firmware/include", "firmware/protocol"].map((d) => join(root, d));
  const headers = includes.flatMap((d) =>
    readdirSync(d)
      .filter((f) => f.endsWith(".h"))
      .sort()
      .map((f) => join(d, f)),
  );
  const hash = createHash("sha256");
  for (const f of [...sources, ...headers]) hash.update(f).update(readFileSync(f));
  hash.update(JSON.stringify([CFLAGS, defines]));
  const dir = join(tmpdir(), "quart-protocol-build");
  mkdirSync(dir, { recursive: true });
  const out = join(dir, `${main}-${hash.digest("hex").slice(0, 16)}`);
  if (existsSync(out)) return out;
  const partial = `${out}.${process.pid}.tmp`;
  execFileSync(
    "gcc",
    [...CFLAGS, ...defines.map((d) => `-D${d}`), ...includes.map((d) => `-I${d}`), ...sources, "-o", partial],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  renameSync(partial, out);
  return out;
}
