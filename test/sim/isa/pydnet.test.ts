/**
 * A real model end to end: PyDNet quantized by the PTQ pipeline (W4A4, round-to-nearest), lowered for
 * asic28, written to a blob, read back and run on the instruction-level simulator: the output must be
 * the golden model's, bit for bit.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { perfOfBlob } from "../../../compiler/blob/perf.js";
import { readBlob } from "../../../compiler/blob/reader.js";
import { contentsFromLowered, encodeBlob } from "../../../compiler/blob/writer.js";
import { importTflite } from "../../../compiler/import/tflite.js";
import { asic28 } from "../../../compiler/isa/targets.js";
import { lowerQGraph } from "../../../compiler/lower/index.js";
import { missingShared, pydnetModelPath, sharedPath } from "../../../compiler/paths.js";
import { loadCalibration } from "../../../compiler/ptq/calibration.js";
import { quantizeInput, runGolden } from "../../../compiler/ptq/golden.js";
import { METHODS, quantizeGraph } from "../../../compiler/ptq/quantize-graph.js";
import { runBlob } from "../../../sim/isa/run.js";

const learn = sharedPath("data", "mosd-learn");
const missing = missingShared([pydnetModelPath(), learn]);

test("PyDNet W4A4: the ISA simulator on the blob equals the golden model", {
  skip: missing,
  timeout: 300_000,
}, async () => {
  const g = importTflite(new Uint8Array(readFileSync(pydnetModelPath())));
  const calib = loadCalibration(learn, { width: 640, height: 192 }, 2);
  const { qgraph } = await quantizeGraph(g, {
    recipe: "w4a4",
    method: METHODS.rtn!,
    methodName: "rtn",
    calibration: calib.inputs,
  });
  const x = quantizeInput(calib.inputs[0]!, qgraph.values.get(qgraph.input)!);
  const gold = await runGolden(qgraph, x);
  const blob = readBlob(encodeBlob(contentsFromLowered(lowerQGraph(qgraph, asic28), { model: "pydnet" })));
  const res = runBlob(blob, x, { checkHazards: false });
  assert.equal(res.codes.length, gold.codes.length);
  const diff = res.codes.findIndex((v, i) => v !== gold.codes[i]);
  assert.equal(diff, -1, `first differing output element: ${diff}`);
  const perf = perfOfBlob(blob);
  assert.equal(
    perf.macs,
    (blob.meta.layers as Array<{ macs: number }>).reduce((s, l) => s + l.macs, 0),
  );
  assert.ok(perf.mac_utilization > 0.3 && perf.mac_utilization <= 1, `utilization ${perf.mac_utilization}`);
  assert.ok(res.counters.macs >= perf.macs);
});
