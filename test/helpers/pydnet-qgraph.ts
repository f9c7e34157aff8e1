/**
 * PyDNet-mobile quantized once per set of options and kept under build/cache/: tests that need the real
 * model lower the cached quantized graph (`quart compile <file>.qgraph --target ...`) instead of running
 * the PTQ pipeline again. The key covers the model file, the options and the compiled sources of every
 * stage that shapes the graph (import, IR passes, PTQ), so a change there quantizes afresh.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { pydnetModelPath, sharedPath } from "../../compiler/paths.js";
import { fromRoot } from "../../sim/device/paths.js";

export interface PydnetQuantOptions {
  /** HEIGHTxWIDTH given to `quart compile --input-size`. */
  readonly inputSize: string;
  readonly recipe: "w8a8" | "w4a8" | "w4a4";
  readonly method: string;
  /** Calibration images from mosd-learn. */
  readonly images: number;
}

function hashTree(h: ReturnType<typeof createHash>, dir: string): void {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) hashTree(h, p);
    else if (name.endsWith(".js")) h.update(name).update(readFileSync(p));
  }
}

function cacheKey(o: PydnetQuantOptions): string {
  const h = createHash("sha256");
  h.update(readFileSync(pydnetModelPath()));
  h.update(JSON.stringify(o));
  for (const stage of ["import", "ir", "ptq", "exec"]) hashTree(h, fromRoot("dist", "compiler", stage));
  return h.digest("hex").slice(0, 16);
}

/** Runs the CLI; rejects with its stderr on a non-zero exit. */
export function quartCli(args: readonly string[], timeoutMs = 600_000): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(
      process.execPath,
      [fromRoot("dist/host/cli.js"), ...args],
      { timeout: timeoutMs, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`quart ${args.join(" ")}: ${err.message}\n${stderr}`));
        else resolve(stdout);
      },
    ),
  );
}

/** Path of the quantized graph file for these options, quantizing with `quart compile` on a cache miss. */
export async function cachedPydnetQGraph(o: PydnetQuantOptions): Promise<string> {
  const dir = fromRoot("build", "cache");
  const file = join(dir, `pydnet-${o.recipe}-${o.method}-${o.inputSize}-${cacheKey(o)}.qgraph`);
  if (existsSync(file)) return file;
  mkdirSync(dir, { recursive: true });
  // compile writes its output atomically: a run cut short leaves no half file under the final name
  await quartCli([
    "compile",
    pydnetModelPath(),
    "--input-size",
    o.inputSize,
    "--recipe",
    o.recipe,
    "--method",
    o.method,
    "--images",
    String(o.images),
    "--calib",
    sharedPath("data", "mosd-learn"),
    "-o",
    file,
    "--json",
  ]);
  return file;
}
