import assert from "node:assert/strict";
import { test } from "node:test";
import { checkConv2d, conv2d, conv2dRowsInto } from "../../../../compiler/exec/kernels/conv.js";
import type { Conv2dGeometry } from "../../../../compiler/exec/kernels/conv-params.js";
import { type EngineName, gemmEngine } from "../../../../compiler/exec/kernels/gemm-engine.js";
import { convOutSize, maxAbsDiff, randomFloats, randomInt, referenceConv2d } from "./reference.js";

interface Case {
  n?: number;
  c: number;
  h: number;
  w: number;
  o: number;
  k: [number, number];
  stride?: [number, number];
  dilation?: [number, number];
  /** top, left, bottom, right */
  pad?: [number, number, number, number];
  group?: number;
}

function geometry(t: Case): Conv2dGeometry {
  const [kh, kw] = t.k;
  const [strideH, strideW] = t.stride ?? [1, 1];
  const [dilationH, dilationW] = t.dilation ?? [1, 1];
  const [padTop, padLeft, padBottom, padRight] = t.pad ?? [0, 0, 0, 0];
  return {
    n: t.n ?? 1,
    c: t.c,
    h: t.h,
    w: t.w,
    o: t.o,
    kh,
    kw,
    strideH,
    strideW,
    padTop,
    padLeft,
    dilationH,
    dilationW,
    group: t.group ?? 1,
    oh: convOutSize(t.h, kh, strideH, dilationH, padTop, padBottom),
    ow: convOutSize(t.w, kw, strideW, dilationW, padLeft, padRight),
  };
}

function operands(g: Conv2dGeometry, seed: number, withBias = true) {
  const x = randomFloats(g.n * g.c * g.h * g.w, seed);
  const w = randomFloats((g.o * g.c * g.kh * g.kw) / g.group, seed + 1);
  const bias = withBias ? randomFloats(g.o, seed + 2) : undefined;
  return { x, w, bias };
}

/** float32 accumulation of K products of magnitude ≤ 1 drifts by at most about K·2⁻²⁴ per term. */
function tolerance(g: Conv2dGeometry): number {
  return 1e-6 * ((g.c / g.group) * g.kh * g.kw) + 1e-6;
}

const cases: Record<string, Case> = {
  "3x3 same padding": { c: 8, h: 9, w: 11, o: 12, k: [3, 3], pad: [1, 1, 1, 1] },
  "group 2": { c: 6, h: 7, w: 10, o: 10, k: [3, 3], pad: [1, 1, 1, 1], group: 2 },
  depthwise: { c: 7, h: 8, w: 9, o: 7, k: [3, 3], pad: [1, 1, 1, 1], group: 7 },
  "depthwise multiplier 2": { c: 3, h: 6, w: 13, o: 6, k: [3, 3], pad: [1, 1, 1, 1], group: 3 },
  "stride 2": { c: 5, h: 12, w: 17, o: 9, k: [3, 3], stride: [2, 2], pad: [1, 1, 1, 1] },
  "stride 2 valid": { c: 3, h: 194, w: 66, o: 16, k: [3, 3], stride: [2, 2] },
  "dilation 2": { c: 4, h: 11, w: 14, o: 6, k: [3, 3], dilation: [2, 2], pad: [2, 2, 2, 2] },
  "asymmetric padding": { c: 3, h: 7, w: 9, o: 5, k: [3, 2], pad: [2, 0, 1, 3] },
  "1x1": { c: 16, h: 5, w: 21, o: 24, k: [1, 1] },
  "odd sizes": { c: 5, h: 7, w: 13, o: 7, k: [5, 3], pad: [2, 1, 2, 1] },
  "batch 2": { n: 2, c: 4, h: 6, w: 10, o: 6, k: [3, 3], pad: [1, 1, 1, 1] },
  "stride 3 dilation 2 wide kernel": {
    c: 3,
    h: 20,
    w: 31,
    o: 5,
    k: [3, 5],
    stride: [2, 3],
    dilation: [2, 2],
    pad: [3, 4, 1, 2],
  },
  "padding wider than the kernel": { c: 2, h: 3, w: 4, o: 3, k: [2, 2], pad: [3, 4, 3, 4] },
  "one output pixel": { c: 8, h: 2, w: 2, o: 8, k: [2, 2] },
  "single channel in and out": { c: 1, h: 9, w: 40, o: 1, k: [3, 3], pad: [1, 1, 1, 1] },
};

for (const engine of ["wasm", "js"] as EngineName[]) {
  for (const [name, c] of Object.entries(cases)) {
    test(`conv2d [${engine}] ${name} matches the reference loop`, () => {
      const g = geometry(c);
      const { x, w, bias } = operands(g, name.length * 7919);
      const want = referenceConv2d(x, w, bias, g);
      const got = conv2d(x, w, bias, g, { engine });
      assert.ok(maxAbsDiff(got, want) <= tolerance(g), `max diff ${maxAbsDiff(got, want)}`);
    });
  }
}

test("conv2d without bias matches the reference loop", () => {
  const g = geometry({ c: 6, h: 8, w: 8, o: 4, k: [3, 3], pad: [1, 1, 1, 1] });
  const { x, w } = operands(g, 5, false);
  assert.ok(maxAbsDiff(conv2d(x, w, undefined, g), referenceConv2d(x, w, undefined, g)) <= tolerance(g));
});

test("conv2d on 40 random geometries matches the reference loop", () => {
  for (let seed = 1; seed <= 40; seed++) {
    const r = (lo: number, hi: number, salt: number) => randomInt(lo, hi, seed * 101 + salt);
    const group = [1, 1, 2, 3][r(0, 3, 1)]!;
    const k: [number, number] = [r(1, 4, 2), r(1, 4, 3)];
    const c: Case = {
      n: r(1, 2, 4),
      c: group * r(1, 5, 5),
      o: group * r(1, 9, 6),
      h: r(4, 14, 7),
      w: r(4, 30, 8),
      k,
      stride: [r(1, 3, 9), r(1, 3, 10)],
      dilation: [r(1, 2, 11), r(1, 2, 12)],
      pad: [r(0, 2, 13), r(0, 2, 14), r(0, 2, 15), r(0, 2, 16)],
      group,
    };
    const g = geometry(c);
    if (g.oh < 1 || g.ow < 1) continue;
    const { x, w, bias } = operands(g, seed);
    const diff = maxAbsDiff(conv2d(x, w, bias, g), referenceConv2d(x, w, bias, g));
    assert.ok(diff <= tolerance(g), `seed ${seed} ${JSON.stringify(g)}: max diff ${diff}`);
  }
});

test("conv2d splits a large layer into several row chunks and still matches", () => {
  const g = geometry({ c: 32, h: 400, w: 400, o: 32, k: [1, 1] });
  const { x, w, bias } = operands(g, 77);
  assert.ok(maxAbsDiff(conv2d(x, w, bias, g), referenceConv2d(x, w, bias, g)) <= tolerance(g));
});

test("conv2dRowsInto on disjoint row ranges across images fills exactly those rows", () => {
  const g = geometry({ n: 2, c: 3, h: 9, w: 12, o: 5, k: [3, 3], stride: [2, 1], pad: [1, 1, 1, 1] });
  const { x, w, bias } = operands(g, 11);
  const want = referenceConv2d(x, w, bias, g);
  const out = new Float32Array(want.length).fill(Number.NaN);
  const total = g.n * g.oh;
  const cuts = [0, 3, 4, g.oh + 1, total];
  for (let i = 0; i + 1 < cuts.length; i++)
    conv2dRowsInto(x, w, bias, g, cuts[i]!, cuts[i + 1]!, out, gemmEngine());
  assert.ok(maxAbsDiff(out, want) <= tolerance(g));
});

test("checkConv2d names what is wrong", () => {
  const g = geometry({ c: 4, h: 5, w: 5, o: 4, k: [3, 3], group: 2 });
  const { x, w, bias } = operands(g, 3);
  assert.throws(
    () => conv2d(x.subarray(1), w, bias, g),
    /conv2d: input has 99 elements but n×c×h×w = 1×4×5×5/,
  );
  assert.throws(
    () => conv2d(x, w.subarray(1), bias, g),
    /weights have 71 elements but O×\(C\/group\)×kh×kw = 4×2×3×3/,
  );
  assert.throws(
    () => conv2d(x, w, bias?.subarray(1), g),
    /bias has 3 elements but there are 4 output channels/,
  );
  assert.throws(() => conv2d(x, w, bias, { ...g, group: 3 }), /must both be divisible by group 3/);
  assert.throws(
    () => conv2d(x, w, bias, { ...g, strideH: 0 }),
    /geometry.strideH = 0 must be an integer ≥ 1/,
  );
  assert.throws(
    () => checkConv2d(x, w, bias, { ...g, padLeft: -1 }, "layer 7"),
    /layer 7: geometry.padLeft = -1/,
  );
});
