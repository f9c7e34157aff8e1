import assert from "node:assert/strict";
import { test } from "node:test";
import {
  type ConvTransposeAttributes,
  convTranspose2d,
  convTranspose2dChannelsInto,
  convTransposeGeometry,
} from "../../../../compiler/exec/kernels/conv-transpose.js";
import { type EngineName, gemmEngine } from "../../../../compiler/exec/kernels/gemm-engine.js";
import { maxAbsDiff, randomFloats, referenceConvTranspose2d } from "./reference.js";

const cases: Record<string, ConvTransposeAttributes> = {
  "stride 2 upsampling": { n: 1, c: 6, h: 5, w: 7, o: 4, kh: 4, kw: 4, strides: [2, 2], pads: [1, 1, 1, 1] },
  "stride 1 same": { n: 1, c: 3, h: 6, w: 9, o: 5, kh: 3, kw: 3, pads: [1, 1, 1, 1] },
  "group 2": { n: 1, c: 4, h: 4, w: 5, o: 6, kh: 3, kw: 3, strides: [2, 2], group: 2 },
  depthwise: { n: 1, c: 5, h: 6, w: 6, o: 5, kh: 2, kw: 2, strides: [2, 2], group: 5 },
  "output padding": {
    n: 1,
    c: 3,
    h: 4,
    w: 5,
    o: 2,
    kh: 3,
    kw: 3,
    strides: [2, 2],
    pads: [1, 1, 1, 1],
    outputPadding: [1, 1],
  },
  "asymmetric pads and strides": {
    n: 1,
    c: 2,
    h: 5,
    w: 4,
    o: 3,
    kh: 3,
    kw: 2,
    strides: [3, 2],
    pads: [2, 0, 0, 1],
  },
  "dilation 2": {
    n: 1,
    c: 3,
    h: 5,
    w: 6,
    o: 4,
    kh: 3,
    kw: 3,
    dilations: [2, 2],
    strides: [2, 1],
    pads: [1, 2, 1, 0],
  },
  "1x1": { n: 1, c: 8, h: 3, w: 11, o: 9, kh: 1, kw: 1 },
  "batch 2": { n: 2, c: 3, h: 4, w: 4, o: 2, kh: 2, kw: 2, strides: [2, 2] },
  "wide input (several row chunks)": {
    n: 1,
    c: 2,
    h: 60,
    w: 700,
    o: 16,
    kh: 4,
    kw: 4,
    strides: [2, 2],
    pads: [1, 1, 1, 1],
  },
};

for (const engine of ["wasm", "js"] as EngineName[]) {
  for (const [name, attrs] of Object.entries(cases)) {
    test(`convTranspose2d [${engine}] ${name} matches the scatter reference`, () => {
      const g = convTransposeGeometry(attrs);
      const x = randomFloats(g.n * g.c * g.h * g.w, name.length);
      const w = randomFloats((g.c * g.o * g.kh * g.kw) / g.group, name.length + 1);
      const bias = randomFloats(g.o, name.length + 2);
      const diff = maxAbsDiff(
        convTranspose2d(x, w, bias, g, { engine }),
        referenceConvTranspose2d(x, w, bias, g),
      );
      assert.ok(diff <= 1e-5 * (g.c / g.group) * g.kh * g.kw, `max diff ${diff}`);
    });
  }
}

test("convTransposeGeometry follows the ONNX output-size formula", () => {
  const g = convTransposeGeometry({
    n: 1,
    c: 1,
    h: 5,
    w: 7,
    o: 1,
    kh: 3,
    kw: 4,
    strides: [2, 3],
    pads: [1, 0, 1, 2],
    outputPadding: [1, 2],
  });
  assert.equal(g.oh, (5 - 1) * 2 - 2 + 2 + 1 + 1);
  assert.equal(g.ow, (7 - 1) * 3 - 2 + 3 + 2 + 1);
  assert.throws(
    () => convTransposeGeometry({ n: 1, c: 1, h: 2, w: 2, o: 1, kh: 2, kw: 2, outputPadding: [1, 0] }),
    /output padding 1×0/,
  );
});

test("convTranspose2dChannelsInto on channel ranges that cut through groups covers the output", () => {
  const g = convTransposeGeometry({ n: 2, c: 4, h: 3, w: 4, o: 6, kh: 3, kw: 3, strides: [2, 2], group: 2 });
  const x = randomFloats(g.n * g.c * g.h * g.w, 9);
  const w = randomFloats((g.c * g.o * g.kh * g.kw) / g.group, 10);
  const want = referenceConvTranspose2d(x, w, undefined, g);
  const out = new Float32Array(want.length).fill(Number.NaN);
  for (const [a, b] of [
    [0, 2],
    [2, 4],
    [4, 6],
  ]) {
    convTranspose2dChannelsInto(x, w, undefined, g, a!, b!, out, gemmEngine());
  }
  assert.ok(maxAbsDiff(out, want) <= 1e-4);
});

test("convTranspose2d errors name the buffer and the expected shape", () => {
  const g = convTransposeGeometry({ n: 1, c: 4, h: 3, w: 3, o: 2, kh: 2, kw: 2 });
  assert.throws(
    () => convTranspose2d(new Float32Array(36), new Float32Array(15), undefined, g),
    /convTranspose2d: weights have 15 elements but C×\(O\/group\)×kh×kw = 4×2×2×2 = 32/,
  );
  assert.throws(
    () => convTranspose2d(new Float32Array(35), new Float32Array(32), undefined, g),
    /input has 35 elements/,
  );
});
