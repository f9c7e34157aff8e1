/**
 * Depth map → triangulated surface as a @jscad/modeling geom3 (one poly3 triangle per facet).
 *
 * Pixels are sampled on a grid every `step` pixels (the last row and column are always included, so
 * the surface covers the whole map). Each grid cell becomes two triangles; a triangle is dropped when
 * one of its corners has no depth (0/NaN in the map, or beyond `maxDepth`) or when its corners
 * disagree by more than `maxJump` relative to the nearest one — such triangles would be the "rubber
 * sheets" stretched across occlusion boundaries.
 *
 * Coordinates:
 * - with intrinsics (fx, fy, cx, cy in pixels): the camera frame of OpenCV — x right, y down, z
 *   forward — with X = (u − cx)·z/fx, Y = (v − cy)·z/fy, Z = z, all times `scale`. Facets face the
 *   camera (normals point to −z).
 * - without: a height field over the image — X = u, Y = (H − 1 − v) in pixels, Z = (zFar − z)·scale
 *   so near things stand up from the farthest depth at Z = 0. Facets face up (+z). The default scale
 *   makes the relief a quarter of the image's larger side.
 */

import type { geometries } from "@jscad/modeling";
import jscad from "@jscad/modeling";
import { DataError } from "../../compiler/data/errors.js";
import type { Image } from "../../compiler/data/image.js";
import type { DepthMap } from "./depth-map.js";

export type Geom3 = geometries.geom3.Geom3;
type Vec3 = [number, number, number];

export interface Intrinsics {
  fx: number;
  fy: number;
  cx: number;
  cy: number;
}

export interface SurfaceOptions {
  intrinsics?: Intrinsics;
  /** Sample every `step` pixels (default 1). */
  step?: number;
  /** Output units per depth unit (camera mode, default 1) or relief per depth unit (height field, default auto). */
  scale?: number;
  /** Depths beyond this are treated as invalid (default: no limit). */
  maxDepth?: number;
  /** Largest relative depth spread inside one triangle, (max − min)/min (default 0.1; Infinity keeps all). */
  maxJump?: number;
  /** Colours for the facets (any size: sampled at the corresponding position). */
  image?: Image;
}

export interface Surface {
  geometry: Geom3;
  mode: "camera" | "heightfield";
  /** Distinct vertices used by the triangles. */
  vertices: number;
  triangles: number;
  /** Triangles dropped because a corner had no depth. */
  skippedInvalid: number;
  /** Triangles dropped because their depths spread more than `maxJump`. */
  skippedJumps: number;
  /** The scale actually used (the automatic one in height-field mode). */
  scale: number;
}

export const DEFAULT_MAX_JUMP = 0.1;

/** Sample positions 0, step, 2·step, … plus the last index, so the grid spans the whole axis. */
export function gridPositions(size: number, step: number): number[] {
  const out: number[] = [];
  for (let p = 0; p < size; p += step) out.push(p);
  if (out[out.length - 1] !== size - 1) out.push(size - 1);
  return out;
}

function checkOptions(depth: DepthMap, o: SurfaceOptions): void {
  if (o.step !== undefined && !(Number.isInteger(o.step) && o.step >= 1))
    throw new DataError(`step must be a positive integer, got ${o.step}`);
  if (o.scale !== undefined && !(Number.isFinite(o.scale) && o.scale > 0))
    throw new DataError(`scale must be a positive number, got ${o.scale}`);
  if (o.maxDepth !== undefined && !(o.maxDepth > 0))
    throw new DataError(`max depth must be a positive number, got ${o.maxDepth}`);
  if (o.maxJump !== undefined && !(o.maxJump >= 0))
    throw new DataError(`max jump must be a non-negative number, got ${o.maxJump}`);
  const k = o.intrinsics;
  if (k) {
    const all = [k.fx, k.fy, k.cx, k.cy];
    if (!all.every(Number.isFinite) || !(k.fx > 0 && k.fy > 0))
      throw new DataError(`intrinsics need finite fx, fy > 0, cx, cy; got ${all.join(",")}`);
  }
  if (depth.width < 2 || depth.height < 2)
    throw new DataError(`a depth map needs at least 2×2 pixels to mesh, got ${depth.width}×${depth.height}`);
  if (depth.data.length !== depth.width * depth.height)
    throw new DataError(
      `depth map ${depth.width}×${depth.height} needs ${depth.width * depth.height} values, has ${depth.data.length}`,
    );
}

/** Nearest and farthest valid depth not beyond maxDepth. */
function depthRange(depth: DepthMap, maxDepth: number): [number, number] {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of depth.data) {
    if (Number.isNaN(v) || v > maxDepth) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/** An RGBA colour (0..1) of the image at depth pixel (u, v), the image stretched over the depth map. */
function colourSampler(image: Image, width: number, height: number): (u: number, v: number) => Vec3 {
  const full = image.bitDepth === 16 ? 65535 : 255;
  return (u, v) => {
    const x = Math.min(image.width - 1, Math.floor(((u + 0.5) * image.width) / width));
    const y = Math.min(image.height - 1, Math.floor(((v + 0.5) * image.height) / height));
    const i = (y * image.width + x) * image.channels;
    const g = image.channels === 3 ? 1 : 0;
    const b = image.channels === 3 ? 2 : 0;
    return [image.data[i]! / full, image.data[i + g]! / full, image.data[i + b]! / full];
  };
}

export function depthToSurface(depth: DepthMap, options: SurfaceOptions = {}): Surface {
  checkOptions(depth, options);
  const { width, height, data } = depth;
  const step = options.step ?? 1;
  const maxDepth = options.maxDepth ?? Number.POSITIVE_INFINITY;
  const maxJump = options.maxJump ?? DEFAULT_MAX_JUMP;
  const k = options.intrinsics;
  const [near, far] = depthRange(depth, maxDepth);
  if (!Number.isFinite(near))
    throw new DataError(
      `the depth map has no valid pixels${Number.isFinite(maxDepth) ? ` within --max-depth ${maxDepth}` : ""} (a valid depth is finite and > 0; 0, NaN and negative values mean no depth)`,
    );
  const scale = options.scale ?? (k ? 1 : far > near ? (0.25 * Math.max(width, height)) / (far - near) : 1);
  const us = gridPositions(width, step);
  const vs = gridPositions(height, step);
  const gw = us.length;
  const z = new Float64Array(gw * vs.length);
  for (const [j, v] of vs.entries()) {
    for (const [i, u] of us.entries()) {
      const d = data[v * width + u]!;
      z[j * gw + i] = Number.isNaN(d) || d > maxDepth ? Number.NaN : d;
    }
  }
  const points: (Vec3 | undefined)[] = new Array(z.length);
  const point = (g: number): Vec3 => {
    let p = points[g];
    if (!p) {
      const u = us[g % gw]!;
      const v = vs[Math.floor(g / gw)]!;
      const d = z[g]!;
      p = k
        ? [((u - k.cx) * d * scale) / k.fx, ((v - k.cy) * d * scale) / k.fy, d * scale]
        : [u, height - 1 - v, (far - d) * scale];
      points[g] = p;
    }
    return p;
  };
  const colour = options.image ? colourSampler(options.image, width, height) : undefined;
  const { poly3, geom3 } = jscad.geometries;
  const polygons: geometries.poly3.Poly3[] = [];
  let skippedInvalid = 0;
  let skippedJumps = 0;
  const triangle = (a: number, b: number, c: number) => {
    const za = z[a]!;
    const zb = z[b]!;
    const zc = z[c]!;
    if (Number.isNaN(za) || Number.isNaN(zb) || Number.isNaN(zc)) {
      skippedInvalid++;
      return;
    }
    const lo = Math.min(za, zb, zc);
    if ((Math.max(za, zb, zc) - lo) / lo > maxJump) {
      skippedJumps++;
      return;
    }
    const polygon = poly3.create([point(a), point(b), point(c)]);
    if (colour) {
      const rgb = [a, b, c].map((g) => colour(us[g % gw]!, vs[Math.floor(g / gw)]!));
      polygon.color = [0, 1, 2].map((ch) => (rgb[0]![ch]! + rgb[1]![ch]! + rgb[2]![ch]!) / 3) as Vec3;
    }
    polygons.push(polygon);
  };
  for (let j = 0; j + 1 < vs.length; j++) {
    for (let i = 0; i + 1 < gw; i++) {
      const a = j * gw + i; // (u, v)
      const b = a + 1; // right
      const c = a + gw; // below
      const d = c + 1; // below right
      // in pixel order (x right, y down) both triangles turn clockwise, i.e. face −z in the camera
      // frame; the height field flips y, so the same order faces +z there
      triangle(a, c, b);
      triangle(b, c, d);
    }
  }
  let vertices = 0;
  for (const p of points) if (p) vertices++;
  return {
    geometry: geom3.create(polygons),
    mode: k ? "camera" : "heightfield",
    vertices,
    triangles: polygons.length,
    skippedInvalid,
    skippedJumps,
    scale,
  };
}

/** Parses "fx,fy,cx,cy". */
export function parseIntrinsics(text: string): Intrinsics {
  const parts = text.split(",").map((s) => Number(s.trim()));
  if (parts.length !== 4 || !parts.every(Number.isFinite) || !(parts[0]! > 0 && parts[1]! > 0)) {
    throw new DataError(`--intrinsics must be four numbers fx,fy,cx,cy with fx, fy > 0; got "${text}"`);
  }
  const [fx, fy, cx, cy] = parts as [number, number, number, number];
  return { fx, fy, cx, cy };
}
