import { readdirSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import {
  assembleDataset,
  type DepthDataset,
  type DepthSample,
  type OpenDatasetOptions,
  readDepthPng,
  rectangleMask,
  requireFilesExist,
} from "./depth-dataset.js";
import { DataError } from "./errors.js";
import { findDirectoriesNamed, isFile, naturalCompare, requireDirectory } from "./files.js";
import { readSplitFile } from "./split-file.js";

/** `<date>/<drive>/proj_depth` sits three levels below the root. */
const KITTI_SEARCH_DEPTH = 3;
const GT_SUBDIR = join("groundtruth", "image_02");

/**
 * Garg et al. crop as fractions of the frame (rows 0.40810811·H..0.99189189·H, cols
 * 0.03594771·W..0.96405229·W), truncated to integers like the reference evaluation code.
 */
export function kittiGargMask(h: number, w: number): Uint8Array {
  return rectangleMask(
    h,
    w,
    Math.trunc(0.40810811 * h),
    Math.trunc(0.99189189 * h),
    Math.trunc(0.03594771 * w),
    Math.trunc(0.96405229 * w),
  );
}

const KITTI_RANGE = { minDepth: 1e-3, maxDepth: 80 };

function kittiDataset(root: string, samples: DepthSample[], options: OpenDatasetOptions): DepthDataset {
  return assembleDataset(
    {
      name: "kitti-eigen-test",
      layout: "kitti-eigen",
      root,
      kind: "metric",
      ...KITTI_RANGE,
      samples,
      // annotated depth maps store metres × 256
      loadDepthMap: (_sample, depthPath) => readDepthPng(depthPath, 1 / 256),
      evalMask: kittiGargMask,
    },
    options,
  );
}

/** `proj_depth` folders below root that hold `groundtruth/image_02`. */
export function findKittiDepthFolders(root: string): string[] {
  return findDirectoriesNamed(root, "proj_depth", KITTI_SEARCH_DEPTH).filter((d) => {
    try {
      return readdirSync(join(d, GT_SUBDIR)).some((f) => f.endsWith(".png"));
    } catch {
      return false;
    }
  });
}

/**
 * KITTI Eigen test in the folder layout `<date>/<drive>/proj_depth/groundtruth/image_02/<frame>.png`
 * (depth × 256) with RGB at `<date>/<drive>/image_02/data/<frame>.png`. Every ground-truth frame
 * becomes a sample; a frame whose RGB image is missing is an error. Range 1e-3..80 m, Garg crop.
 */
export function openKittiEigen(root: string, options: OpenDatasetOptions = {}): DepthDataset {
  requireDirectory(root, "KITTI folder");
  const abs = resolve(root);
  const folders = findKittiDepthFolders(abs);
  if (folders.length === 0) {
    throw new DataError(
      `${root}: no KITTI ground truth found (looked for <date>/<drive>/proj_depth/groundtruth/image_02/*.png)`,
    );
  }
  const samples: DepthSample[] = [];
  for (const projDepth of folders) {
    const driveDir = dirname(projDepth);
    const gtDir = join(projDepth, GT_SUBDIR);
    const frames = readdirSync(gtDir)
      .filter((f) => f.endsWith(".png"))
      .sort(naturalCompare);
    for (const frame of frames) {
      samples.push({
        id: `${basename(driveDir)}/${frame.replace(/\.png$/, "")}`,
        rgbPath: join(driveDir, "image_02", "data", frame),
        depthPath: join(gtDir, frame),
      });
    }
  }
  requireFilesExist(
    samples.map((s) => s.rgbPath),
    isFile,
    `${root} (RGB expected at <date>/<drive>/image_02/data/<frame>.png)`,
  );
  return kittiDataset(abs, samples, options);
}

export interface KittiSplitOptions extends OpenDatasetOptions {
  /** folder the RGB paths of the split are relative to (default: the split file's folder) */
  rgbRoot?: string;
  /** folder the depth paths are relative to (default: rgbRoot) */
  depthRoot?: string;
}

/**
 * KITTI from a split file such as BTS's eigen_test_files_with_gt.txt:
 * "2011_09_26/2011_09_26_drive_0002_sync/image_02/data/0000000069.png
 *  2011_09_26_drive_0002_sync/proj_depth/groundtruth/image_02/0000000069.png 721.5377";
 * "None" marks frames without ground truth. Depth paths without the date folder are also looked
 * up under `<depthRoot>/<date>/`, which joins the split to the single-root folder layout.
 */
export function openKittiSplit(splitPath: string, options: KittiSplitOptions = {}): DepthDataset {
  const rgbRoot = resolve(options.rgbRoot ?? dirname(splitPath));
  const depthRoot = resolve(options.depthRoot ?? rgbRoot);
  const samples = readSplitFile(splitPath).map((e): DepthSample => {
    const rgbPath = join(rgbRoot, e.rgb);
    const parts = e.rgb.split("/");
    const drive = parts.find((p) => p.endsWith("_sync")) ?? parts[0]!;
    const sample: DepthSample = { id: `${drive}/${basename(e.rgb).replace(/\.png$/, "")}`, rgbPath };
    if (e.depth !== null) {
      const direct = join(depthRoot, e.depth);
      const underDate = join(depthRoot, parts[0]!, e.depth);
      sample.depthPath = isFile(direct) || !isFile(underDate) ? direct : underDate;
    }
    return sample;
  });
  requireFilesExist(
    samples.flatMap((s) => (s.depthPath ? [s.rgbPath, s.depthPath] : [s.rgbPath])),
    isFile,
    splitPath,
  );
  return kittiDataset(rgbRoot, samples, options);
}
