/** Geometry of one 2-D convolution (NCHW activations, OIHW weights), shared by every conv kernel. */
export interface Conv2dGeometry {
  n: number;
  c: number;
  h: number;
  w: number;
  /** Output channels. */
  o: number;
  kh: number;
  kw: number;
  strideH: number;
  strideW: number;
  padTop: number;
  padLeft: number;
  dilationH: number;
  dilationW: number;
  group: number;
  oh: number;
  ow: number;
}

export interface ConvAttrsLike {
  strides: readonly [number, number];
  pads: readonly [number, number, number, number];
  dilations: readonly [number, number];
  group: number;
}

/** The geometry of a conv over an NCHW input with OIHW weights: the one place it is derived. */
export function conv2dGeometry(
  inShape: readonly number[],
  wShape: readonly number[],
  a: ConvAttrsLike,
): Conv2dGeometry {
  const [n, c, h, w] = inShape as [number, number, number, number];
  const [o, , kh, kw] = wShape as [number, number, number, number];
  const out = (size: number, k: number, s: number, p0: number, p1: number, d: number) =>
    Math.floor((size + p0 + p1 - d * (k - 1) - 1) / s) + 1;
  return {
    n,
    c,
    h,
    w,
    o,
    kh,
    kw,
    strideH: a.strides[0],
    strideW: a.strides[1],
    padTop: a.pads[0],
    padLeft: a.pads[1],
    dilationH: a.dilations[0],
    dilationW: a.dilations[1],
    group: a.group,
    oh: out(h, kh, a.strides[0], a.pads[0], a.pads[2], a.dilations[0]),
    ow: out(w, kw, a.strides[1], a.pads[1], a.pads[3], a.dilations[1]),
  };
}
