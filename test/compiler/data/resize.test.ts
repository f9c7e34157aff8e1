import assert from "node:assert/strict";
import { test } from "node:test";
import {
  resizeAntialiasPlanar,
  resizeAntialiasU8,
  resizeBilinear,
  resizeBilinearPlanar,
  resizeNearest,
  sourceCoordinate,
} from "../../../compiler/data/resize.js";

function close(actual: ArrayLike<number>, expected: readonly number[], tol = 1e-6): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i]! - expected[i]!) <= tol, `index ${i}: ${actual[i]} vs ${expected[i]}`);
  }
}

/** Independent reference: bilinear sample of a plane at fractional (y, x) with edge clamping. */
function sampleAt(src: Float32Array, h: number, w: number, y: number, x: number): number {
  const y0 = Math.floor(y);
  const x0 = Math.floor(x);
  const y1 = Math.min(y0 + 1, h - 1);
  const x1 = Math.min(x0 + 1, w - 1);
  const fy = y - y0;
  const fx = x - x0;
  const at = (r: number, c: number) => src[r * w + c]!;
  return (
    (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x1)) + fy * ((1 - fx) * at(y1, x0) + fx * at(y1, x1))
  );
}

test("same size is the identity in both conventions", () => {
  const src = Float32Array.from([1, 2, 3, 4, 5, 6]);
  assert.deepEqual(resizeBilinear(src, 2, 3, 2, 3), src);
  assert.deepEqual(resizeBilinear(src, 2, 3, 2, 3, { alignCorners: true }), src);
});

test("half-pixel 2× upsampling of [0, 1] gives [0, 0.25, 0.75, 1] (PyTorch align_corners=False)", () => {
  close(resizeBilinear(Float32Array.from([0, 1]), 1, 2, 1, 4), [0, 0.25, 0.75, 1]);
});

test("align-corners upsampling keeps the corners and interpolates evenly", () => {
  close(resizeBilinear(Float32Array.from([0, 1]), 1, 2, 1, 3, { alignCorners: true }), [0, 0.5, 1]);
  close(resizeBilinear(Float32Array.from([0, 3]), 1, 2, 1, 4, { alignCorners: true }), [0, 1, 2, 3]);
  // a single output pixel takes the first source pixel
  close(resizeBilinear(Float32Array.from([5, 9]), 1, 2, 1, 1, { alignCorners: true }), [5]);
});

test("half-pixel 2× downsampling averages pixel pairs", () => {
  close(resizeBilinear(Float32Array.from([0, 2, 4, 8]), 1, 4, 1, 2), [1, 6]);
});

test("2-D resizes agree with a direct bilinear sample at the documented coordinates", () => {
  const h = 5;
  const w = 7;
  const src = Float32Array.from({ length: h * w }, (_, i) => Math.sin(i * 0.7) * 10 + i);
  for (const alignCorners of [false, true]) {
    for (const [dh, dw] of [
      [3, 4],
      [11, 13],
      [5, 2],
    ] as const) {
      const out = resizeBilinear(src, h, w, dh, dw, { alignCorners });
      const expected: number[] = [];
      for (let y = 0; y < dh; y++) {
        for (let x = 0; x < dw; x++) {
          const sy = alignCorners
            ? dh > 1
              ? (y * (h - 1)) / (dh - 1)
              : 0
            : Math.min(Math.max((y + 0.5) * (h / dh) - 0.5, 0), h - 1);
          const sx = alignCorners
            ? dw > 1
              ? (x * (w - 1)) / (dw - 1)
              : 0
            : Math.min(Math.max((x + 0.5) * (w / dw) - 0.5, 0), w - 1);
          expected.push(sampleAt(src, h, w, sy, sx));
        }
      }
      close(out, expected, 1e-4);
    }
  }
  assert.equal(sourceCoordinate(0, 4, 8, false), 0);
  assert.equal(sourceCoordinate(1, 4, 8, false), 0.25);
});

test("planar resize handles planes independently", () => {
  const src = Float32Array.from([0, 1, 10, 30]);
  close(resizeBilinearPlanar(src, 2, 1, 2, 1, 4), [0, 0.25, 0.75, 1, 10, 15, 25, 30]);
});

test("nearest resize uses half-pixel centres and never mixes values", () => {
  const src = Uint16Array.from([1, 2, 3, 4]);
  assert.deepEqual(Array.from(resizeNearest(src, 1, 4, 1, 2)), [2, 4]);
  assert.deepEqual(
    Array.from(resizeNearest(src, 2, 2, 4, 4)),
    [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4],
  );
  const rgb = Uint8Array.from([1, 2, 3, 4, 5, 6]);
  const out = resizeNearest(rgb, 1, 2, 1, 4, 3);
  assert.ok(out instanceof Uint8Array);
  assert.deepEqual(Array.from(out), [1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6]);
});

test("antialias resize: triangle filter widened by the downscale factor", () => {
  // 3× downscale of a 6-pixel row: output 0 has centre 1.5, support 3, taps x = 0..4 with
  // weights 1 − |x + 0.5 − 1.5| / 3
  const row = Float32Array.from([3, 6, 9, 0, 30, 60]);
  const taps = [0, 1, 2, 3, 4].map((x) => Math.max(0, 1 - Math.abs(x + 0.5 - 1.5) / 3));
  const expected0 = taps.reduce((a, w, x) => a + w * row[x]!, 0) / taps.reduce((a, b) => a + b, 0);
  const out = resizeAntialiasPlanar(row, 1, 1, 6, 1, 2);
  assert.ok(Math.abs(out[0]! - expected0) < 1e-4, `${out[0]} vs ${expected0}`);
  // upscaling is plain half-pixel bilinear
  close(resizeAntialiasPlanar(Float32Array.from([0, 1]), 1, 1, 2, 1, 4), [0, 0.25, 0.75, 1]);
  const u8 = resizeAntialiasU8(Uint8Array.from([3, 6, 9, 0, 30, 60]), 1, 6, 1, 2);
  assert.equal(u8[0], Math.round(expected0));
});

test("bad sizes are reported with the argument name", () => {
  assert.throws(() => resizeBilinear(new Float32Array(5), 2, 3, 4, 4), /source has 5 values but 1×2×3 = 6/);
  assert.throws(
    () => resizeBilinear(new Float32Array(6), 2, 3, 0, 4),
    /destination height must be a positive integer/,
  );
});
