import { dirname, join, resolve } from "node:path";
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
import { isFile, listFilesRecursive, requireDirectory } from "./files.js";
import { readSplitFile } from "./split-file.js";

/** Folder levels searched below the root (BTS: official_splits/test/<scene>/rgb_*.jpg). */
const NYU_SEARCH_DEPTH = 3;
const RGB_NAME = /^(.*\/)?rgb_(\d+)\.jpg$/i;

/** The NYUv2 Kinect colour-camera intrinsics of the standard 640×480 frames (fx, fy, cx, cy). */
export const NYU_INTRINSICS: [number, number, number, number] = [518.8579, 519.4696, 325.5824, 253.7362];

/** Eigen et al. evaluation crop on 480×640 NYUv2 frames: rows 45..470, cols 41..600 (ends exclusive). */
export const NYU_EIGEN_CROP = { rows: [45, 471], cols: [41, 601], height: 480, width: 640 } as const;

/**
 * Eigen crop for an h×w map. At 480×640 it is exactly rows 45:471, cols 41:601; other sizes get
 * the same fractions of the frame (rounded), for maps saved at a different resolution.
 */
export function nyuEigenMask(h: number, w: number): Uint8Array {
  const c = NYU_EIGEN_CROP;
  const row = (r: number) => Math.round((r * h) / c.height);
  const col = (x: number) => Math.round((x * w) / c.width);
  return rectangleMask(h, w, row(c.rows[0]), row(c.rows[1]), col(c.cols[0]), col(c.cols[1]));
}

/** rgb_NNNNN.jpg / sync_depth_NNNNN.png pairs (relative paths) found below `root`. */
export function findNyuPairs(root: string): { rgb: string; depth: string; id: string }[] {
  const files = listFilesRecursive(root, NYU_SEARCH_DEPTH);
  const present = new Set(files);
  const pairs: { rgb: string; depth: string; id: string }[] = [];
  for (const file of files) {
    const m = RGB_NAME.exec(file);
    if (!m) continue;
    const dir = m[1] ?? "";
    const depth = `${dir}sync_depth_${m[2]}.png`;
    if (present.has(depth)) pairs.push({ rgb: file, depth, id: `${dir}${m[2]}` });
  }
  return pairs;
}

const NYU_RANGE = { minDepth: 1e-3, maxDepth: 10 };

function nyuDataset(
  name: string,
  root: string,
  samples: DepthSample[],
  options: OpenDatasetOptions,
): DepthDataset {
  return assembleDataset(
    {
      name,
      layout: "nyu-bts",
      root,
      kind: "metric",
      ...NYU_RANGE,
      samples,
      // BTS stores depth in millimetres
      loadDepthMap: (_sample, depthPath) => readDepthPng(depthPath, 1e-3),
      evalMask: nyuEigenMask,
    },
    options,
  );
}

/**
 * NYUv2 official test split in the BTS layout: `rgb_NNNNN.jpg` next to `sync_depth_NNNNN.png`
 * (depth in mm), optionally inside scene folders. Range 1e-3..10 m, Eigen crop.
 */
export function openNyuBts(root: string, options: OpenDatasetOptions = {}): DepthDataset {
  requireDirectory(root, "NYUv2 folder");
  const pairs = findNyuPairs(root);
  if (pairs.length === 0) {
    throw new DataError(
      `${root}: no NYUv2 pairs found (looked for rgb_NNNNN.jpg with sync_depth_NNNNN.png beside it, up to ${NYU_SEARCH_DEPTH} folders down)`,
    );
  }
  const abs = resolve(root);
  const samples = pairs.map(
    (p): DepthSample => ({
      id: p.id,
      rgbPath: join(abs, p.rgb),
      depthPath: join(abs, p.depth),
      intrinsics: NYU_INTRINSICS,
    }),
  );
  return nyuDataset("nyuv2-test", abs, samples, options);
}

/** NYUv2 from a BTS split file ("scene/rgb_00045.jpg scene/sync_depth_00045.png 518.8579"). */
export function openNyuSplit(splitPath: string, options: OpenDatasetOptions & { dataRoot?: string } = {}) {
  const root = resolve(options.dataRoot ?? dirname(splitPath));
  const samples = readSplitFile(splitPath).map((e): DepthSample => {
    const sample: DepthSample = {
      id: e.rgb.replace(/\.jpg$/i, "").replace(/(^|\/)rgb_/, "$1"),
      rgbPath: join(root, e.rgb),
      intrinsics: NYU_INTRINSICS,
    };
    if (e.depth !== null) sample.depthPath = join(root, e.depth);
    return sample;
  });
  requireFilesExist(
    samples.flatMap((s) => (s.depthPath ? [s.rgbPath, s.depthPath] : [s.rgbPath])),
    isFile,
    splitPath,
  );
  return nyuDataset("nyuv2-test", root, samples, options);
}
