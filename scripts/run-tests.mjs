#!/usr/bin/env node
// Runs every compiled test file (dist/test/**/*.test.js) with node's test runner. Node 20's
// --test takes no glob patterns, so the files are listed here. Extra arguments filter by substring.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

function find(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return find(p);
    return p.endsWith(".test.js") ? [p] : [];
  });
}

const filters = process.argv.slice(2);
const files = find("dist/test")
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error("no test files found under dist/test (run the build first)");
  process.exit(1);
}
// A `quart sim` the user keeps running must not capture the tests' --sim devices (they expect fresh ones).
// (A folder nobody creates: the tests that start a quart sim give theirs a folder of their own.)
const env = { ...process.env, QUART_RUNTIME_DIR: join(tmpdir(), `quart-test-runtime-${process.pid}`) };
const r = spawnSync(process.execPath, ["--test", "--test-concurrency=2", ...files], {
  stdio: "inherit",
  env,
});
process.exit(r.status ?? 1);
