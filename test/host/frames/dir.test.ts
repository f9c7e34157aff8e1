import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { encodePng } from "../../../compiler/data/image.js";
import { framesFromDir, listImageFiles } from "../../../host/frames/dir.js";
import type { Frame } from "../../../host/frames/source.js";

function png(path: string, width: number, height: number, value: number, channels: 1 | 3 = 3): void {
  const data = new Uint8Array(width * height * channels).fill(value);
  writeFileSync(path, encodePng({ width, height, channels, bitDepth: 8, data }));
}

function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), "quart-frames-"));
  png(join(dir, "f10.png"), 4, 2, 100);
  png(join(dir, "f2.png"), 4, 2, 20);
  png(join(dir, "f1.PNG"), 4, 2, 10, 1); // grey, upper-case extension
  writeFileSync(join(dir, "notes.txt"), "not an image");
  writeFileSync(join(dir, ".hidden.png"), "hidden");
  mkdirSync(join(dir, "sub.png"));
  return dir;
}

test("framesFromDir yields the images in natural order as 8-bit RGB with increasing timestamps", async () => {
  const dir = folder();
  assert.deepEqual(listImageFiles(dir), ["f1.PNG", "f2.png", "f10.png"]);
  const source = framesFromDir(dir);
  assert.equal(source.length, 3);
  assert.match(source.description, /3 images/);
  const frames: Frame[] = [];
  for await (const f of source) frames.push(f);
  await source.close();
  assert.deepEqual(
    frames.map((f) => [f.index, f.name, f.image.data[0]]),
    [
      [0, "f1.PNG", 10],
      [1, "f2.png", 20],
      [2, "f10.png", 100],
    ],
  );
  for (const f of frames) {
    assert.equal(f.image.channels, 3, "grey is expanded to RGB");
    assert.equal(f.image.bitDepth, 8);
    assert.equal(f.image.data.length, 4 * 2 * 3);
  }
  assert.ok(frames[0]!.timestamp <= frames[1]!.timestamp && frames[1]!.timestamp <= frames[2]!.timestamp);
  assert.equal(source.dropped(), 0);
});

test("closing a folder source ends the iteration", async () => {
  const source = framesFromDir(folder());
  const seen: number[] = [];
  for await (const f of source) {
    seen.push(f.index);
    await source.close();
  }
  assert.deepEqual(seen, [0]);
});

test("framesFromDir rejects missing, empty and non-folder paths with a clear message", () => {
  const dir = mkdtempSync(join(tmpdir(), "quart-frames-empty-"));
  writeFileSync(join(dir, "readme.txt"), "x");
  assert.throws(() => framesFromDir(dir), /no PNG or JPEG images/);
  assert.throws(() => framesFromDir(join(dir, "absent")), /folder not found/);
  assert.throws(() => framesFromDir(join(dir, "readme.txt")), /is a file, expected a folder/);
});

test("a broken image fails the iteration naming the file", async () => {
  const dir = mkdtempSync(join(tmpdir(), "quart-frames-bad-"));
  png(join(dir, "a.png"), 2, 2, 1);
  writeFileSync(join(dir, "b.png"), "garbage");
  const source = framesFromDir(dir);
  const seen: number[] = [];
  await assert.rejects(async () => {
    for await (const f of source) seen.push(f.index);
  }, /b\.png: not a PNG or JPEG/);
  assert.deepEqual(seen, [0]);
});
