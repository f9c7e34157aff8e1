import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { encodePng } from "../../../compiler/data/image.js";
import { GraphBuilder } from "../../../compiler/ir/builder.js";
import { floatTensor } from "../../../compiler/ir/tensor.js";
import { missingShared, projectRoot, pydnetModelPath } from "../../../compiler/paths.js";
import { loadCalibration } from "../../../compiler/ptq/calibration.js";
import { METHODS, quantizeGraph } from "../../../compiler/ptq/quantize-graph.js";

const size = { width: 16, height: 8 };

function png(w: number, h: number): Uint8Array {
  return encodePng({
    width: w,
    height: h,
    channels: 3,
    bitDepth: 8,
    data: Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 7) % 256),
  });
}

function folder(files: Record<string, Uint8Array | string>): string {
  const dir = mkdtempSync(join(tmpdir(), "quart-calib-"));
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
  return dir;
}

test("calibration input errors name the problem", () => {
  assert.throws(() => loadCalibration(folder({}), size), /no images found/);
  assert.throws(
    () => loadCalibration(folder({ "a.png": png(32, 16), "b.png": "not a png at all" }), size),
    /b\.png/,
  );
  assert.throws(
    () => loadCalibration(folder({ "a.png": png(32, 16), "b.png": png(30, 16) }), size),
    /b\.png is 30×16 but a\.png is 32×16/,
  );
  const ok = loadCalibration(folder({ "a.png": png(32, 16), "b.png": png(32, 16) }), size);
  assert.equal(ok.inputs.length, 2);
  assert.equal(ok.inputs[0]!.length, 3 * 16 * 8);
});

test("NaN or Inf in calibration data stops quantization", async () => {
  const b = new GraphBuilder("tiny");
  const x = b.addInput("x", { dtype: "float32", shape: [1, 3, 4, 4] });
  const w = b.addInitializer("w", floatTensor([2, 3, 1, 1], [1, 0, 0, 0, 1, 0]));
  b.setOutputs([
    b.add("Conv2d", [x, w], { strides: [1, 1], pads: [0, 0, 0, 0], dilations: [1, 1], group: 1 }),
  ]);
  const bad = new Float32Array(48);
  bad[5] = Number.NaN;
  await assert.rejects(
    quantizeGraph(b.build(), { recipe: "w4a4", method: METHODS.rtn!, calibration: [bad] }),
    /calibration image 0 contains NaN or Inf/,
  );
  await assert.rejects(
    quantizeGraph(b.build(), { recipe: "w4a4", method: METHODS.rtn!, calibration: [] }),
    /no calibration images/,
  );
});

test("quart compile with broken calibration data writes nothing", {
  skip: missingShared([pydnetModelPath()]),
}, async () => {
  const dir = folder({ "a.png": png(64, 32), "b.png": "broken" });
  const out = join(mkdtempSync(join(tmpdir(), "quart-out-")), "m.qgraph");
  const r = await promisify(execFile)(process.execPath, [
    join(projectRoot(), "dist", "host", "cli.js"),
    "compile",
    pydnetModelPath(),
    "--calib",
    dir,
    "-o",
    out,
  ]).catch((e: { code: number; stderr: string }) => e);
  assert.notEqual((r as { code?: number }).code ?? 0, 0);
  assert.match((r as { stderr: string }).stderr, /b\.png/);
  assert.equal(existsSync(out), false);
  assert.deepEqual(readdirSync(join(out, "..")), []);
});
