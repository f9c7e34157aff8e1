import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { DataError } from "../../../compiler/data/errors.js";
import {
  decodeImage,
  encodePng,
  type Image,
  readImage,
  sniffImageFormat,
  toFloatCHW,
  writePngAtomic,
} from "../../../compiler/data/image.js";
import { grey16, patternRgb, tempDir, writeJpeg } from "../../helpers/data-fixtures.js";
import { buildRawPng } from "../../helpers/data-png.js";

test("8-bit RGB PNG round-trips exactly", () => {
  const image = patternRgb(7, 5);
  const back = decodeImage(encodePng(image), "rgb.png");
  assert.deepEqual(back, image);
});

test("16-bit grey PNG keeps full 16-bit values", () => {
  const values = [0, 1, 255, 256, 1234, 40000, 65534, 65535];
  const back = decodeImage(encodePng(grey16(4, 2, values)), "depth.png");
  assert.equal(back.bitDepth, 16);
  assert.equal(back.channels, 1);
  assert.ok(back.data instanceof Uint16Array);
  assert.deepEqual(Array.from(back.data), values);
});

test("16-bit RGB and 8-bit grey PNG round-trip", () => {
  const rgb16: Image = {
    width: 2,
    height: 1,
    channels: 3,
    bitDepth: 16,
    data: Uint16Array.from([1, 2, 3, 60000, 513, 7]),
  };
  assert.deepEqual(decodeImage(encodePng(rgb16), "a.png"), rgb16);
  const grey8: Image = {
    width: 3,
    height: 1,
    channels: 1,
    bitDepth: 8,
    data: Uint8Array.from([0, 128, 255]),
  };
  assert.deepEqual(decodeImage(encodePng(grey8), "b.png"), grey8);
});

test("palette PNG becomes RGB", () => {
  const palette = [
    [10, 20, 30],
    [200, 100, 50],
  ];
  const png = buildRawPng({
    width: 2,
    height: 1,
    colorType: 3,
    bitDepth: 8,
    rows: [Uint8Array.from([1, 0])],
    palette,
  });
  const image = decodeImage(png, "palette.png");
  assert.equal(image.channels, 3);
  assert.equal(image.bitDepth, 8);
  assert.deepEqual(Array.from(image.data), [200, 100, 50, 10, 20, 30]);
});

test("grey+alpha PNG drops alpha, RGBA PNG becomes RGB", () => {
  const ga = buildRawPng({
    width: 2,
    height: 1,
    colorType: 4,
    bitDepth: 8,
    rows: [Uint8Array.from([77, 0, 99, 255])],
  });
  const grey = decodeImage(ga, "ga.png");
  assert.equal(grey.channels, 1);
  assert.deepEqual(Array.from(grey.data), [77, 99]);
  const rgba = buildRawPng({
    width: 1,
    height: 1,
    colorType: 6,
    bitDepth: 8,
    rows: [Uint8Array.from([1, 2, 3, 4])],
  });
  assert.deepEqual(Array.from(decodeImage(rgba, "rgba.png").data), [1, 2, 3]);
});

test("16-bit grey+alpha PNG keeps the 16-bit grey values", () => {
  // big-endian samples: grey 0x1234, alpha 0xffff, grey 0xfedc, alpha 0
  const row = Uint8Array.from([0x12, 0x34, 0xff, 0xff, 0xfe, 0xdc, 0, 0]);
  const image = decodeImage(
    buildRawPng({ width: 2, height: 1, colorType: 4, bitDepth: 16, rows: [row] }),
    "ga16",
  );
  assert.equal(image.bitDepth, 16);
  assert.deepEqual(Array.from(image.data), [0x1234, 0xfedc]);
});

test("low bit depth grey PNGs are stretched to 0..255", () => {
  // 1-bit: 1,0,1,1 packed MSB first; 2-bit: 0,1,2,3
  const oneBit = decodeImage(
    buildRawPng({ width: 4, height: 1, colorType: 0, bitDepth: 1, rows: [Uint8Array.from([0b10110000])] }),
    "1bit.png",
  );
  assert.deepEqual(Array.from(oneBit.data), [255, 0, 255, 255]);
  const twoBit = decodeImage(
    buildRawPng({ width: 4, height: 1, colorType: 0, bitDepth: 2, rows: [Uint8Array.from([0b00011011])] }),
    "2bit.png",
  );
  assert.deepEqual(Array.from(twoBit.data), [0, 85, 170, 255]);
});

test("JPEG decodes to RGB close to the encoded picture", (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const width = 16;
  const height = 16;
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++)
    data.set([120 + (i % 16) * 4, 60, 200 - Math.floor(i / 16) * 5], i * 3);
  const path = join(dir, "smooth.jpg");
  writeJpeg(path, { width, height, channels: 3, bitDepth: 8, data }, 100);
  const image = readImage(path);
  assert.equal(image.width, width);
  assert.equal(image.height, height);
  assert.equal(image.channels, 3);
  let worst = 0;
  for (let i = 0; i < data.length; i++) worst = Math.max(worst, Math.abs(image.data[i]! - data[i]!));
  assert.ok(worst <= 12, `JPEG error ${worst} too large`);
});

test("format is sniffed from bytes, not the file name", (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const path = join(dir, "actually-png.jpg");
  writeFileSync(path, encodePng(patternRgb(3, 2)));
  assert.equal(sniffImageFormat(encodePng(patternRgb(1, 1))), "png");
  assert.deepEqual(readImage(path), patternRgb(3, 2));
});

test("bad images give errors naming the file and the problem", (t) => {
  const png = encodePng(patternRgb(32, 32));
  assert.throws(
    () => decodeImage(png.subarray(0, png.length - 40), "cut.png"),
    (e: Error) => e instanceof DataError && /cut\.png/.test(e.message) && /truncated/.test(e.message),
  );
  assert.throws(
    () => decodeImage(Uint8Array.from([1, 2, 3, 4, 5]), "junk.bin"),
    (e: Error) =>
      e instanceof DataError && /junk\.bin: not a PNG or JPEG/.test(e.message) && /01 02 03/.test(e.message),
  );
  assert.throws(() => decodeImage(new Uint8Array(0), "empty.png"), /empty\.png: file is empty/);
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const jpegPath = join(dir, "whole.jpg");
  writeJpeg(jpegPath, patternRgb(32, 32));
  const jpegBytes = new Uint8Array(readFileSync(jpegPath));
  assert.throws(
    () => decodeImage(jpegBytes.subarray(0, Math.floor(jpegBytes.length / 2)), "half.jpg"),
    (e: Error) => e instanceof DataError && /half\.jpg: broken or truncated JPEG/.test(e.message),
  );
  assert.throws(() => readImage(join(dir, "missing.png")), /missing\.png: image file not found/);
});

test("writePngAtomic writes a readable file and leaves no temporary files", (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const path = join(dir, "out.png");
  writePngAtomic(path, patternRgb(5, 4, 1));
  writePngAtomic(path, patternRgb(5, 4, 2));
  assert.deepEqual(readImage(path), patternRgb(5, 4, 2));
  assert.deepEqual(readdirSync(dir), ["out.png"]);
  assert.throws(
    () => writePngAtomic(join(dir, "no-such-dir", "x.png"), patternRgb(1, 1)),
    /cannot write .*x\.png/,
  );
  assert.throws(
    () => encodePng({ width: 2, height: 2, channels: 3, bitDepth: 8, data: new Uint8Array(5) }),
    /needs 12 samples, has 5/,
  );
});

test("toFloatCHW gives planar RGB in [0, 1]", () => {
  const image = patternRgb(4, 3);
  const out = toFloatCHW(image, { width: 4, height: 3 });
  assert.equal(out.length, 3 * 12);
  for (let i = 0; i < 12; i++) {
    for (let c = 0; c < 3; c++) assert.equal(out[c * 12 + i], Math.fround(image.data[i * 3 + c]! / 255));
  }
  const grey = toFloatCHW(grey16(2, 1, [0, 65535]), { width: 2, height: 1 });
  assert.deepEqual(Array.from(grey), [0, 1, 0, 1, 0, 1]);
});

test("toFloatCHW resizes: antialias averages on downscale, bilinear samples", () => {
  // 4×1 row 0, 255, 0, 255 halved: antialias (triangle over 2 px each side) mixes neighbours,
  // plain half-pixel bilinear samples x = 0.5 and 2.5 exactly
  const row: Image = {
    width: 4,
    height: 1,
    channels: 1,
    bitDepth: 8,
    data: Uint8Array.from([0, 255, 0, 255]),
  };
  const bilinear = toFloatCHW(row, { width: 2, height: 1 }, { resample: "bilinear" });
  assert.deepEqual(Array.from(bilinear.subarray(0, 2)), [0.5, 0.5]);
  const antialias = toFloatCHW(row, { width: 2, height: 1 });
  // weights for output 0 (centre 1.0, support 2): x=0 → 0.75, x=1 → 0.75, x=2 → 0.25 (normalised /1.75)
  const expected0 = Math.round((0.75 * 255) / 1.75) / 255;
  assert.ok(Math.abs(antialias[0]! - expected0) < 1e-6, `${antialias[0]} vs ${expected0}`);
  assert.equal(antialias.length, 6);
});
