/**
 * Camera image → network input: RGB in [0, 1], planar NCHW with N = 1. The resize is Pillow's
 * antialiased bilinear with 8-bit rounding (`toFloatCHW`'s default): the PyDNet reference inputs were
 * made that way, and a point-sampled bilinear resize differs from them by up to 0.18.
 */
import { type Image, toFloatCHW } from "../data/image.js";

export function imageToInput(image: Image, width: number, height: number): Float32Array {
  return toFloatCHW(image, { width, height });
}
