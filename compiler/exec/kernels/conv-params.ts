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
