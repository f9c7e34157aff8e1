import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import {
  detectDatasetLayout,
  kittiGargMask,
  listCalibrationImages,
  listImages,
  nyuEigenMask,
  openDataset,
} from "../../../compiler/data/datasets.js";
import { DataError } from "../../../compiler/data/errors.js";
import {
  buildDiode,
  buildKitti,
  buildNyuBts,
  buildRgbdFolder,
  type FixtureFrame,
  patternRgb,
  sharedDir,
  tempDir,
  writePng,
  writeText,
} from "../../helpers/data-fixtures.js";

function assertDepthEqual(actual: Float32Array, frame: FixtureFrame): void {
  assert.equal(actual.length, frame.width * frame.height);
  assert.deepEqual(Array.from(actual), frame.depth);
}

/** Count of ones in a mask and the bounding box of the ones, computed directly. */
function maskBox(mask: Uint8Array, h: number, w: number) {
  let top = h;
  let bottom = -1;
  let left = w;
  let right = -1;
  let ones = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (!mask[y * w + x]) continue;
      ones++;
      top = Math.min(top, y);
      bottom = Math.max(bottom, y);
      left = Math.min(left, x);
      right = Math.max(right, x);
    }
  }
  return { ones, top, bottom, left, right };
}

test("rgbd-folder: manifest fields, paths and depth in metres", (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const frames = buildRgbdFolder(dir, { count: 3 });
  assert.equal(detectDatasetLayout(dir), "rgbd-folder");
  for (const ds of [openDataset(dir), openDataset(join(dir, "manifest.json"))]) {
    assert.equal(ds.layout, "rgbd-folder");
    assert.equal(ds.name, "fixture");
    assert.equal(ds.kind, "metric");
    assert.equal(ds.minDepth, 0.1);
    assert.equal(ds.maxDepth, 10);
    assert.deepEqual(
      ds.samples.map((s) => s.id),
      frames.map((f) => f.id),
    );
    const [first] = ds.samples;
    assert.equal(first!.rgbPath, join(dir, "rgb", "frame0.png"));
    assert.deepEqual(first!.intrinsics, [5, 5, 2, 1.5]);
    frames.forEach((frame, k) => {
      const sample = ds.samples[k]!;
      assert.deepEqual(ds.loadRgb(sample), frame.rgb);
      assertDepthEqual(ds.loadDepth(sample), frame);
      const map = ds.loadDepthMap(sample);
      assert.equal(map.width, frame.width);
      assert.equal(map.height, frame.height);
    });
    assert.equal(ds.evalMask, undefined);
  }
});

test("rgbd-folder: disparity sets return reciprocal (relative) depth", (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const frames = buildRgbdFolder(dir, { kind: "disparity", unit: 1 / 64 });
  const ds = openDataset(dir);
  assert.equal(ds.kind, "disparity");
  const depth = ds.loadDepth(ds.samples[0]!);
  assert.equal(depth[0], 0, "zero disparity stays invalid");
  for (let i = 1; i < depth.length; i++) assert.ok(Math.abs(depth[i]! - frames[0]!.depth[i]!) < 1e-6);
  // without a range in the manifest the set has none
  const manifestPath = join(dir, "manifest.json");
  const manifest = JSON.parse(readText(manifestPath)) as Record<string, unknown>;
  delete manifest.min_depth_m;
  delete manifest.max_depth_m;
  writeText(manifestPath, JSON.stringify(manifest));
  const open = openDataset(dir);
  assert.equal(open.minDepth, 0);
  assert.equal(open.maxDepth, Number.POSITIVE_INFINITY);
});

function readText(path: string): string {
  return readFileSync(path, "utf8");
}

test("rgbd-folder: manifest problems are reported with the manifest path and field", (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  buildRgbdFolder(dir);
  const manifestPath = join(dir, "manifest.json");
  const good = JSON.parse(readText(manifestPath)) as Record<string, unknown>;
  const expectError = (change: (m: Record<string, unknown>) => void, pattern: RegExp) => {
    const m = structuredClone(good);
    change(m);
    writeText(manifestPath, JSON.stringify(m));
    assert.throws(
      () => openDataset(dir),
      (e: Error) => e instanceof DataError && e.message.includes(manifestPath) && pattern.test(e.message),
      pattern.source,
    );
  };
  expectError((m) => {
    m.format = "rgbd-folder/2";
  }, /"format" must be "rgbd-folder\/1", got "rgbd-folder\/2"/);
  expectError((m) => {
    m.kind = "relative";
  }, /"kind" must be "metric" or "disparity"/);
  expectError((m) => {
    m.depth_unit_m = 0;
  }, /"depth_unit_m" must be a positive number/);
  expectError((m) => {
    m.max_depth_m = 0.05;
  }, /"max_depth_m" \(0\.05\) must exceed "min_depth_m"/);
  expectError((m) => {
    m.samples = [];
  }, /"samples" must be a non-empty array/);
  expectError((m) => {
    (m.samples as Record<string, unknown>[])[1]!.id = "frame0";
  }, /duplicate sample id "frame0"/);
  expectError((m) => {
    (m.samples as Record<string, unknown>[])[0]!.rgb = "/abs/x.png";
  }, /samples\[0\]: "rgb" must be relative/);
  expectError((m) => {
    (m.samples as Record<string, unknown>[])[1]!.depth = "depth/nope.png";
  }, /1 referenced file\(s\) missing: .*nope\.png/);
  expectError((m) => {
    (m.samples as Record<string, unknown>[])[0]!.intrinsics = [1, 2];
  }, /"intrinsics" must be \[fx, fy, cx, cy\]/);
  writeText(manifestPath, "{ not json");
  assert.throws(() => openDataset(dir), /manifest is not valid JSON/);
});

test("NYUv2 BTS layout: pairs in scene folders, depth in mm, Eigen crop", (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const frames = buildNyuBts(dir);
  assert.equal(detectDatasetLayout(dir), "nyu-bts");
  const ds = openDataset(dir);
  assert.equal(ds.layout, "nyu-bts");
  assert.equal(ds.minDepth, 1e-3);
  assert.equal(ds.maxDepth, 10);
  assert.deepEqual(
    ds.samples.map((s) => s.id),
    frames.map((f) => f.id),
  );
  frames.forEach((frame, k) => {
    const sample = ds.samples[k]!;
    assertDepthEqual(ds.loadDepth(sample), frame);
    const rgb = ds.loadRgb(sample);
    assert.equal(rgb.width, frame.width);
    assert.equal(rgb.channels, 3);
  });
  const mask = ds.evalMask!(480, 640);
  assert.deepEqual(maskBox(mask, 480, 640), {
    ones: (471 - 45) * (601 - 41),
    top: 45,
    bottom: 470,
    left: 41,
    right: 600,
  });
  assert.deepEqual(nyuEigenMask(480, 640), mask);
  // other sizes get the same fractions of the frame
  const half = maskBox(nyuEigenMask(240, 320), 240, 320);
  assert.equal(half.top, Math.round(45 / 2));
  assert.equal(half.right, Math.round(601 / 2) - 1);
});

test("NYUv2 split file", (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const frames = buildNyuBts(dir);
  const split = join(dir, "nyudepthv2_test_files_with_gt.txt");
  writeText(
    split,
    "bathroom/rgb_00045.jpg bathroom/sync_depth_00045.png 518.8579\n\nkitchen/rgb_00100.jpg kitchen/sync_depth_00100.png 518.8579\n",
  );
  const ds = openDataset(split);
  assert.equal(ds.layout, "nyu-bts");
  assert.deepEqual(
    ds.samples.map((s) => s.id),
    ["bathroom/00045", "kitchen/00100"],
  );
  assertDepthEqual(ds.loadDepth(ds.samples[1]!), frames[2]!);
  writeText(split, "bathroom/rgb_00045.jpg\n");
  assert.throws(
    () => openDataset(split),
    /nyudepthv2_test_files_with_gt\.txt:1: expected "<rgb path> <depth path\|None> \[focal\]"/,
  );
});

test("KITTI Eigen folder layout: depth / 256, RGB beside it, Garg crop", (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const frames = buildKitti(dir);
  assert.equal(detectDatasetLayout(dir), "kitti-eigen");
  const ds = openDataset(dir);
  assert.equal(ds.layout, "kitti-eigen");
  assert.equal(ds.minDepth, 1e-3);
  assert.equal(ds.maxDepth, 80);
  assert.deepEqual(
    ds.samples.map((s) => s.id),
    frames.map((f) => f.id),
  );
  frames.forEach((frame, k) => {
    const sample = ds.samples[k]!;
    assertDepthEqual(ds.loadDepth(sample), frame);
    assert.deepEqual(ds.loadRgb(sample), frame.rgb);
  });
  const [h, w] = [375, 1242];
  const box = maskBox(ds.evalMask!(h, w), h, w);
  const rows = [Math.floor(0.40810811 * h), Math.floor(0.99189189 * h)];
  const cols = [Math.floor(0.03594771 * w), Math.floor(0.96405229 * w)];
  assert.deepEqual(box, {
    ones: (rows[1]! - rows[0]!) * (cols[1]! - cols[0]!),
    top: rows[0],
    bottom: rows[1]! - 1,
    left: cols[0],
    right: cols[1]! - 1,
  });
  assert.deepEqual(kittiGargMask(h, w), ds.evalMask!(h, w));
});

test("KITTI: a ground-truth frame without its RGB image is an error", (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  buildKitti(dir);
  rmSync(join(dir, "2011_09_28", "2011_09_28_drive_0037_sync", "image_02", "data", "0000000005.png"));
  assert.throws(() => openDataset(dir), /1 referenced file\(s\) missing: .*0000000005\.png/);
});

test("KITTI split file: None frames and depth paths without the date folder", (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const frames = buildKitti(dir);
  const split = join(dir, "eigen_test_files_with_gt.txt");
  writeText(
    split,
    [
      "2011_09_26/2011_09_26_drive_0002_sync/image_02/data/0000000069.png 2011_09_26_drive_0002_sync/proj_depth/groundtruth/image_02/0000000069.png 721.5377",
      "2011_09_26/2011_09_26_drive_0002_sync/image_02/data/0000000001.png None 721.5377",
      "2011_09_28/2011_09_28_drive_0037_sync/image_02/data/0000000005.png 2011_09_28/2011_09_28_drive_0037_sync/proj_depth/groundtruth/image_02/0000000005.png",
    ].join("\n"),
  );
  const ds = openDataset(split);
  assert.equal(ds.layout, "kitti-eigen");
  assert.deepEqual(
    ds.samples.map((s) => s.id),
    [
      "2011_09_26_drive_0002_sync/0000000069",
      "2011_09_26_drive_0002_sync/0000000001",
      "2011_09_28_drive_0037_sync/0000000005",
    ],
  );
  assert.equal(ds.samples[1]!.depthPath, undefined);
  assertDepthEqual(ds.loadDepth(ds.samples[0]!), frames[0]!);
  assertDepthEqual(ds.loadDepth(ds.samples[2]!), frames[2]!);
  assert.throws(
    () => ds.loadDepth(ds.samples[1]!),
    /sample 2011_09_26_drive_0002_sync\/0000000001 has no ground-truth depth/,
  );
});

test("DIODE val layout: depth masked by the validity mask, indoor range", (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const frames = buildDiode(dir);
  assert.equal(detectDatasetLayout(dir), "diode");
  const ds = openDataset(dir);
  assert.equal(ds.layout, "diode");
  assert.equal(ds.maxDepth, 10);
  assert.deepEqual(
    ds.samples.map((s) => s.id),
    frames.map((f) => f.id),
  );
  frames.forEach((frame, k) => {
    const sample = ds.samples[k]!;
    assertDepthEqual(ds.loadDepth(sample), frame);
    assert.deepEqual(ds.loadRgb(sample), frame.rgb);
  });
  // opened at the scene level it is still DIODE; outdoor frames widen the range
  assert.equal(openDataset(join(dir, "indoors", "scene_00019")).samples.length, 1);
  buildDiode(dir, 5, 4, "outdoors");
  assert.equal(openDataset(dir).maxDepth, 350);
  assert.equal(openDataset(dir, { maxDepth: 50 }).maxDepth, 50);
});

test("DIODE: a missing mask file is reported", (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  buildDiode(dir);
  rmSync(join(dir, "indoors", "scene_00019", "scan_00183", "00019_00183_indoors_000_010_depth_mask.npy"));
  assert.throws(() => openDataset(dir), /referenced file\(s\) missing: .*_depth_mask\.npy/);
});

test("unknown folders name every layout looked for", (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  writePng(join(dir, "a.png"), patternRgb(2, 2));
  assert.equal(detectDatasetLayout(dir), null);
  assert.throws(
    () => openDataset(dir),
    (e: Error) =>
      e instanceof DataError &&
      e.message.startsWith(`${dir}: not a recognised depth data set`) &&
      [
        "rgbd-folder/1",
        "proj_depth/groundtruth",
        "sync_depth_NNNNN.png",
        "_depth_mask.npy",
        "listImages",
      ].every((s) => e.message.includes(s)),
  );
  assert.throws(() => openDataset(join(dir, "nowhere")), /nowhere: data set not found/);
  assert.throws(() => openDataset(dir, { minDepth: 5, maxDepth: 1 }), /not a recognised/);
});

test("range overrides are validated", (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  buildRgbdFolder(dir);
  assert.equal(openDataset(dir, { minDepth: 0.5 }).minDepth, 0.5);
  assert.throws(
    () => openDataset(dir, { minDepth: 5, maxDepth: 1 }),
    /evaluation range must satisfy 0 ≤ min < max, got 5\.\.1/,
  );
});

test("listImages: natural order, extensions, recursion and errors", (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  for (const name of ["img10.png", "img2.JPG", "img1.jpeg", "notes.txt", ".hidden.png"]) {
    writeFileSync(join(dir, name), "x");
  }
  mkdirSync(join(dir, "sub"));
  writeFileSync(join(dir, "sub", "deep.png"), "x");
  assert.deepEqual(
    listImages(dir).map((p) => p.slice(dir.length + 1)),
    ["img1.jpeg", "img2.JPG", "img10.png"],
  );
  assert.deepEqual(
    listImages(dir, { recursive: true }).map((p) => p.slice(dir.length + 1)),
    ["img1.jpeg", "img2.JPG", "img10.png", "sub/deep.png"],
  );
  assert.deepEqual(listCalibrationImages(dir), listImages(dir));
  assert.throws(() => listImages(join(dir, "sub", "none")), /image folder not found/);
  const empty = join(dir, "empty");
  mkdirSync(empty);
  assert.throws(() => listImages(empty), /no images found in it \(looked for \*\.png, \*\.jpg, \*\.jpeg\)/);
});

test("listCalibrationImages gives a data set's RGB frames", (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  buildRgbdFolder(dir, { count: 2 });
  assert.deepEqual(listCalibrationImages(dir), [
    join(dir, "rgb", "frame0.png"),
    join(dir, "rgb", "frame1.png"),
  ]);
});

test("real mosd-test set (rgbd-folder v1)", (t) => {
  const root = join(sharedDir(), "data", "mosd-test");
  if (!existsSync(join(root, "manifest.json"))) {
    t.skip(`mosd-test not found at ${root}; shared data is not installed here`);
    return;
  }
  const ds = openDataset(root);
  assert.equal(ds.layout, "rgbd-folder");
  assert.equal(ds.kind, "metric");
  assert.equal(ds.samples.length, 40);
  assert.equal(ds.minDepth, 0.1);
  assert.equal(ds.maxDepth, 10);
  const sample = ds.samples[0]!;
  const rgb = ds.loadRgb(sample);
  assert.deepEqual([rgb.width, rgb.height, rgb.channels, rgb.bitDepth], [640, 480, 3, 8]);
  const depth = ds.loadDepthMap(sample);
  assert.deepEqual([depth.width, depth.height], [640, 480]);
  let valid = 0;
  let lo = Number.POSITIVE_INFINITY;
  let hi = 0;
  for (const d of depth.data) {
    if (!(d > ds.minDepth && d < ds.maxDepth)) continue;
    valid++;
    lo = Math.min(lo, d);
    hi = Math.max(hi, d);
  }
  const fraction = valid / depth.data.length;
  assert.ok(fraction > 0.3 && fraction < 0.9, `valid fraction ${fraction}`);
  assert.ok(lo > 0.2 && hi < 3, `tabletop depths ${lo}..${hi} m`);
});
