/**
 * A small ViT encoder + DPT-style decoder as an ONNX file, shaped like a PyTorch export of Depth
 * Anything: shape arithmetic through Shape/Gather/Concat chains, attention heads via Reshape/Transpose,
 * LayerNorm and Gelu fused or decomposed. Weights come from a seeded PRNG and are drawn in the same
 * order for every variant, so two variants with one seed compute the same function.
 */
import type { ModelProto } from "../../compiler/import/onnx-schema.js";
import { type AttrValue, OnnxDataType, OnnxModelBuilder } from "./onnx-build.js";
import { seededRandom, uniform } from "./onnx-random.js";

export interface VitDptOptions {
  seed?: number;
  /** [H, W] of the input image; multiples of the patch size. Default [64, 64]. */
  imageSize?: readonly [number, number];
  patchSize?: number;
  dim?: number;
  heads?: number;
  depth?: number;
  mlpRatio?: number;
  decoderChannels?: number;
  /** "fused" = LayerNormalization (opset ≥ 17); "decomposed" = ReduceMean/Sub/Pow/... as older exports. */
  layerNorm?: "fused" | "decomposed";
  /** "fused" = Gelu (opset ≥ 20); "decomposed" = x·0.5·(1+erf(x/√2)). */
  gelu?: "fused" | "decomposed";
  opset?: number;
  /** Declare the batch dim as dim_param "batch" (as exporters do). Default true. */
  dynamicBatch?: boolean;
  /**
   * Store the position embedding for a G×G token grid and interpolate it to the image's grid with a
   * bicubic Resize, as DINOv2 / Depth Anything exports do at a new resolution. Default: stored at size.
   */
  posEmbedGrid?: number;
}

export interface VitDptModel {
  bytes: Uint8Array;
  model: ModelProto;
  inputName: string;
  outputName: string;
  /** With batch 1. */
  inputShape: number[];
  outputShape: number[];
  opset: number;
  tokens: number;
}

export function buildVitDptOnnx(opts: VitDptOptions = {}): VitDptModel {
  const opset = opts.opset ?? 17;
  const lnMode = opts.layerNorm ?? (opset >= 17 ? "fused" : "decomposed");
  const geluMode = opts.gelu ?? (opset >= 20 ? "fused" : "decomposed");
  if (lnMode === "fused" && opset < 17) throw new Error("LayerNormalization needs opset ≥ 17");
  if (geluMode === "fused" && opset < 20) throw new Error("Gelu needs opset ≥ 20");
  if (opset < 13) throw new Error("the ViT-DPT builder writes opset ≥ 13 graphs");
  const [H, W] = opts.imageSize ?? [64, 64];
  const p = opts.patchSize ?? 16;
  const D = opts.dim ?? 32;
  const heads = opts.heads ?? 2;
  const depth = opts.depth ?? 2;
  const hidden = D * (opts.mlpRatio ?? 4);
  const C = opts.decoderChannels ?? 16;
  if (H % p || W % p) throw new Error(`image ${H}×${W} is not a multiple of patch ${p}`);
  if (D % heads) throw new Error(`dim ${D} does not divide into ${heads} heads`);
  const hd = D / heads;
  const gh = H / p;
  const gw = W / p;
  const N = gh * gw;

  const rand = seededRandom(opts.seed ?? 1);
  const b = new OnnxModelBuilder({ opset, graphName: "vit_dpt" });
  const weight = (name: string, dims: number[], fanIn: number) =>
    b.weight(
      name,
      dims,
      uniform(
        rand,
        dims.reduce((a, d) => a * d, 1),
        1 / Math.sqrt(fanIn),
      ),
    );
  const bias = (name: string, n: number) => b.weight(name, [n], uniform(rand, n, 0.05));
  const scalar = (name: string, v: number) => b.constant(name, { dims: [], values: [v] });
  const ints = (name: string, v: number[]) =>
    b.constant(name, { dims: [v.length], values: v.map(BigInt), dataType: OnnxDataType.INT64 });
  const index = (name: string, v: number) =>
    b.constant(name, { dims: [], values: [BigInt(v)], dataType: OnnxDataType.INT64 });
  const unsqueeze0 = (x: string) => b.op("Unsqueeze", [x, ints(`${x}_axes`, [0])]);
  const reduceMean = (x: string, name: string) =>
    opset >= 18
      ? b.op("ReduceMean", [x, ints(`${name}_axes`, [-1])], { keepdims: 1 }, { name })
      : b.op("ReduceMean", [x], { axes: [-1], keepdims: 1 }, { name });
  const linear = (x: string, name: string, inF: number, outF: number) => {
    const w = weight(`${name}.weight`, [inF, outF], inF);
    const bi = bias(`${name}.bias`, outF);
    return b.op(
      "Add",
      [b.op("MatMul", [x, w], {}, { name: `${name}/MatMul` }), bi],
      {},
      { name: `${name}/Add` },
    );
  };
  const layerNorm = (x: string, name: string) => {
    const gamma = b.weight(
      `${name}.weight`,
      [D],
      uniform(rand, D, 0.1).map((v) => 1 + v),
    );
    const beta = b.weight(`${name}.bias`, [D], uniform(rand, D, 0.1));
    if (lnMode === "fused")
      return b.op("LayerNormalization", [x, gamma, beta], { axis: -1, epsilon: 1e-6 }, { name });
    const mean = reduceMean(x, `${name}/ReduceMean`);
    const d = b.op("Sub", [x, mean], {}, { name: `${name}/Sub` });
    const sq = b.op("Pow", [d, scalar(`${name}/two`, 2)], {}, { name: `${name}/Pow` });
    const variance = reduceMean(sq, `${name}/ReduceMean_1`);
    const ve = b.op("Add", [variance, scalar(`${name}/eps`, 1e-6)], {}, { name: `${name}/Add` });
    const std = b.op("Sqrt", [ve], {}, { name: `${name}/Sqrt` });
    const n = b.op("Div", [d, std], {}, { name: `${name}/Div` });
    return b.op(
      "Add",
      [b.op("Mul", [n, gamma], {}, { name: `${name}/Mul` }), beta],
      {},
      { name: `${name}/Add_1` },
    );
  };
  const gelu = (x: string, name: string) => {
    if (geluMode === "fused") return b.op("Gelu", [x], {}, { name });
    const s = b.op("Div", [x, scalar(`${name}/sqrt2`, Math.SQRT2)], {}, { name: `${name}/Div` });
    const e = b.op("Erf", [s], {}, { name: `${name}/Erf` });
    const one = b.op("Add", [e, scalar(`${name}/one`, 1)], {}, { name: `${name}/Add` });
    const m = b.op("Mul", [x, one], {}, { name: `${name}/Mul` });
    return b.op("Mul", [m, scalar(`${name}/half`, 0.5)], {}, { name: `${name}/Mul_1` });
  };
  const conv = (
    x: string,
    name: string,
    cin: number,
    cout: number,
    k: number,
    attrs: Record<string, AttrValue> = {},
  ) =>
    b.op(
      "Conv",
      [x, weight(`${name}.weight`, [cout, cin, k, k], cin * k * k), bias(`${name}.bias`, cout)],
      { kernel_shape: [k, k], pads: k === 3 ? [1, 1, 1, 1] : [0, 0, 0, 0], ...attrs },
      { name },
    );

  function positionEmbedding(): string {
    const G = opts.posEmbedGrid;
    if (G === undefined) return b.weight("pos_embed", [1, N, D], uniform(rand, N * D, 0.02));
    const stored = b.weight("pos_embed", [1, G * G, D], uniform(rand, G * G * D, 0.02));
    const grid = b.op("Transpose", [b.op("Reshape", [stored, ints("pos_grid", [1, G, G, D])])], {
      perm: [0, 3, 1, 2],
    });
    // DINOv2 scales by (n + 0.1) / G so that floor(G · scale) lands on n.
    const scales = b.constant("pos_scales", { dims: [4], values: [1, 1, (gh + 0.1) / G, (gw + 0.1) / G] });
    const resized = b.op("Resize", [grid, "", scales], {
      mode: "cubic",
      coordinate_transformation_mode: "pytorch_half_pixel",
    });
    return b.op("Reshape", [
      b.op("Transpose", [resized], { perm: [0, 2, 3, 1] }),
      ints("pos_tokens", [1, -1, D]),
    ]);
  }

  const image = b.input("image", [opts.dynamicBatch === false ? 1 : "batch", 3, H, W]);

  // Patch embedding, then flatten(2).transpose(1, 2) with the shape computed at runtime, as exported.
  const pe = conv(image, "patch_embed.proj", 3, D, p, { strides: [p, p] });
  const peShape = b.op("Shape", [pe]);
  const batchDim = unsqueeze0(b.op("Gather", [peShape, index("idx0", 0)], { axis: 0 }));
  const chanDim = unsqueeze0(b.op("Gather", [peShape, index("idx1", 1)], { axis: 0 }));
  const flatShape = b.op("Concat", [batchDim, chanDim, ints("minus_one", [-1])], { axis: 0 });
  let x = b.op("Transpose", [b.op("Reshape", [pe, flatShape])], { perm: [0, 2, 1] });
  x = b.op("Add", [x, positionEmbedding()], {}, { name: "pos_embed/Add" });

  for (let i = 0; i < depth; i++) {
    const name = `blocks.${i}`;
    const h1 = layerNorm(x, `${name}.norm1`);
    const qkv = linear(h1, `${name}.attn.qkv`, D, 3 * D);
    const hShape = b.op("Shape", [h1]);
    const bn = b.op("Slice", [hShape, ints(`${name}/s0`, [0]), ints(`${name}/e2`, [2])]);
    const headShape = b.op("Concat", [bn, ints(`${name}/heads`, [3, heads, hd])], { axis: 0 });
    const split5 = b.op("Transpose", [b.op("Reshape", [qkv, headShape])], { perm: [2, 0, 3, 1, 4] });
    let q: string;
    let k: string;
    let v: string;
    if (i % 2 === 0) {
      [q, k, v] = [0, 1, 2].map((j) =>
        b.op("Gather", [split5, index(`${name}/qkv${j}`, j)], { axis: 0 }),
      ) as [string, string, string];
    } else {
      const parts = b.node(
        "Split",
        [split5, ints(`${name}/split`, [1, 1, 1])],
        [`${name}/q5`, `${name}/k5`, `${name}/v5`],
        {
          axis: 0,
        },
      );
      [q, k, v] = parts.map((t) => b.op("Squeeze", [t, ints(`${t}_axes`, [0])])) as [string, string, string];
    }
    const kT = b.op("Transpose", [k], { perm: [0, 1, 3, 2] });
    const scores = b.op("Mul", [b.op("MatMul", [q, kT]), scalar(`${name}/scale`, 1 / Math.sqrt(hd))]);
    const attn = b.op("Softmax", [scores], { axis: -1 });
    const ctxHeads = b.op("Transpose", [b.op("MatMul", [attn, v])], { perm: [0, 2, 1, 3] });
    const merged = b.op("Reshape", [ctxHeads, ints(`${name}/merge`, [0, 0, -1])]);
    x = b.op("Add", [x, linear(merged, `${name}.attn.proj`, D, D)]);
    const h2 = layerNorm(x, `${name}.norm2`);
    const m = linear(
      gelu(linear(h2, `${name}.mlp.fc1`, D, hidden), `${name}.mlp.act`),
      `${name}.mlp.fc2`,
      hidden,
      D,
    );
    x = b.op("Add", [x, m]);
  }
  x = layerNorm(x, "norm");

  // DPT reassemble: tokens → NCHW map, with H/p and W/p folded from the image shape.
  const tokensT = b.op("Transpose", [x], { perm: [0, 2, 1] });
  const hw = b.op("Div", [
    b.op("Slice", [b.op("Shape", [image]), ints("hw_start", [2]), ints("hw_end", [4])]),
    ints("patch", [p]),
  ]);
  const bd = b.op("Slice", [b.op("Shape", [tokensT]), ints("bd_start", [0]), ints("bd_end", [2])]);
  let y = b.op("Reshape", [tokensT, b.op("Concat", [bd, hw], { axis: 0 })]);
  y = conv(y, "reassemble.project", D, C, 1);
  y = b.op(
    "ConvTranspose",
    [y, weight("reassemble.up1.weight", [C, C, 2, 2], C * 4), bias("reassemble.up1.bias", C)],
    { kernel_shape: [2, 2], strides: [2, 2] },
    { name: "reassemble.up1" },
  );
  y = b.op(
    "ConvTranspose",
    [y, weight("reassemble.up2.weight", [C, C, 4, 4], C * 4), bias("reassemble.up2.bias", C)],
    { kernel_shape: [4, 4], strides: [2, 2], pads: [1, 1, 1, 1] },
    { name: "reassemble.up2" },
  );
  y = b.op("Relu", [conv(y, "fusion.conv1", C, C, 3)]);
  const noRoi = opset >= 13 ? "" : b.constant("roi", { dims: [0], values: [] });
  y = b.op("Resize", [y, noRoi, b.constant("up2_scales", { dims: [4], values: [1, 1, 2, 2] })], {
    mode: "linear",
    coordinate_transformation_mode: "align_corners",
  });
  y = b.op("Relu", [conv(y, "fusion.conv2", C, C, 3)]);
  const yShape = b.op("Shape", [y]);
  const sizes = b.op(
    "Concat",
    [
      b.op("Slice", [yShape, ints("nc_start", [0]), ints("nc_end", [2])]),
      b.op("Mul", [b.op("Slice", [yShape, ints("yhw_start", [2]), ints("yhw_end", [4])]), ints("two", [2])]),
    ],
    { axis: 0 },
  );
  y = b.op(
    "Resize",
    [y, noRoi, opset >= 13 ? "" : b.constant("no_scales", { dims: [0], values: [] }), sizes],
    {
      mode: "linear",
      coordinate_transformation_mode: "half_pixel",
    },
  );
  y = b.op("Relu", [conv(y, "head.conv1", C, C / 2, 3)]);
  const depthOut = b.node(
    "Relu",
    [conv(y, "head.conv2", C / 2, 1, 1)],
    ["depth"],
    {},
    { name: "head.relu" },
  )[0]!;
  const outH = gh * 16;
  const outW = gw * 16;
  b.output(depthOut, [opts.dynamicBatch === false ? 1 : "batch", 1, outH, outW]);

  const model = b.toModel();
  return {
    bytes: b.encode(),
    model,
    inputName: image,
    outputName: depthOut,
    inputShape: [1, 3, H, W],
    outputShape: [1, 1, outH, outW],
    opset,
    tokens: N,
  };
}
