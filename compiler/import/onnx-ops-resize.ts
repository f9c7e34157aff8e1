/**
 * Resize and Upsample → the IR's 4-D Resize with a fixed output size. Only combinations whose
 * result the IR reproduces exactly are accepted; the rest are refused with the reason.
 */
import { type CoordinateTransform, GraphError, type ResizeMode } from "../ir/graph.js";
import { formatShape } from "../ir/tensor.js";
import type { ConstTensor } from "./onnx-const.js";
import type { Converter, OnnxImportContext, OnnxNodeView } from "./onnx-context.js";
import { resizeConst, roundNearest, sourceCoordinate } from "./onnx-resize-const.js";
import { normAxes } from "./onnx-shape-math.js";

const TRANSFORMS: readonly CoordinateTransform[] = [
  "align_corners",
  "half_pixel",
  "pytorch_half_pixel",
  "asymmetric",
];

/** The IR's nearest rule (see compiler/exec/resize.ts): floor for asymmetric, round-half-up otherwise. */
function irNearest(o: number, inSize: number, outSize: number, ct: CoordinateTransform): number {
  const s = sourceCoordinate(o, inSize, outSize, outSize / inSize, ct);
  return ct === "asymmetric" ? Math.floor(s) : Math.floor(s + 0.5);
}

function nearestMatchesIr(inSize: number, outSize: number, ct: CoordinateTransform, mode: string): boolean {
  const clamp = (i: number) => Math.min(Math.max(i, 0), inSize - 1);
  for (let o = 0; o < outSize; o++) {
    const want = clamp(
      roundNearest(sourceCoordinate(o, inSize, outSize, outSize / inSize, ct), mode, outSize < inSize),
    );
    if (want !== clamp(irNearest(o, inSize, outSize, ct))) return false;
  }
  return true;
}

interface ResizeRequest {
  mode: string;
  transform: string;
  nearestMode: string;
  cubicCoeffA?: number;
  excludeOutside?: boolean;
  antialias?: boolean;
  scales?: readonly number[];
  sizes?: readonly number[];
}

/** Output sizes (floor(in · scale) from scales) and the per-axis scales the coordinates use. */
function targetOf(node: OnnxNodeView, shape: readonly number[], req: ResizeRequest) {
  const given = req.sizes ?? req.scales;
  if (!given) throw new GraphError(`${node.opType} needs scales or sizes`, node.where);
  if (given.length !== shape.length) {
    throw new GraphError(
      `${node.opType} target has ${given.length} dims for a rank-${shape.length} input`,
      node.where,
    );
  }
  const out = req.sizes ? [...req.sizes] : shape.map((d, i) => Math.floor(d * req.scales![i]!));
  if (out.some((d) => d < 1))
    throw new GraphError(`${node.opType} output size [${out}] is empty`, node.where);
  const scales = req.scales ? [...req.scales] : out.map((d, i) => d / shape[i]!);
  if (req.antialias && req.mode !== "nearest" && out.some((d, i) => d < shape[i]!)) {
    throw new GraphError("antialiased downsampling is not supported", node.where);
  }
  return { out, scales };
}

/** A constant input (a ViT's positional embedding, typically) is resized right here, cubic included. */
function foldResize(ctx: OnnxImportContext, node: OnnxNodeView, x: ConstTensor, req: ResizeRequest): void {
  const mode = req.mode === "bilinear" ? "linear" : req.mode;
  if (mode !== "nearest" && mode !== "linear" && mode !== "cubic") {
    throw new GraphError(`${node.opType} mode "${req.mode}" is not supported`, node.where);
  }
  const { out, scales } = targetOf(node, x.shape, req);
  const value = resizeConst(x, {
    mode,
    transform: req.transform,
    nearestMode: req.nearestMode,
    cubicCoeffA: req.cubicCoeffA ?? -0.75,
    excludeOutside: req.excludeOutside ?? false,
    sizes: out,
    scales,
  });
  ctx.alias(node, 0, { kind: "const", value });
}

function emitResize(ctx: OnnxImportContext, node: OnnxNodeView, req: ResizeRequest): void {
  const xv = ctx.input(node, 0);
  if (!xv) throw new GraphError(`${node.opType} needs an input`, node.where);
  if (xv.kind === "const") {
    foldResize(ctx, node, xv.value, req);
    return;
  }
  const x = xv.name;
  const shape = ctx.builder.info(x).shape;
  if (shape.length !== 4) {
    throw new GraphError(
      `${node.opType} supports 4-D NCHW input only, got ${formatShape(shape)}`,
      node.where,
    );
  }
  const modes: Readonly<Record<string, ResizeMode>> = {
    nearest: "nearest",
    linear: "bilinear",
    bilinear: "bilinear",
  };
  const mode = modes[req.mode];
  if (!mode) {
    throw new GraphError(
      `${node.opType} mode "${req.mode}" is not supported on runtime data (nearest, linear)`,
      node.where,
    );
  }
  const ct = TRANSFORMS.find((t) => t === req.transform);
  if (!ct)
    throw new GraphError(`coordinate_transformation_mode "${req.transform}" is not supported`, node.where);
  const { out, scales } = targetOf(node, shape, req);
  if (out[0] !== shape[0] || out[1] !== shape[1]) {
    throw new GraphError(
      `${node.opType} may only resize H and W; target [${out}] changes N or C of ${formatShape(shape)}`,
      node.where,
    );
  }
  for (const i of [2, 3]) {
    const scale = scales[i]!;
    // The IR derives the scale from the sizes; a given scale that disagrees would move every sample.
    if (ct !== "align_corners" && Math.abs(scale - out[i]! / shape[i]!) > 1e-5 * scale) {
      throw new GraphError(
        `${node.opType} scale ${scale} on a dim of ${shape[i]} gives ${shape[i]! * scale}, not a whole size; ` +
          "only scales that produce whole sizes are supported on runtime data",
        node.where,
      );
    }
    if (mode === "nearest" && !nearestMatchesIr(shape[i]!, out[i]!, ct, req.nearestMode)) {
      throw new GraphError(
        `nearest_mode "${req.nearestMode}" with ${ct} for ${shape[i]} → ${out[i]} is not supported ` +
          "(the IR rounds half up, or floors for asymmetric)",
        node.where,
      );
    }
  }
  ctx.emit(node, "Resize", [x], { mode, coordinateTransform: ct, size: [out[2]!, out[3]!] }, { output: 0 });
}

/** A scales/sizes input; an empty tensor or empty name means "not given". */
function optionalFloats(
  ctx: OnnxImportContext,
  node: OnnxNodeView,
  i: number,
  what: string,
): number[] | undefined {
  if (!node.inputs[i]) return undefined;
  const c: ConstTensor = ctx.requireConst(node, i, what);
  return c.data.length === 0 ? undefined : Array.from(c.data);
}

/** Opset 18 `axes`: scales/sizes listed for some axes only. */
function spreadAxes(
  values: number[] | undefined,
  axes: readonly number[] | undefined,
  shape: readonly number[],
  fill: (i: number) => number,
) {
  if (!values || !axes) return values;
  const ax = normAxes(axes, shape.length, "Resize axes");
  if (ax.length !== values.length)
    throw new GraphError(`Resize has ${values.length} values for ${ax.length} axes`);
  const full = shape.map((_, i) => fill(i));
  ax.forEach((a, k) => {
    full[a] = values[k]!;
  });
  return full;
}

const resize: Converter = (node, ctx) => {
  const a = node.attrs;
  if (ctx.opset < 11) {
    emitResize(ctx, node, {
      mode: a.string("mode", "nearest"),
      transform: "asymmetric",
      nearestMode: "simple",
      scales: optionalFloats(ctx, node, 1, "Resize scales"),
    });
    return;
  }
  const policy = a.string("keep_aspect_ratio_policy", "stretch");
  if (policy !== "stretch")
    throw new GraphError(`keep_aspect_ratio_policy "${policy}" is not supported`, node.where);
  const shape = ctx.shape(node, 0);
  const axes = a.ints("axes");
  emitResize(ctx, node, {
    mode: a.string("mode", "nearest"),
    transform: a.string("coordinate_transformation_mode", "half_pixel"),
    nearestMode: a.string("nearest_mode", "round_prefer_floor"),
    cubicCoeffA: a.float("cubic_coeff_a", -0.75),
    excludeOutside: a.int("exclude_outside", 0) === 1,
    antialias: a.int("antialias", 0) === 1,
    scales: spreadAxes(optionalFloats(ctx, node, 2, "Resize scales"), axes, shape, () => 1),
    sizes: spreadAxes(optionalFloats(ctx, node, 3, "Resize sizes"), axes, shape, (i) => shape[i]!),
  });
};

const upsample: Converter = (node, ctx) => {
  const scales =
    ctx.opset >= 9
      ? optionalFloats(ctx, node, 1, "Upsample scales")
      : (node.attrs.floats("scales") ??
        (node.attrs.has("height_scale")
          ? [1, 1, node.attrs.float("height_scale", 1), node.attrs.float("width_scale", 1)]
          : undefined));
  emitResize(ctx, node, {
    mode: node.attrs.string("mode", "nearest"),
    transform: "asymmetric",
    nearestMode: "simple",
    scales,
  });
};

export const resizeConverters: Readonly<Record<string, Converter>> = {
  Resize: resize,
  Upsample: upsample,
};
