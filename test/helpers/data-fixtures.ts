import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import jpeg from "jpeg-js";
import type { Image } from "../../compiler/data/image.js";
import { encodePng } from "../../compiler/data/image.js";
import { encodeNpy } from "../../compiler/data/npy.js";

/** The shared read-only data folder (`../shared` beside the project root); override with QUART_SHARED. */
export function sharedDir(): string {
  return process.env.QUART_SHARED ?? fileURLToPath(new URL("../../../../shared/", import.meta.url));
}

/** A fresh temporary folder and a function that removes it. */
export function tempDir(prefix = "quart-data-"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

function ensureParent(path: string): void {
  mkdirSync(dirname(path), { recursive: true });
}

/** A deterministic RGB8 test image whose pixels differ from each other. */
export function patternRgb(width: number, height: number, seed = 0): Image {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      data[i] = (x * 37 + seed * 11) & 255;
      data[i + 1] = (y * 53 + seed * 7) & 255;
      data[i + 2] = (x * y + seed) & 255;
    }
  }
  return { width, height, channels: 3, bitDepth: 8, data };
}

/** A 16-bit grey image of `values` (row-major). */
export function grey16(width: number, height: number, values: ArrayLike<number>): Image {
  return { width, height, channels: 1, bitDepth: 16, data: Uint16Array.from(values) };
}

export function writePng(path: string, image: Image): void {
  ensureParent(path);
  writeFileSync(path, encodePng(image));
}

export function writeJpeg(path: string, image: Image, quality = 95): void {
  ensureParent(path);
  const rgba = new Uint8Array(image.width * image.height * 4);
  for (let i = 0; i < image.width * image.height; i++) {
    for (let c = 0; c < 3; c++) rgba[i * 4 + c] = image.data[i * 3 + c]!;
    rgba[i * 4 + 3] = 255;
  }
  writeFileSync(path, jpeg.encode({ width: image.width, height: image.height, data: rgba }, quality).data);
}

export function writeNpyFloat32(path: string, shape: number[], values: ArrayLike<number>): void {
  ensureParent(path);
  writeFileSync(path, encodeNpy({ dtype: "float32", shape, data: Float32Array.from(values) }));
}

export function writeText(path: string, text: string): void {
  ensureParent(path);
  writeFileSync(path, text);
}

/** Raw 16-bit depth codes of a w×h frame: a ramp with a zero (invalid) pixel at the origin. */
export function depthCodes(width: number, height: number, base: number, step: number): number[] {
  const codes: number[] = [];
  for (let i = 0; i < width * height; i++) codes.push(i === 0 ? 0 : base + i * step);
  return codes;
}

/** What a fixture builder wrote, for checking what the reader returns. */
export interface FixtureFrame {
  id: string;
  rgb: Image;
  /** expected depth in metres (0 = invalid), row-major */
  depth: number[];
  width: number;
  height: number;
}

/** rgbd-folder v1 set with `count` frames of w×h; depth codes are millimetres unless a unit is given. */
export function buildRgbdFolder(
  dir: string,
  options: {
    count?: number;
    width?: number;
    height?: number;
    kind?: "metric" | "disparity";
    unit?: number;
  } = {},
): FixtureFrame[] {
  const { count = 2, width = 4, height = 3, kind = "metric", unit = 0.001 } = options;
  const frames: FixtureFrame[] = [];
  const samples: unknown[] = [];
  for (let k = 0; k < count; k++) {
    const id = `frame${k}`;
    const rgb = patternRgb(width, height, k);
    const codes = depthCodes(width, height, 500 + 100 * k, 7);
    writePng(join(dir, "rgb", `${id}.png`), rgb);
    writePng(join(dir, "depth", `${id}.png`), grey16(width, height, codes));
    const depth = codes.map((c) => {
      const v = Math.fround(c * unit);
      return kind === "disparity" ? (v > 0 ? Math.fround(1 / v) : 0) : v;
    });
    frames.push({ id, rgb, depth, width, height });
    samples.push({ id, rgb: `rgb/${id}.png`, depth: `depth/${id}.png`, intrinsics: [5, 5, 2, 1.5] });
  }
  const manifest = {
    format: "rgbd-folder/1",
    name: "fixture",
    kind,
    depth_unit_m: unit,
    min_depth_m: 0.1,
    max_depth_m: 10,
    samples,
  };
  writeText(join(dir, "manifest.json"), JSON.stringify(manifest, null, 1));
  return frames;
}

/** NYUv2 BTS test layout: <scene>/rgb_NNNNN.jpg + sync_depth_NNNNN.png (mm). */
export function buildNyuBts(dir: string, width = 8, height = 6): FixtureFrame[] {
  const frames: FixtureFrame[] = [];
  const entries = [
    ["bathroom", "00045"],
    ["bathroom", "00046"],
    ["kitchen", "00100"],
  ] as const;
  entries.forEach(([scene, num], k) => {
    const rgb = patternRgb(width, height, k);
    const codes = depthCodes(width, height, 800 + k * 50, 13);
    writeJpeg(join(dir, scene, `rgb_${num}.jpg`), rgb);
    writePng(join(dir, scene, `sync_depth_${num}.png`), grey16(width, height, codes));
    frames.push({
      id: `${scene}/${num}`,
      rgb,
      depth: codes.map((c) => Math.fround(c * 1e-3)),
      width,
      height,
    });
  });
  // an RGB frame without ground truth is not a sample
  writeJpeg(join(dir, "kitchen", "rgb_00999.jpg"), patternRgb(width, height, 9));
  return frames;
}

/** KITTI layout: <date>/<drive>/proj_depth/groundtruth/image_02/<frame>.png (m × 256) + image_02/data RGB. */
export function buildKitti(dir: string, width = 20, height = 10): FixtureFrame[] {
  const frames: FixtureFrame[] = [];
  const drives = [
    ["2011_09_26", "2011_09_26_drive_0002_sync", ["0000000069", "0000000070"]],
    ["2011_09_28", "2011_09_28_drive_0037_sync", ["0000000005"]],
  ] as const;
  let k = 0;
  for (const [date, drive, frameNames] of drives) {
    for (const frame of frameNames) {
      const rgb = patternRgb(width, height, k);
      const codes = depthCodes(width, height, 256 * 5 + k, 97);
      writePng(join(dir, date, drive, "image_02", "data", `${frame}.png`), rgb);
      writePng(
        join(dir, date, drive, "proj_depth", "groundtruth", "image_02", `${frame}.png`),
        grey16(width, height, codes),
      );
      frames.push({
        id: `${drive}/${frame}`,
        rgb,
        depth: codes.map((c) => Math.fround(c / 256)),
        width,
        height,
      });
      k++;
    }
  }
  // an RGB frame with no annotation is not a sample
  writePng(
    join(dir, "2011_09_26", "2011_09_26_drive_0002_sync", "image_02", "data", "0000000001.png"),
    patternRgb(width, height),
  );
  return frames;
}

/** DIODE val layout: indoors/<scene>/<scan>/<name>.png + _depth.npy (H,W,1) + _depth_mask.npy (H,W). */
export function buildDiode(
  dir: string,
  width = 5,
  height = 4,
  split: "indoors" | "outdoors" = "indoors",
): FixtureFrame[] {
  const frames: FixtureFrame[] = [];
  const names = [
    ["scene_00019", "scan_00183", "00019_00183_indoors_000_010"],
    ["scene_00020", "scan_00185", "00020_00185_indoors_000_020"],
  ] as const;
  names.forEach(([scene, scan, name], k) => {
    const base = join(dir, split, scene, scan, name);
    const rgb = patternRgb(width, height, k);
    const depth: number[] = [];
    const mask: number[] = [];
    for (let i = 0; i < width * height; i++) {
      depth.push(1 + k + i * 0.25);
      mask.push(i % 3 === 1 ? 0 : 1);
    }
    writePng(`${base}.png`, rgb);
    writeNpyFloat32(`${base}_depth.npy`, [height, width, 1], depth);
    writeNpyFloat32(`${base}_depth_mask.npy`, [height, width], mask);
    frames.push({
      id: `${split}/${scene}/${scan}/${name}`,
      rgb,
      depth: depth.map((d, i) => (mask[i] ? Math.fround(d) : 0)),
      width,
      height,
    });
  });
  return frames;
}
