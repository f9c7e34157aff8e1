/** 2-D max and average pooling over NCHW tensors. */
import type { Pads2d } from "../ir/graph.js";
import { convOutSize } from "../ir/shapes.js";
import type { Tensor } from "../ir/tensor.js";

export function pool2d(
  x: Tensor,
  kind: "max" | "avg",
  kernel: readonly [number, number],
  strides: readonly [number, number],
  pads: Pads2d,
  countIncludePad = false,
): Tensor {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const oh = convOutSize(h, kernel[0], strides[0], pads[0], pads[2], 1);
  const ow = convOutSize(w, kernel[1], strides[1], pads[1], pads[3], 1);
  const out = new Float32Array(n * c * oh * ow);
  let o = 0;
  for (let p = 0; p < n * c; p++) {
    const plane = p * h * w;
    for (let y = 0; y < oh; y++) {
      for (let xo = 0; xo < ow; xo++, o++) {
        let acc = kind === "max" ? -Infinity : 0;
        let count = 0;
        for (let ky = 0; ky < kernel[0]; ky++) {
          const iy = y * strides[0] - pads[0] + ky;
          for (let kx = 0; kx < kernel[1]; kx++) {
            const ix = xo * strides[1] - pads[1] + kx;
            if (iy < 0 || iy >= h || ix < 0 || ix >= w) {
              if (countIncludePad) count++;
              continue;
            }
            const v = x.data[plane + iy * w + ix]!;
            if (kind === "max") acc = Math.max(acc, v);
            else acc += v;
            count++;
          }
        }
        out[o] = kind === "max" ? acc : acc / Math.max(count, 1);
      }
    }
  }
  return { dtype: "float32", shape: [n, c, oh, ow], data: out };
}
