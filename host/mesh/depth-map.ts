/**
 * Depth maps for meshing: a 16-bit (or 8-bit) grey PNG whose values times a unit give the depth, or
 * a float .npy. Invalid pixels (0, NaN, ±Infinity, negative) become NaN so every later step has one
 * test for "no depth here".
 */
import { DataError } from "../../compiler/data/errors.js";
import { readFileBytes } from "../../compiler/data/files.js";
import { decodeImage, sniffImageFormat } from "../../compiler/data/image.js";
import { parseNpy } from "../../compiler/data/npy.js";

export interface DepthMap {
  width: number;
  height: number;
  /** Row-major height×width depth in the caller's unit (PNG value × unit); NaN where invalid. */
  data: Float32Array;
}

export interface ReadDepthOptions {
  /**
   * Depth per stored unit. Default: 0.001 for PNG files (millimetres → metres, the usual depth PNG
   * convention) and 1 for .npy files (already in metres).
   */
  unit?: number;
}

const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

function cleaned(values: ArrayLike<number>, unit: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]! * unit;
    out[i] = Number.isFinite(v) && v > 0 ? v : Number.NaN;
  }
  return out;
}

/** The (height, width) of an array shaped H×W, possibly with leading or trailing axes of size 1. */
function planeShape(shape: readonly number[], name: string): [number, number] {
  const core = [...shape];
  while (core.length > 2 && core[0] === 1) core.shift();
  while (core.length > 2 && core[core.length - 1] === 1) core.pop();
  if (core.length !== 2 || core[0]! < 1 || core[1]! < 1) {
    throw new DataError(
      `${name}: a depth .npy must be one H×W plane (optionally with axes of size 1 around it), got shape (${shape.join(", ")})`,
    );
  }
  return [core[0]!, core[1]!];
}

/** Decodes depth map bytes (PNG or .npy, told apart by their magic numbers). */
export function decodeDepthMap(bytes: Uint8Array, name: string, options: ReadDepthOptions = {}): DepthMap {
  if (options.unit !== undefined && !(Number.isFinite(options.unit) && options.unit > 0)) {
    throw new DataError(`depth unit must be a positive number, got ${options.unit}`);
  }
  if (NPY_MAGIC.every((b, i) => bytes[i] === b)) {
    const array = parseNpy(bytes, name);
    const [height, width] = planeShape(array.shape, name);
    return { width, height, data: cleaned(array.data, options.unit ?? 1) };
  }
  if (sniffImageFormat(bytes) === "png") {
    const image = decodeImage(bytes, name);
    if (image.channels !== 1) {
      throw new DataError(
        `${name}: is a colour PNG; a depth PNG must be single-channel grey (16-bit values × unit), not a colour-mapped picture`,
      );
    }
    return { width: image.width, height: image.height, data: cleaned(image.data, options.unit ?? 0.001) };
  }
  throw new DataError(`${name}: not a depth map (expected a 16-bit grey PNG or a .npy file)`);
}

export function readDepthMap(path: string, options: ReadDepthOptions = {}): DepthMap {
  return decodeDepthMap(readFileBytes(path, "depth map"), path, options);
}

/** Number of pixels holding a depth. */
export function countValid(depth: DepthMap): number {
  let n = 0;
  for (const v of depth.data) if (!Number.isNaN(v)) n++;
  return n;
}
