import assert from "node:assert/strict";
import { test } from "node:test";
import { prng } from "../../../compiler/prng.js";
import { adaround } from "../../../compiler/ptq/adaround.js";
import { roundToNearest, weightScales } from "../../../compiler/ptq/weights.js";

/** tr(ΔW·H·ΔWᵀ·G) for the rounding q. */
function kfacLoss(
  w: Float64Array,
  q: Int8Array,
  s: Float64Array,
  o: number,
  k: number,
  h: Float64Array,
  g: Float64Array,
): number {
  const d = Float64Array.from(w, (v, i) => v - q[i]! * s[Math.floor(i / k)]!);
  const dh = new Float64Array(o * k);
  for (let r = 0; r < o; r++)
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) dh[r * k + j]! += d[r * k + i]! * h[i * k + j]!;
  let loss = 0;
  for (let a = 0; a < o; a++)
    for (let b = 0; b < o; b++) {
      let m = 0;
      for (let j = 0; j < k; j++) m += dh[a * k + j]! * d[b * k + j]!;
      loss += g[b * o + a]! * m;
    }
  return loss;
}

function randomSpd(n: number, rand: () => number): Float64Array {
  const x = Float64Array.from({ length: n * 3 * n }, () => rand() * 2 - 1);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++)
      for (let t = 0; t < 3 * n; t++) a[i * n + j]! += x[i * 3 * n + t]! * x[j * 3 * n + t]!;
  return a;
}

test("AdaRound lowers the layer-output loss below round-to-nearest, and the KFAC loss when given G", async () => {
  const rand = prng(11);
  const o = 6;
  const k = 24;
  const w = Float64Array.from({ length: o * k }, () => rand() * 2 - 1);
  const h = randomSpd(k, rand);
  const g = randomSpd(o, rand);
  const identity = Float64Array.from({ length: o * o }, (_, i) => (i % (o + 1) === 0 ? 1 : 0));
  const s = weightScales(w, o, k, 4, "minmax");
  const rtn = roundToNearest(w, o, k, s, 4);
  const plain = await adaround(w, o, k, h, s, 4, { iterations: 300 });
  assert.ok(
    kfacLoss(w, plain, s, o, k, h, identity) < kfacLoss(w, rtn, s, o, k, h, identity),
    "layer loss must improve",
  );
  const kfac = await adaround(w, o, k, h, s, 4, { iterations: 300, outputFisher: g, init: rtn });
  assert.ok(
    kfacLoss(w, kfac, s, o, k, h, g) < kfacLoss(w, rtn, s, o, k, h, g),
    "KFAC loss must improve from its start",
  );
  for (const v of kfac) assert.ok(v >= -8 && v <= 7);
});
