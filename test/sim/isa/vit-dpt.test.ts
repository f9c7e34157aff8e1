/**
 * A ViT encoder + DPT decoder, quantized and lowered, runs on the instruction-level simulator bit for
 * bit as the integer golden executor computes it: the transformer operators (LayerNorm, attention with
 * the integer softmax, residual adds, GELU in the output stage, the position embedding) included.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { readBlob } from "../../../compiler/blob/reader.js";
import { contentsFromLowered, encodeBlob } from "../../../compiler/blob/writer.js";
import { syncBackend } from "../../../compiler/exec/float.js";
import { asic28 } from "../../../compiler/isa/targets.js";
import { lowerQGraph } from "../../../compiler/lower/index.js";
import { quantizeInput, runGolden } from "../../../compiler/ptq/golden.js";
import type { Codes } from "../../../compiler/ptq/qgraph.js";
import { METHODS, quantizeGraph } from "../../../compiler/ptq/quantize-graph.js";
import { buildVitDpt } from "../../../compiler/zoo/vit-dpt.js";
import { runBlob } from "../../../sim/isa/run.js";
import { tinyTarget } from "../../compiler/lower/fixtures.js";
import { quantizedSmallVitDpt, SMALL_VIT_DPT, vitImages } from "../../helpers/vit-dpt-small.js";

function firstDiff(a: Codes, b: Codes): string | undefined {
  if (a.length !== b.length) return `length ${a.length} vs ${b.length}`;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return `element ${i}: golden ${a[i]}, sim ${b[i]}`;
  return undefined;
}

for (const recipe of ["w4a4", "w4a8"] as const) {
  test(`ViT + DPT ${recipe}: simulator output equals the golden executor, fused and unfused`, async () => {
    const q = await quantizedSmallVitDpt(recipe);
    const ops = new Set<string>(q.nodes.map((n) => n.op));
    for (const op of ["attention", "norm", "add", "conv", "resize"])
      assert.ok(ops.has(op), `graph has ${op}`);
    assert.ok(
      q.nodes.some((n) => n.op === "conv" && n.fn === "gelu"),
      "GELU rides on a conv's output stage",
    );
    assert.ok(
      q.nodes.some((n) => n.op === "conv" && n.pixelBias),
      "the position embedding is a pixel bias",
    );
    const x = quantizeInput(vitImages(1, 9)[0]!, q.values.get(q.input)!);
    const gold = await runGolden(q, x, { backend: syncBackend });
    for (const fuse of [true, false]) {
      const lowered = lowerQGraph(q, asic28, { fuse });
      const res = runBlob(readBlob(encodeBlob(contentsFromLowered(lowered))), x, { target: asic28 });
      assert.equal(firstDiff(gold.codes, res.codes), undefined, `${recipe} fuse=${fuse}`);
      const counts = res.counters.instructions;
      assert.ok((counts.SMAX ?? 0) > 0 && (counts.NORM ?? 0) > 0, "SMAX and NORM ran");
    }
  });
}

test("ViT + DPT with 64 tokens on small buffers: attention split into query and key tiles stays exact", async () => {
  const g = buildVitDpt(SMALL_VIT_DPT, { imageSize: 64, patchSize: 8, seed: 5 });
  const q = (await quantizeGraph(g, { recipe: "w4a4", method: METHODS.rtn!, calibration: vitImages(2, 2) }))
    .qgraph;
  const x = quantizeInput(vitImages(1, 4)[0]!, q.values.get(q.input)!);
  const gold = await runGolden(q, x, { backend: syncBackend });
  const t = tinyTarget({ INP: 4096, WGT: 512, TBL: 8192, ACC: 2048, OUT: 1024 });
  for (const fuse of [true, false]) {
    const lowered = lowerQGraph(q, t, { fuse });
    const att = lowered.layers.find((l) => l.op === "attention")!;
    assert.match(att.tiling, /queries 8\/64 × keys 32\/64/);
    const res = runBlob(readBlob(encodeBlob(contentsFromLowered(lowered))), x, { target: t });
    assert.equal(firstDiff(gold.codes, res.codes), undefined, `fuse=${fuse}`);
  }
});
