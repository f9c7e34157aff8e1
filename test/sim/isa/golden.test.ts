/**
 * The instruction-level simulator against the integer golden model, bit for bit, on random quantized
 * graphs lowered for several targets, through the blob (write, read, run).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { readBlob } from "../../../compiler/blob/reader.js";
import { contentsFromLowered, encodeBlob } from "../../../compiler/blob/writer.js";
import { syncBackend } from "../../../compiler/exec/float.js";
import { asic28, icebreaker, type Target } from "../../../compiler/isa/targets.js";
import { lowerQGraph } from "../../../compiler/lower/index.js";
import { runGolden } from "../../../compiler/ptq/golden.js";
import type { Codes, QGraph } from "../../../compiler/ptq/qgraph.js";
import { runBlob } from "../../../sim/isa/run.js";
import { tinyTarget } from "../../compiler/lower/fixtures.js";
import { seededRandom } from "../../helpers/onnx-random.js";
import {
  QGraphBuilder,
  randomConvChoice,
  randomInputCodes,
  randomLut4,
  randomQGraph,
} from "../../helpers/random-qgraph.js";

function firstDiff(a: Codes, b: Codes): string | undefined {
  if (a.length !== b.length) return `length ${a.length} vs ${b.length}`;
  for (let i = 0; i < a.length; i++)
    if (a[i] !== b[i]) return `element ${i}: golden ${a[i]}, simulator ${b[i]}`;
  return undefined;
}

async function check(g: QGraph, t: Target, fuse: boolean, seed: number): Promise<string[]> {
  const x = randomInputCodes(g, seed);
  const gold = await runGolden(g, x, { backend: syncBackend });
  const lowered = lowerQGraph(g, t, { fuse });
  const blob = readBlob(encodeBlob(contentsFromLowered(lowered)));
  const res = runBlob(blob, x, { target: t });
  const diff = firstDiff(gold.codes, res.codes);
  assert.equal(diff, undefined, `${g.name} on ${t.name}${t === icebreaker ? "" : "*"} fuse=${fuse}: ${diff}`);
  return lowered.layers.map((l) => l.tiling);
}

/** What the random graphs covered: the test fails if a feature silently drops out. */
function features(g: QGraph): string[] {
  const out: string[] = [];
  for (const n of g.nodes) {
    if (n.op === "resize") out.push("resize");
    if (n.op === "concat") out.push("concat");
    if (n.op !== "conv") continue;
    const inEnc = g.values.get(n.input)!.enc.kind;
    out.push(`in-${inEnc}`, `w${n.weightBits}`, `stage-${n.stage.kind}`, `act-${n.act.kind}`);
    if (n.strides[0] === 2) out.push("stride2");
    if (n.pads[0] !== n.pads[2] || n.pads[1] !== n.pads[3]) out.push("asymmetric-pads");
    if (n.dilations[0] > 1) out.push("dilation");
    if (n.group > 1) out.push("grouped");
  }
  return out;
}

test("random graphs: simulator output equals runGolden bit for bit on every target, fused and not", async () => {
  const seen = new Set<string>();
  const tiny = tinyTarget();
  for (let seed = 1; seed <= 36; seed++) {
    const g = randomQGraph({ seed, acc32Output: seed % 4 === 0 });
    for (const f of features(g)) seen.add(f);
    for (const fuse of [true, false]) {
      for (const tiling of await check(g, tiny, fuse, seed)) {
        const m = tiling.match(/oc (\d+)\/(\d+) × rows (\d+)\/(\d+) × cols (\d+)\/(\d+) × ic (\d+)\/(\d+)/);
        if (!m) continue;
        const [, a, A, b, B, c, C, d, D] = m.map(Number);
        if (a! < A!) seen.add("split-oc");
        if (b! < B!) seen.add("split-rows");
        if (c! < C!) seen.add("split-cols");
        if (d! < D!) seen.add("split-ic");
        if (!tiling.includes("tables resident")) seen.add("table-slices");
        if (!tiling.includes("weights resident")) seen.add("weight-slots");
      }
      await check(g, asic28, fuse, seed);
    }
    const fits =
      lowerQGraph(g, icebreaker, { ignoreArenaLimit: true }).actBytes <= icebreaker.segments.ACT.bytes;
    if (fits) await check(g, icebreaker, true, seed);
  }
  const want = [
    "resize",
    "concat",
    "in-lut4",
    "in-lin8",
    "w4",
    "w8",
    "stage-threshold",
    "stage-requant",
    "stage-acc32",
    "act-leaky",
    "act-relu",
    "stride2",
    "asymmetric-pads",
    "dilation",
    "grouped",
    "split-oc",
    "split-rows",
    "split-cols",
    "split-ic",
    "table-slices",
    "weight-slots",
  ];
  assert.deepEqual(
    want.filter((f) => !seen.has(f)),
    [],
    "features not covered",
  );
});

test("a batch of two images", async () => {
  for (const seed of [101, 102, 103]) {
    const g = randomQGraph({ seed, input: [2, 3, 9, 11], layers: 3 });
    await check(g, tinyTarget(), true, seed);
    await check(g, asic28, false, seed);
  }
});

test("a lut4 network input with odd widths (nibble-packed rows)", async () => {
  for (const seed of [201, 202, 203, 204]) {
    const r = seededRandom(seed);
    const b = new QGraphBuilder(r);
    const x = b.value("input", [1, 5, 7, 13], randomLut4(r, 5));
    let y = b.conv(x, { ...randomConvChoice(r, 5, "lut4"), group: 1 });
    y = b.resize(y, [y.shape[2]! * 2 - 1, y.shape[3]! + 3], "lut4");
    y = b.conv(y, { ...randomConvChoice(r, y.shape[1]!, "lin8"), group: 1 });
    const g = b.graph(x, y, `lut4-input-${seed}`);
    const x4 = Uint8Array.from({ length: 5 * 7 * 13 }, () => Math.floor(r() * 16));
    const gold = await runGolden(g, x4, { backend: syncBackend });
    for (const t of [tinyTarget(), asic28]) {
      const res = runBlob(readBlob(encodeBlob(contentsFromLowered(lowerQGraph(g, t)))), x4, { target: t });
      assert.equal(firstDiff(gold.codes, res.codes), undefined, `${g.name} on ${t.name}`);
    }
  }
});
