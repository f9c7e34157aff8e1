import assert from "node:assert/strict";
import { test } from "node:test";
import { colorize, turboColor } from "../../../compiler/data/colormap.js";

test("gray map spans black to white over the value range", () => {
  const image = colorize(Float32Array.from([2, 4, 6]), 1, 3, { map: "gray" });
  assert.equal(image.channels, 3);
  assert.equal(image.bitDepth, 8);
  assert.deepEqual(Array.from(image.data), [0, 0, 0, 128, 128, 128, 255, 255, 255]);
});

test("explicit min/max clamp values outside the range", () => {
  const image = colorize(Float32Array.from([-5, 5, 15]), 1, 3, { map: "gray", min: 0, max: 10 });
  assert.deepEqual(Array.from(image.data), [0, 0, 0, 128, 128, 128, 255, 255, 255]);
});

test("non-finite values are black and do not set the range", () => {
  const image = colorize(Float32Array.from([Number.NaN, 1, 3, Number.POSITIVE_INFINITY]), 2, 2, {
    map: "gray",
  });
  assert.deepEqual(Array.from(image.data), [0, 0, 0, 0, 0, 0, 255, 255, 255, 0, 0, 0]);
});

test("turbo runs from dark blue through green to dark red", () => {
  const [r0, g0, b0] = turboColor(0);
  assert.ok(b0 > r0 && b0 > g0 && r0 + g0 + b0 < 200, "low end is dark blue");
  const [r1, g1, b1] = turboColor(1);
  assert.ok(r1 > 100 && g1 < 20 && b1 < 20, "high end is dark red");
  const [rm, gm, bm] = turboColor(0.45);
  assert.ok(gm > rm && gm > bm && gm > 200, "middle is bright green");
  // brighter in the middle than at the ends, like Turbo
  const lum = (c: number[]) => c[0]! + c[1]! + c[2]!;
  assert.ok(lum(turboColor(0.5)) > lum(turboColor(0)) + 200);
  assert.ok(lum(turboColor(0.5)) > lum(turboColor(1)) + 200);
  // continuous: neighbouring table entries differ by a small step
  for (let k = 0; k < 255; k++) {
    const a = turboColor(k / 255);
    const b = turboColor((k + 1) / 255);
    for (let c = 0; c < 3; c++) assert.ok(Math.abs(a[c]! - b[c]!) <= 8, `jump at ${k}`);
  }
});

test("a constant map does not divide by zero", () => {
  const image = colorize(Float32Array.from([7, 7]), 1, 2, { map: "turbo" });
  assert.deepEqual(Array.from(image.data.subarray(0, 3)), turboColor(0));
});

test("size mismatches and unknown maps are reported", () => {
  assert.throws(() => colorize(new Float32Array(3), 2, 2, { map: "gray" }), /2×2 map needs 4 values, got 3/);
  assert.throws(
    () => colorize(new Float32Array(1), 1, 1, { map: "jet" as unknown as "gray" }),
    /unknown colour map "jet"/,
  );
});
