import { readdirSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import type { DatasetLayout, DepthDataset, OpenDatasetOptions } from "./depth-dataset.js";
import { findDiodeFrames, openDiode } from "./diode.js";
import { DataError } from "./errors.js";
import { isDirectory, isFile, listFilesRecursive, naturalCompare, requireDirectory } from "./files.js";
import {
  findKittiDepthFolders,
  type KittiSplitOptions,
  openKittiEigen,
  openKittiSplit,
} from "./kitti-eigen.js";
import { findNyuPairs, openNyuBts, openNyuSplit } from "./nyu-bts.js";
import { looksLikeRgbdFolder, openRgbdFolder } from "./rgbd-folder.js";
import { readSplitFile, splitLooksLikeNyu } from "./split-file.js";

export type {
  DatasetLayout,
  DepthDataset,
  DepthMap,
  DepthSample,
  OpenDatasetOptions,
} from "./depth-dataset.js";
export { openDiode } from "./diode.js";
export { kittiGargMask, openKittiEigen, openKittiSplit } from "./kitti-eigen.js";
export { NYU_INTRINSICS, nyuEigenMask, openNyuBts, openNyuSplit } from "./nyu-bts.js";
export { openRgbdFolder } from "./rgbd-folder.js";

const LAYOUTS_LOOKED_FOR = [
  "manifest.json with format rgbd-folder/1",
  "KITTI <date>/<drive>/proj_depth/groundtruth/image_02/*.png",
  "NYUv2 (BTS) rgb_NNNNN.jpg + sync_depth_NNNNN.png",
  "DIODE <scene>/<scan>/*_depth.npy + *_depth_mask.npy",
  "or pass a split .txt file (NYUv2/KITTI) or a manifest.json",
];

/** Which layout a folder holds, or null if none is recognised. Cheapest checks first. */
export function detectDatasetLayout(path: string): DatasetLayout | null {
  if (looksLikeRgbdFolder(path)) return "rgbd-folder";
  if (!isDirectory(path)) return null;
  if (findKittiDepthFolders(path).length > 0) return "kitti-eigen";
  if (findNyuPairs(path).length > 0) return "nyu-bts";
  if (findDiodeFrames(path).length > 0) return "diode";
  return null;
}

/**
 * Opens a depth data set, detecting its layout: an rgbd-folder (folder or its manifest.json),
 * a KITTI Eigen / NYUv2 BTS / DIODE folder, or a NYUv2/KITTI split file (.txt, paths relative to
 * its folder unless rgbRoot/depthRoot are given). Errors list what was looked for.
 */
export function openDataset(path: string, options: KittiSplitOptions = {}): DepthDataset {
  if (isFile(path) && path.toLowerCase().endsWith(".txt")) {
    const entries = readSplitFile(path);
    if (splitLooksLikeNyu(entries)) {
      const nyuOptions: OpenDatasetOptions & { dataRoot?: string } = { ...options };
      if (options.rgbRoot !== undefined) nyuOptions.dataRoot = options.rgbRoot;
      return openNyuSplit(path, nyuOptions);
    }
    return openKittiSplit(path, options);
  }
  if (!isDirectory(path) && !isFile(path)) throw new DataError(`${path}: data set not found`);
  switch (detectDatasetLayout(path)) {
    case "rgbd-folder":
      return openRgbdFolder(path, options);
    case "kitti-eigen":
      return openKittiEigen(path, options);
    case "nyu-bts":
      return openNyuBts(path, options);
    case "diode":
      return openDiode(path, options);
    case null:
      throw new DataError(
        `${path}: not a recognised depth data set. Looked for: ${LAYOUTS_LOOKED_FOR.join("; ")}. ` +
          "For a folder of plain images (calibration) use listImages.",
      );
  }
}

const IMAGE_EXTENSIONS = /\.(png|jpe?g)$/i;

/**
 * Image files (PNG/JPEG by extension) in a folder, absolute paths in natural order; `recursive`
 * also looks into sub-folders. Throws when the folder is missing or holds no image.
 */
export function listImages(dir: string, options: { recursive?: boolean } = {}): string[] {
  requireDirectory(dir, "image folder");
  const abs = resolve(dir);
  const names = options.recursive
    ? listFilesRecursive(abs, 16)
    : readdirSync(abs)
        .filter((n) => !n.startsWith(".") && isFile(join(abs, n)))
        .sort(naturalCompare);
  const images = names.filter(
    (n) => IMAGE_EXTENSIONS.test(n) && !n.split("/").some((p) => p.startsWith(".")),
  );
  if (images.length === 0) {
    const where = options.recursive ? "in it or its sub-folders" : "in it";
    throw new DataError(`${dir}: no images found ${where} (looked for *.png, *.jpg, *.jpeg)`);
  }
  return images.map((n) => join(abs, n));
}

/**
 * RGB images for calibration: the frames of a data set when `path` is one, otherwise the images in
 * the folder (non-recursive), so `--calib` accepts either.
 */
export function listCalibrationImages(path: string): string[] {
  const isSplit = isFile(path) && basename(path).toLowerCase().endsWith(".txt");
  if (isSplit || detectDatasetLayout(path) !== null) return openDataset(path).samples.map((s) => s.rgbPath);
  return listImages(path);
}
