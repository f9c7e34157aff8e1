import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import {
  assembleDataset,
  type DepthDataset,
  type DepthMap,
  type DepthSample,
  type OpenDatasetOptions,
  readDepthPng,
  requireFilesExist,
} from "./depth-dataset.js";
import { DataError, describeError } from "./errors.js";
import { isDirectory, isFile, readFileBytes } from "./files.js";

export const RGBD_FOLDER_FORMAT = "rgbd-folder/1";
export const RGBD_MANIFEST = "manifest.json";

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

function isRecord(value: Json | undefined): value is { [key: string]: Json } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function positiveNumber(manifest: { [key: string]: Json }, key: string, where: string): number {
  const v = manifest[key];
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) {
    throw new DataError(`${where}: "${key}" must be a positive number, got ${JSON.stringify(v)}`);
  }
  return v;
}

function relativePath(value: Json | undefined, field: string, where: string): string {
  if (typeof value !== "string" || value === "") {
    throw new DataError(`${where}: "${field}" must be a non-empty path string, got ${JSON.stringify(value)}`);
  }
  if (isAbsolute(value))
    throw new DataError(`${where}: "${field}" must be relative to the set folder, got ${value}`);
  return value;
}

function parseSample(entry: Json, index: number, root: string, manifestPath: string): DepthSample {
  const where = `${manifestPath}: samples[${index}]`;
  if (!isRecord(entry)) throw new DataError(`${where} must be an object`);
  const id = entry.id;
  if (typeof id !== "string" && typeof id !== "number") {
    throw new DataError(`${where}: "id" must be a string, got ${JSON.stringify(id)}`);
  }
  const sample: DepthSample = { id: String(id), rgbPath: join(root, relativePath(entry.rgb, "rgb", where)) };
  if (entry.depth !== undefined && entry.depth !== null) {
    sample.depthPath = join(root, relativePath(entry.depth, "depth", where));
  }
  if (entry.intrinsics !== undefined && entry.intrinsics !== null) {
    const k = entry.intrinsics;
    if (!Array.isArray(k) || k.length !== 4 || !k.every((v) => typeof v === "number" && Number.isFinite(v))) {
      throw new DataError(`${where}: "intrinsics" must be [fx, fy, cx, cy], got ${JSON.stringify(k)}`);
    }
    sample.intrinsics = k as [number, number, number, number];
  }
  return sample;
}

/** True when `path` is an rgbd-folder set (a folder holding manifest.json, or the manifest itself). */
export function looksLikeRgbdFolder(path: string): boolean {
  return isFile(join(path, RGBD_MANIFEST)) || (basename(path) === RGBD_MANIFEST && isFile(path));
}

/**
 * Opens an rgbd-folder v1 set (see the shared data README): validates the manifest, resolves the
 * sample paths and checks the files exist. For kind "disparity" the PNG values × depth_unit_m are
 * disparities; loadDepth returns their reciprocal (relative depth) and min/max_depth_m, when given,
 * bound that relative depth (otherwise 0..∞).
 */
export function openRgbdFolder(path: string, options: OpenDatasetOptions = {}): DepthDataset {
  const manifestPath = isDirectory(path) ? join(path, RGBD_MANIFEST) : path;
  const root = resolve(dirname(manifestPath));
  const text = new TextDecoder().decode(readFileBytes(manifestPath, "rgbd-folder manifest"));
  let manifest: Json;
  try {
    manifest = JSON.parse(text) as Json;
  } catch (error) {
    throw new DataError(`${manifestPath}: manifest is not valid JSON (${describeError(error)})`);
  }
  if (!isRecord(manifest)) throw new DataError(`${manifestPath}: manifest must be a JSON object`);
  if (manifest.format !== RGBD_FOLDER_FORMAT) {
    throw new DataError(
      `${manifestPath}: "format" must be "${RGBD_FOLDER_FORMAT}", got ${JSON.stringify(manifest.format ?? null)}`,
    );
  }
  const kind = manifest.kind;
  if (kind !== "metric" && kind !== "disparity") {
    throw new DataError(
      `${manifestPath}: "kind" must be "metric" or "disparity", got ${JSON.stringify(kind)}`,
    );
  }
  const unit = positiveNumber(manifest, "depth_unit_m", manifestPath);
  let minDepth = 0;
  let maxDepth = Number.POSITIVE_INFINITY;
  if (kind === "metric" || manifest.min_depth_m !== undefined || manifest.max_depth_m !== undefined) {
    minDepth = positiveNumber(manifest, "min_depth_m", manifestPath);
    maxDepth = positiveNumber(manifest, "max_depth_m", manifestPath);
    if (maxDepth <= minDepth) {
      throw new DataError(
        `${manifestPath}: "max_depth_m" (${maxDepth}) must exceed "min_depth_m" (${minDepth})`,
      );
    }
  }
  if (!Array.isArray(manifest.samples) || manifest.samples.length === 0) {
    throw new DataError(`${manifestPath}: "samples" must be a non-empty array`);
  }
  const samples = manifest.samples.map((entry, i) => parseSample(entry, i, root, manifestPath));
  const seen = new Set<string>();
  for (const s of samples) {
    if (seen.has(s.id)) throw new DataError(`${manifestPath}: duplicate sample id "${s.id}"`);
    seen.add(s.id);
  }
  const referenced = samples.flatMap((s) => (s.depthPath ? [s.rgbPath, s.depthPath] : [s.rgbPath]));
  requireFilesExist(referenced, isFile, manifestPath);
  const loadDepthMap = (_sample: DepthSample, depthPath: string): DepthMap => {
    const map = readDepthPng(depthPath, unit);
    if (kind === "disparity") {
      const d = map.data;
      for (let i = 0; i < d.length; i++) d[i] = d[i]! > 0 ? 1 / d[i]! : 0;
    }
    return map;
  };
  const name = typeof manifest.name === "string" && manifest.name !== "" ? manifest.name : basename(root);
  return assembleDataset(
    { name, layout: "rgbd-folder", root, kind, minDepth, maxDepth, samples, loadDepthMap },
    options,
  );
}
