import { join, resolve } from "node:path";
import {
  assembleDataset,
  type DepthDataset,
  type DepthMap,
  type DepthSample,
  type OpenDatasetOptions,
  requireFilesExist,
} from "./depth-dataset.js";
import { DataError } from "./errors.js";
import { isFile, listFilesRecursive, requireDirectory } from "./files.js";
import { type NpyArray, readNpy } from "./npy.js";

/** val/<indoors|outdoors>/<scene>/<scan>/<name>_depth.npy is four folders below a val root. */
const DIODE_SEARCH_DEPTH = 4;
const DEPTH_SUFFIX = "_depth.npy";
const MASK_SUFFIX = "_depth_mask.npy";

/** Height and width of a DIODE map stored as (H, W) or (H, W, 1). */
function mapShape(array: NpyArray, path: string): { height: number; width: number } {
  const s = array.shape;
  if ((s.length === 2 || (s.length === 3 && s[2] === 1)) && s[0]! > 0 && s[1]! > 0) {
    return { height: s[0]!, width: s[1]! };
  }
  throw new DataError(`${path}: expected an (H, W) or (H, W, 1) array, got shape (${s.join(", ")})`);
}

/** Depth in metres with masked-out, non-finite and non-positive pixels set to 0. */
function loadDiodeDepth(depthPath: string): DepthMap {
  const depth = readNpy(depthPath);
  const maskPath = depthPath.slice(0, -DEPTH_SUFFIX.length) + MASK_SUFFIX;
  const mask = readNpy(maskPath);
  const { height, width } = mapShape(depth, depthPath);
  const maskShape = mapShape(mask, maskPath);
  if (maskShape.height !== height || maskShape.width !== width) {
    throw new DataError(
      `${maskPath}: mask is ${maskShape.height}×${maskShape.width} but the depth map is ${height}×${width}`,
    );
  }
  const data = new Float32Array(height * width);
  for (let i = 0; i < data.length; i++) {
    const d = Number(depth.data[i]);
    data[i] = mask.data[i] !== 0 && Number.isFinite(d) && d > 0 ? d : 0;
  }
  return { width, height, data };
}

/** Stems (relative, without `_depth.npy`) of the DIODE frames below root. */
export function findDiodeFrames(root: string): string[] {
  return listFilesRecursive(root, DIODE_SEARCH_DEPTH)
    .filter((f) => f.endsWith(DEPTH_SUFFIX))
    .map((f) => f.slice(0, -DEPTH_SUFFIX.length));
}

/**
 * DIODE val layout: `<scene>/<scan>/<name>.png` with `<name>_depth.npy` (metres) and
 * `<name>_depth_mask.npy` (non-zero = valid), under any of val/, val/indoors/, a scene folder...
 * Range 1e-3..10 m when every frame is under an "indoors" folder (the usual indoor protocol),
 * otherwise 1e-3..350 m (the scanner's range); override with options.
 */
export function openDiode(root: string, options: OpenDatasetOptions = {}): DepthDataset {
  requireDirectory(root, "DIODE folder");
  const abs = resolve(root);
  const stems = findDiodeFrames(abs);
  if (stems.length === 0) {
    throw new DataError(
      `${root}: no DIODE frames found (looked for <scene>/<scan>/<name>.png with <name>_depth.npy and <name>_depth_mask.npy)`,
    );
  }
  const samples = stems.map(
    (stem): DepthSample => ({
      id: stem,
      rgbPath: join(abs, `${stem}.png`),
      depthPath: join(abs, `${stem}${DEPTH_SUFFIX}`),
    }),
  );
  requireFilesExist(
    samples.flatMap((s) => [s.rgbPath, s.depthPath!.slice(0, -DEPTH_SUFFIX.length) + MASK_SUFFIX]),
    isFile,
    root,
  );
  const indoorsOnly = stems.every((s) => `/${abs}/${s}`.split(/[\\/]/).includes("indoors"));
  return assembleDataset(
    {
      name: "diode-val",
      layout: "diode",
      root: abs,
      kind: "metric",
      minDepth: 1e-3,
      maxDepth: indoorsOnly ? 10 : 350,
      samples,
      loadDepthMap: (_sample, depthPath) => loadDiodeDepth(depthPath),
    },
    options,
  );
}
