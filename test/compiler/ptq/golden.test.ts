import assert from "node:assert/strict";
import { test } from "node:test";
import { syncBackend } from "../../../compiler/exec/float.js";
import { fixedPoint } from "../../../compiler/ptq/encodings.js";
import {
  alignCornersTaps,
  applyActivation,
  outputStage,
  runConv,
  runResize,
} from "../../../compiler/ptq/golden.js";
import type { Lin8Encoding, Lut4Encoding, QConv, QValue } from "../../../compiler/ptq/qgraph.js";
import { prng } from "../../../compiler/ptq/stats.js";

test("fixed-point multipliers keep 15 bits and approximate the ratio", () => {
  for (const r of [1, 0.5, 3.3e-4, 1.7e-9, 0.999999, 2.5]) {
    const [m, n] = fixedPoint(r);
    assert.ok(m >= 2 ** 14 && m < 2 ** 15, `m=${m} for ${r}`);
    assert.ok(Math.abs(m * 2 ** -n - r) / r < 2 ** -14, `ratio ${r}`);
  }
  assert.throws(() => fixedPoint(0), /ratio of 0/);
});

test("leaky ReLU in fixed point rounds toward −∞", () => {
  const act = { kind: "leaky" as const, alpha: 0.2, alphaQ16: Math.round(0.2 * 65536) };
  assert.equal(applyActivation(100, act), 100);
  assert.equal(applyActivation(-100, act), Math.floor((-100 * 13107) / 65536));
  assert.equal(applyActivation(-1, act), -1);
});

test("threshold stage counts thresholds at or below the accumulator", () => {
  const thresholds = Int32Array.from({ length: 15 }, (_, k) => (k - 7) * 10);
  const acc = Float64Array.from([-1000, -70, -69, 0, 69, 70, 1000]);
  const out = new Uint8Array(acc.length);
  outputStage(acc, 0, { kind: "none" }, { kind: "threshold", thresholds }, out, 0);
  assert.deepEqual([...out], [0, 1, 1, 8, 14, 15, 15]);
});

test("requant stage rounds half up, adds the zero point and saturates", () => {
  const stage = {
    kind: "requant" as const,
    multiplier: Int32Array.of(2 ** 14),
    shift: Int32Array.of(15),
    zeros: Int32Array.of(-3),
  };
  const acc = Float64Array.from([0, 1, 2, 3, -1, -2, 1000, -1000]);
  const out = new Uint8Array(acc.length);
  outputStage(acc, 0, { kind: "none" }, stage, out, 0);
  // q = floor((acc·2^14 + 2^14) / 2^15) − 3 + 128 = floor((acc + 1) / 2) + 125
  assert.deepEqual([...out], [125, 126, 126, 127, 125, 124, 255, 0]);
});

/** Independent integer reference: hardware form, zero-code padding, BigInt accumulation. */
function referenceConvAcc(node: QConv, codes: Uint8Array, v: QValue): bigint[] {
  const [, c, h, w] = v.shape as [number, number, number, number];
  const [o, cg, kh, kw] = node.weightShape;
  const enc = v.enc as Lin8Encoding | Lut4Encoding;
  const decoded = (ch: number, y: number, x: number): number => {
    const inside = y >= 0 && y < h && x >= 0 && x < w;
    if (enc.kind === "lin8") return inside ? codes[(ch * h + y) * w + x]! - 128 : enc.zeros[ch]!;
    return inside ? enc.lut[ch * 16 + codes[(ch * h + y) * w + x]!]! : 0;
  };
  const oh = Math.floor((h + node.pads[0] + node.pads[2] - kh) / node.strides[0]) + 1;
  const ow = Math.floor((w + node.pads[1] + node.pads[3] - kw) / node.strides[1]) + 1;
  const out: bigint[] = [];
  for (let oc = 0; oc < o; oc++) {
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++) {
        let acc = BigInt(node.bias[oc]!);
        for (let ic = 0; ic < cg; ic++) {
          for (let ky = 0; ky < kh; ky++) {
            for (let kx = 0; kx < kw; kx++) {
              const wv = node.weights[((oc * cg + ic) * kh + ky) * kw + kx]!;
              acc += BigInt(
                wv *
                  decoded(
                    ic,
                    y * node.strides[0] - node.pads[0] + ky,
                    x * node.strides[1] - node.pads[1] + kx,
                  ),
              );
            }
          }
        }
        out.push(acc);
      }
    }
  }
  void c;
  return out;
}

function randomConv(rand: () => number, c: number, o: number, bits: 4 | 8): QConv {
  const k = 3;
  const lim = bits === 4 ? 8 : 128;
  return {
    op: "conv",
    name: "c",
    input: "x",
    output: "y",
    weightBits: bits,
    weights: Int8Array.from({ length: o * c * k * k }, () => Math.floor(rand() * 2 * lim) - lim),
    weightShape: [o, c, k, k],
    bias: Int32Array.from({ length: o }, () => Math.floor(rand() * 2000) - 1000),
    strides: [2, 1],
    pads: [1, 0, 2, 1],
    dilations: [1, 1],
    group: 1,
    act: { kind: "none" },
    stage: { kind: "acc32" },
    accScales: new Float64Array(o).fill(1),
  };
}

test("integer conv equals a BigInt reference with zero-code padding (lin8 and lut4 inputs)", async () => {
  const rand = prng(7);
  const c = 5;
  const h = 7;
  const w = 6;
  const lin8: Lin8Encoding = {
    kind: "lin8",
    channels: c,
    scales: new Float64Array(c).fill(1),
    zeros: Int32Array.from({ length: c }, () => Math.floor(rand() * 200) - 100),
  };
  const lut = new Int8Array(c * 16);
  const zeroCode = new Uint8Array(c);
  for (let ch = 0; ch < c; ch++) {
    const z = Math.floor(rand() * 16);
    zeroCode[ch] = z;
    for (let q = 0; q < 16; q++)
      lut[ch * 16 + q] = Math.max(-128, Math.min(127, (q - z) * (1 + Math.floor(rand() * 7))));
  }
  const lut4: Lut4Encoding = {
    kind: "lut4",
    channels: c,
    lut,
    zeroCode,
    scales: new Float64Array(c).fill(1),
  };
  for (const [enc, bits] of [
    [lin8, 8],
    [lin8, 4],
    [lut4, 4],
    [lut4, 8],
  ] as const) {
    const node = randomConv(rand, c, 4, bits);
    const inV: QValue = { name: "x", shape: [1, c, h, w], enc };
    const outV: QValue = {
      name: "y",
      shape: [1, 4, 0, 0],
      enc: { kind: "acc32", channels: 4, scales: new Float64Array(4).fill(1) },
    };
    const codes = Uint8Array.from({ length: c * h * w }, () =>
      Math.floor(rand() * (enc.kind === "lin8" ? 256 : 16)),
    );
    const got = await runConv(node, codes, inV, outV, syncBackend);
    const want = referenceConvAcc(node, codes, inV);
    assert.equal(got.length, want.length);
    for (const [i, v] of want.entries())
      assert.equal(BigInt(got[i]!), v, `${enc.kind} w${bits} element ${i}`);
  }
});

test("integer conv stays exact past the float32 range (float64 fallback)", async () => {
  const rand = prng(3);
  const c = 128;
  const node = randomConv(rand, c, 2, 8);
  node.weights.fill(127);
  const enc: Lin8Encoding = {
    kind: "lin8",
    channels: c,
    scales: new Float64Array(c).fill(1),
    zeros: new Int32Array(c).fill(-128),
  };
  const inV: QValue = { name: "x", shape: [1, c, 4, 4], enc };
  const outV: QValue = {
    name: "y",
    shape: [1, 2, 0, 0],
    enc: { kind: "acc32", channels: 2, scales: new Float64Array(2).fill(1) },
  };
  const codes = new Uint8Array(c * 16).fill(255);
  const got = await runConv(node, codes, inV, outV, syncBackend);
  const want = referenceConvAcc(node, codes, inV);
  assert.ok(Math.max(...want.map(Number)) > 2 ** 24, "the case must exceed float32's exact range");
  for (const [i, v] of want.entries()) assert.equal(BigInt(got[i]!), v);
});

test("integer resize taps follow the documented formula and interpolate exactly", () => {
  const t = alignCornersTaps(3, 6);
  assert.deepEqual([...t.i0], [0, 0, 0, 1, 1, 2]);
  assert.deepEqual(
    [...t.f],
    [
      0,
      Math.floor((256 * 2 + 2) / 5),
      Math.floor((256 * 4 + 2) / 5),
      Math.floor((256 * 1 + 2) / 5),
      Math.floor((256 * 3 + 2) / 5),
      0,
    ],
  );
  const enc: Lin8Encoding = {
    kind: "lin8",
    channels: 1,
    scales: Float64Array.of(1),
    zeros: Int32Array.of(0),
  };
  const inV: QValue = { name: "x", shape: [1, 1, 2, 2], enc };
  const outV: QValue = { name: "y", shape: [1, 1, 3, 3], enc };
  const node = {
    op: "resize" as const,
    name: "r",
    input: "x",
    output: "y",
    size: [3, 3] as [number, number],
    stage: {
      kind: "requant" as const,
      multiplier: Int32Array.of(2 ** 14),
      shift: Int32Array.of(30),
      zeros: Int32Array.of(0),
    },
  };
  const out = runResize(node, Uint8Array.of(128, 138, 148, 158), inV, outV);
  // Decoded 0, 10, 20, 30 → centre is their mean 15, edges are midpoints.
  assert.deepEqual(
    [...out].map((q) => q - 128),
    [0, 5, 10, 10, 15, 20, 20, 25, 30],
  );
});
