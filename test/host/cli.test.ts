import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { decodeImage } from "../../compiler/data/image.js";
import { missingShared, projectRoot, pydnetModelPath, sharedPath } from "../../compiler/paths.js";

const run = promisify(execFile);
const cli = join(projectRoot(), "dist", "host", "cli.js");
const model = pydnetModelPath();
const testSet = sharedPath("data", "mosd-test");
const missing = missingShared([model, testSet]);

async function quart(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const r = await run(process.execPath, [cli, ...args], { maxBuffer: 64 << 20 });
    return { ...r, code: 0 };
  } catch (e) {
    const err = e as { stdout: string; stderr: string; code: number };
    return { stdout: err.stdout, stderr: err.stderr, code: err.code };
  }
}

test("quart eval reproduces the TFLite interpreter's accuracy on mosd-test", { skip: missing }, async () => {
  const r = await quart("eval", model, "--data", testSet, "--json");
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as Record<string, number | string>;
  assert.equal(j.n, 40);
  assert.equal(j.exec, "float");
  assert.ok(Math.abs((j.absrel as number) - 0.132) <= 0.004, `AbsRel ${j.absrel}`);
  assert.ok(Math.abs((j.delta1 as number) - 0.784) <= 0.008, `δ1 ${j.delta1}`);
  for (const k of ["delta2", "delta3", "rmse", "outputs_sha256"]) assert.ok(k in j, `missing key ${k}`);
  assert.match(j.outputs_sha256 as string, /^[0-9a-f]{64}$/);
});

test("quart inspect --json reports the graph", { skip: missing }, async () => {
  const r = await quart("inspect", model, "--json");
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { ops: Record<string, number>; macs: number };
  assert.equal(j.ops.Conv2d, 42);
  assert.ok(j.macs > 4.6e9);
});

test("quart infer writes a colour depth PNG and the raw output", { skip: missing }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "quart-infer-"));
  const png = join(dir, "depth.png");
  const npy = join(dir, "depth.npy");
  const r = await quart(
    "infer",
    join(testSet, "rgb", "test0.png"),
    "--model",
    model,
    "-o",
    png,
    "--raw",
    npy,
    "--json",
  );
  assert.equal(r.code, 0, r.stderr);
  const img = decodeImage(new Uint8Array(readFileSync(png)), png);
  assert.equal(img.width, 640);
  assert.equal(img.height, 480);
  assert.ok(readFileSync(npy).length > 96 * 320 * 4);
  assert.deepEqual(readdirSync(dir).sort(), ["depth.npy", "depth.png"], "no temporary files left behind");
});

test("bad inputs end with a one-line reason, a non-zero exit and no output file", async () => {
  const dir = mkdtempSync(join(tmpdir(), "quart-bad-"));
  const junk = join(dir, "junk.tflite");
  writeFileSync(junk, "this is not a model");
  const out = join(dir, "out.png");
  const cases: [string[], RegExp][] = [
    [["inspect", junk], /not a valid TFLite model/],
    [["inspect", join(dir, "absent.onnx")], /cannot read model/],
    [["inspect", join(dir, "model.xyz")], /cannot (read model|tell the model format)/],
    [["eval", junk, "--data", dir], /not a valid TFLite model|data set|layout/],
    [["infer", junk, "--model", junk, "-o", out], /junk\.tflite/],
  ];
  for (const [args, pattern] of cases) {
    const r = await quart(...args);
    assert.notEqual(r.code, 0, `${args.join(" ")} should fail`);
    assert.match(r.stderr, pattern);
    assert.equal(r.stderr.trim().split("\n").length, 1, `one line: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /at .*\.js:\d+/, "no stack trace");
  }
  assert.equal(existsSync(out), false);
});

test("compile → blob → the ISA simulator computes the golden model's bits; perf and inspect read it", {
  skip: missing,
  timeout: 600_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), "quart-blob-"));
  const bin = join(dir, "model.bin");
  const c = await quart(
    "compile",
    model,
    "--images",
    "2",
    "--method",
    "gptq",
    "--target",
    "asic28",
    "-o",
    bin,
    "--json",
  );
  assert.equal(c.code, 0, c.stderr);
  const compiled = JSON.parse(c.stdout) as {
    bytes: number;
    recipe: string;
    layers: unknown[];
    target: string;
  };
  assert.equal(compiled.recipe, "w4a4");
  assert.equal(compiled.target, "asic28");
  assert.equal(readFileSync(bin).length, compiled.bytes);
  const shas: string[] = [];
  for (const exec of ["golden", "isa"]) {
    const r = await quart("eval", bin, "--data", testSet, "--exec", exec, "--limit", "1", "--json");
    assert.equal(r.code, 0, r.stderr);
    shas.push((JSON.parse(r.stdout) as { outputs_sha256: string }).outputs_sha256);
  }
  assert.equal(shas[0], shas[1], "ISA simulator and golden model must agree bit for bit");
  const p = await quart("perf", bin, "--json");
  assert.equal(p.code, 0, p.stderr);
  const perf = JSON.parse(p.stdout) as Record<string, number | string>;
  for (const k of ["cycles", "macs", "mac_utilization", "fps", "target"])
    assert.ok(k in perf, `perf key ${k}`);
  assert.ok((perf.mac_utilization as number) > 0.5 && (perf.mac_utilization as number) <= 1);
  const i = await quart("inspect", bin, "--json");
  assert.equal(i.code, 0, i.stderr);
  assert.equal((JSON.parse(i.stdout) as { layers: number }).layers, compiled.layers.length);
  const bad = Uint8Array.from(readFileSync(bin));
  bad[bad.length - 100]! ^= 1;
  const corrupt = join(dir, "corrupt.bin");
  writeFileSync(corrupt, bad);
  const e = await quart("eval", corrupt, "--data", testSet, "--exec", "isa");
  assert.notEqual(e.code, 0);
  assert.match(e.stderr, /blob check "(section-crc|sha256)" failed/);
  assert.equal(e.stderr.trim().split("\n").length, 1);
});

test("perf --zoo models a ViT + DPT without a blob; fusion and precision move the figures the right way", async () => {
  const run = async (...extra: string[]) => {
    const r = await quart("perf", "--zoo", "vits", "--size", "64", "--json", ...extra);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as {
      cycles: number;
      fps: number;
      energy: { total_uj: number };
      target: string;
    };
  };
  const fused = await run();
  const unfused = await run("--no-fuse");
  const fp32 = await run("--mode", "fp32");
  assert.equal(fused.target, "asic28");
  assert.equal(fp32.target, "asic28-fp32");
  assert.ok(unfused.cycles > fused.cycles, "fusion saves cycles");
  assert.ok(fp32.cycles > fused.cycles && fp32.energy.total_uj > fused.energy.total_uj, "FP32 costs more");
  const bad = await quart("perf", "--zoo", "vitx");
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /unknown zoo model "vitx"/);
});
