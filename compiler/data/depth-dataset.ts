import { DataError } from "./errors.js";
import { type Image, readImage } from "./image.js";

/** One frame of a depth data set. Paths are absolute (resolved when the set is opened). */
export interface DepthSample {
  id: string;
  rgbPath: string;
  /** absent when the frame has no ground truth (e.g. KITTI Eigen frames listed as "None") */
  depthPath?: string;
  /** [fx, fy, cx, cy] in pixels of the RGB image, when the layout provides them */
  intrinsics?: [number, number, number, number];
}

/** A ground-truth map: row-major height×width, metres (relative depth for disparity sets), 0 = invalid. */
export interface DepthMap {
  width: number;
  height: number;
  data: Float32Array;
}

export type DatasetLayout = "rgbd-folder" | "nyu-bts" | "kitti-eigen" | "diode";

export interface DepthDataset {
  name: string;
  layout: DatasetLayout;
  /** folder the set was opened from */
  root: string;
  /**
   * "metric": ground truth in metres. "disparity": the stored values are disparities, known only up
   * to scale; loadDepth returns 1/disparity (relative depth) and only scale-invariant, aligned
   * metrics are meaningful.
   */
  kind: "metric" | "disparity";
  /** evaluation keeps ground truth with minDepth < depth < maxDepth */
  minDepth: number;
  maxDepth: number;
  samples: readonly DepthSample[];
  loadRgb(sample: DepthSample): Image;
  /** ground truth as a flat array, same size as {@link DepthDataset.loadDepthMap} */
  loadDepth(sample: DepthSample): Float32Array;
  loadDepthMap(sample: DepthSample): DepthMap;
  /** the layout's standard evaluation crop for an h×w ground-truth map (1 = evaluated) */
  evalMask?(h: number, w: number): Uint8Array;
}

/** Options shared by all layout readers. */
export interface OpenDatasetOptions {
  /** override the layout's default evaluation range */
  minDepth?: number;
  maxDepth?: number;
}

export interface DatasetParts {
  name: string;
  layout: DatasetLayout;
  root: string;
  kind: "metric" | "disparity";
  minDepth: number;
  maxDepth: number;
  samples: DepthSample[];
  loadDepthMap(sample: DepthSample, depthPath: string): DepthMap;
  evalMask?(h: number, w: number): Uint8Array;
}

/** Completes a data set from its layout-specific parts, applying range overrides. */
export function assembleDataset(parts: DatasetParts, options: OpenDatasetOptions = {}): DepthDataset {
  const minDepth = options.minDepth ?? parts.minDepth;
  const maxDepth = options.maxDepth ?? parts.maxDepth;
  if (!(minDepth >= 0) || !(maxDepth > minDepth)) {
    throw new DataError(
      `${parts.root}: evaluation range must satisfy 0 ≤ min < max, got ${minDepth}..${maxDepth}`,
    );
  }
  const loadDepthMap = (sample: DepthSample): DepthMap => {
    if (sample.depthPath === undefined) {
      throw new DataError(`${parts.name}: sample ${sample.id} has no ground-truth depth`);
    }
    return parts.loadDepthMap(sample, sample.depthPath);
  };
  const dataset: DepthDataset = {
    name: parts.name,
    layout: parts.layout,
    root: parts.root,
    kind: parts.kind,
    minDepth,
    maxDepth,
    samples: parts.samples,
    loadRgb: (sample) => readImage(sample.rgbPath),
    loadDepth: (sample) => loadDepthMap(sample).data,
    loadDepthMap,
  };
  if (parts.evalMask) dataset.evalMask = parts.evalMask;
  return dataset;
}

/** Reads a single-channel depth PNG and scales its integer values to metres (0 stays 0 = invalid). */
export function readDepthPng(path: string, unitPerValue: number): DepthMap {
  const image = readImage(path);
  if (image.channels !== 1) {
    throw new DataError(`${path}: depth PNG must be single-channel grey, found ${image.channels} channels`);
  }
  const data = new Float32Array(image.data.length);
  for (let i = 0; i < data.length; i++) data[i] = image.data[i]! * unitPerValue;
  return { width: image.width, height: image.height, data };
}

/** Mask that is 1 inside rows [top, bottom) × cols [left, right) and 0 elsewhere. */
export function rectangleMask(
  h: number,
  w: number,
  top: number,
  bottom: number,
  left: number,
  right: number,
) {
  const mask = new Uint8Array(h * w);
  const r0 = Math.max(0, top);
  const r1 = Math.min(h, bottom);
  const c0 = Math.max(0, left);
  const c1 = Math.min(w, right);
  for (let y = r0; y < r1; y++) mask.fill(1, y * w + c0, y * w + Math.max(c0, c1));
  return mask;
}

/** Throws when files referenced by a set are missing, listing a few of them. */
export function requireFilesExist(
  paths: readonly string[],
  exists: (p: string) => boolean,
  where: string,
): void {
  const missing = paths.filter((p) => !exists(p));
  if (missing.length === 0) return;
  const shown = missing.slice(0, 3).join(", ");
  const more = missing.length > 3 ? ` and ${missing.length - 3} more` : "";
  throw new DataError(`${where}: ${missing.length} referenced file(s) missing: ${shown}${more}`);
}
