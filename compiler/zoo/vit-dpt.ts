/**
 * Depth Anything-style models (DINOv2 ViT encoder + DPT decoder) built directly in the channel-major
 * IR that compiler/ir/tokens.ts produces from exported ONNX: token tensors are [1, D, gh, gw] maps.
 * Weights are random (seeded) or zero; they stand in for real checkpoints when sizing the toolchain.
 *
 * The reassemble stage upsamples by bilinear resize + 1×1 conv instead of a k = s, stride s transposed
 * conv (equal MACs; transposed convs are not in the integer arithmetic yet).
 *
 * Left out on purpose: the cls token (DPT without readout does not use it) and DINOv2's LayerScale,
 * which a real checkpoint folds into the proj/fc2 weights and biases at no cost.
 */
import { GraphBuilder } from "../ir/builder.js";
import type { Graph, Node } from "../ir/graph.js";
import { nodeMacs } from "../ir/printer.js";
import { floatTensor } from "../ir/tensor.js";
import { prng } from "../prng.js";

export interface VitDptConfig {
  dim: number;
  depth: number;
  heads: number;
  mlpRatio: number;
  /** DPT fusion width. */
  features: number;
  /** Channels of the four reassembled maps (1/4, 1/8, 1/16, 1/32 of the image). */
  outChannels: readonly [number, number, number, number];
  /** Blocks whose outputs feed the decoder, as in Depth Anything. */
  layers: readonly [number, number, number, number];
}

export type VitDptPreset = "vits" | "vitb" | "vitl";

export const VIT_DPT_PRESETS: Readonly<Record<VitDptPreset, VitDptConfig>> = {
  vits: {
    dim: 384,
    depth: 12,
    heads: 6,
    mlpRatio: 4,
    features: 64,
    outChannels: [48, 96, 192, 384],
    layers: [2, 5, 8, 11],
  },
  vitb: {
    dim: 768,
    depth: 12,
    heads: 12,
    mlpRatio: 4,
    features: 128,
    outChannels: [96, 192, 384, 768],
    layers: [2, 5, 8, 11],
  },
  vitl: {
    dim: 1024,
    depth: 24,
    heads: 16,
    mlpRatio: 4,
    features: 256,
    outChannels: [256, 512, 1024, 1024],
    layers: [4, 11, 17, 23],
  },
};

export interface VitDptBuildOptions {
  /** Square size or [H, W]; multiples of the patch size. Default 256 (patch 16) / 252 (patch 14). */
  imageSize?: number | readonly [number, number];
  /** 14 as DINOv2 was trained, or 16 so power-of-two images give power-of-two grids. Default 16. */
  patchSize?: number;
  seed?: number;
  /** "zeros" skips random generation: for shape and cost checks of the large presets. */
  weights?: "random" | "zeros";
  /** Fewer blocks than the preset (small test runs); the decoder taps spread over them evenly. */
  depth?: number;
}

const HEAD_FEATURES = 32;
const CONV3: { pads: readonly [number, number, number, number] } = { pads: [1, 1, 1, 1] };

/** The decoder taps: the preset's when the depth is the preset's, else evenly spread. */
function tapsFor(cfg: VitDptConfig, depth: number): number[] {
  if (depth === cfg.depth) return [...cfg.layers];
  return [1, 2, 3, 4].map((i) => Math.max(0, Math.round((i * depth) / 4) - 1));
}

/**
 * Uniform weights from one mulberry32 seed per tensor and an inline xorshift fill: ViT-L has 300 M
 * parameters, too many for a closure call per element.
 */
class WeightSource {
  private readonly seeds: () => number;

  constructor(
    seed: number,
    private readonly zeros: boolean,
  ) {
    this.seeds = prng(seed);
  }

  uniform(n: number, bound: number, offset = 0): Float32Array {
    const out = new Float32Array(n);
    if (this.zeros) return out;
    let s = (Math.floor(this.seeds() * 0x7fffffff) | 1) >>> 0;
    const k = (2 * bound) / 4294967296;
    for (let i = 0; i < n; i++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      out[i] = (s >>> 0) * k - bound + offset;
    }
    return out;
  }
}

class VitDptBuilder {
  readonly b: GraphBuilder;
  private readonly w: WeightSource;

  constructor(
    name: string,
    seed: number,
    zeros: boolean,
    private readonly cfg: VitDptConfig,
  ) {
    this.b = new GraphBuilder(name, { format: "zoo", model: name });
    this.w = new WeightSource(seed, zeros);
  }

  private param(name: string, shape: readonly number[], bound: number, offset = 0): string {
    const n = shape.reduce((a, d) => a * d, 1);
    return this.b.addInitializer(name, floatTensor(shape, this.w.uniform(n, bound, offset)));
  }

  conv(
    x: string,
    name: string,
    cout: number,
    k: number,
    opts: { stride?: number; pads?: readonly [number, number, number, number]; bias?: boolean } = {},
  ): string {
    const cin = this.b.info(x).shape[1]!;
    const fanIn = cin * k * k;
    const weight = this.param(`${name}.weight`, [cout, cin, k, k], 1 / Math.sqrt(fanIn));
    const inputs = [x, weight];
    if (opts.bias !== false) inputs.push(this.param(`${name}.bias`, [cout], 0.02));
    const s = opts.stride ?? 1;
    return this.b.add(
      "Conv2d",
      inputs,
      { strides: [s, s], pads: opts.pads ?? [0, 0, 0, 0], dilations: [1, 1], group: 1 },
      { name },
    );
  }

  /**
   * Upsampling by s: bilinear resize, then a 1×1 conv — the same MACs as Depth Anything's k = s,
   * stride s transposed conv, in operators the integer arithmetic has.
   */
  upsample(x: string, name: string, cout: number, s: number): string {
    const [, , h, w] = this.b.info(x).shape as [number, number, number, number];
    return this.conv(this.resize(x, `${name}.resize`, [h * s, w * s]), name, cout, 1);
  }

  layerNorm(x: string, name: string, params?: readonly [string, string]): string {
    const d = this.cfg.dim;
    const [scale, bias] = params ?? [
      this.param(`${name}.weight`, [d], 0.1, 1),
      this.param(`${name}.bias`, [d], 0.05),
    ];
    return this.b.add("ChannelLayerNorm", [x, scale, bias], { epsilon: 1e-6 }, { name });
  }

  relu(x: string, name: string): string {
    return this.b.add("Relu", [x], {}, { name });
  }

  resize(x: string, name: string, size: readonly [number, number]): string {
    return this.b.add(
      "Resize",
      [x],
      { mode: "bilinear", coordinateTransform: "align_corners", size },
      { name },
    );
  }

  /** Encoder outputs at the decoder taps, each through the shared final norm, as [1, D, gh, gw]. */
  encoder(image: string, patch: number, depth: number): string[] {
    const { dim, heads, mlpRatio } = this.cfg;
    const p = "pretrained";
    let x = this.conv(image, `${p}.patch_embed.proj`, dim, patch, { stride: patch });
    const [, , gh, gw] = this.b.info(x).shape as [number, number, number, number];
    x = this.b.add("Add", [x, this.param(`${p}.pos_embed`, [1, dim, gh, gw], 0.02)], {}, { name: "pos_add" });
    const norm: [string, string] = [
      this.param(`${p}.norm.weight`, [dim], 0.1, 1),
      this.param(`${p}.norm.bias`, [dim], 0.05),
    ];
    const taps = tapsFor(this.cfg, depth);
    const outs: string[] = [];
    for (let i = 0; i < depth; i++) {
      const name = `${p}.blocks.${i}`;
      const qkv = this.conv(this.layerNorm(x, `${name}.norm1`), `${name}.attn.qkv`, 3 * dim, 1);
      const att = this.b.add(
        "Attention",
        [qkv],
        { heads, scale: 1 / Math.sqrt(dim / heads) },
        { name: `${name}.attn` },
      );
      x = this.b.add("Add", [x, this.conv(att, `${name}.attn.proj`, dim, 1)], {}, { name: `${name}.add1` });
      const h = this.conv(this.layerNorm(x, `${name}.norm2`), `${name}.mlp.fc1`, dim * mlpRatio, 1);
      const g = this.b.add("Gelu", [h], { approximate: "none" }, { name: `${name}.mlp.act` });
      x = this.b.add("Add", [x, this.conv(g, `${name}.mlp.fc2`, dim, 1)], {}, { name: `${name}.add2` });
      for (const t of taps) if (t === i) outs.push(this.layerNorm(x, `${p}.norm.tap${outs.length}`, norm));
    }
    return outs;
  }

  /** Projection to out_channels[i], then resampling to 4×, 2×, 1× and ½× of the patch grid. */
  reassemble(taps: readonly string[]): string[] {
    const h = "depth_head";
    return taps.map((t, i) => {
      const c = this.cfg.outChannels[i]!;
      const x = this.conv(t, `${h}.projects.${i}`, c, 1);
      const name = `${h}.resize_layers.${i}`;
      if (i === 0) return this.upsample(x, name, c, 4);
      if (i === 1) return this.upsample(x, name, c, 2);
      if (i === 2) return x;
      return this.conv(x, name, c, 3, { stride: 2, ...CONV3 });
    });
  }

  /** ReLU → 3×3 conv → ReLU → 3×3 conv, plus the input. */
  residualUnit(x: string, name: string): string {
    const f = this.cfg.features;
    const y = this.conv(this.relu(x, `${name}.relu1`), `${name}.conv1`, f, 3, CONV3);
    const z = this.conv(this.relu(y, `${name}.relu2`), `${name}.conv2`, f, 3, CONV3);
    return this.b.add("Add", [z, x], {}, { name: `${name}.add` });
  }

  fusion(name: string, path: string, skip: string | undefined, size: readonly [number, number]): string {
    let x = path;
    if (skip)
      x = this.b.add(
        "Add",
        [x, this.residualUnit(skip, `${name}.resConfUnit1`)],
        {},
        { name: `${name}.add` },
      );
    x = this.residualUnit(x, `${name}.resConfUnit2`);
    return this.conv(this.resize(x, `${name}.resize`, size), `${name}.out_conv`, this.cfg.features, 1);
  }

  decoder(taps: readonly string[], imageSize: readonly [number, number]): string {
    const f = this.cfg.features;
    const s = "depth_head.scratch";
    const rn = this.reassemble(taps).map((x, i) =>
      this.conv(x, `${s}.layer${i + 1}_rn`, f, 3, { ...CONV3, bias: false }),
    );
    const sizeOf = (x: string) => {
      const shape = this.b.info(x).shape;
      return [shape[2]!, shape[3]!] as const;
    };
    let path = this.fusion(`${s}.refinenet4`, rn[3]!, undefined, sizeOf(rn[2]!));
    path = this.fusion(`${s}.refinenet3`, path, rn[2]!, sizeOf(rn[1]!));
    path = this.fusion(`${s}.refinenet2`, path, rn[1]!, sizeOf(rn[0]!));
    const [h1, w1] = sizeOf(rn[0]!);
    path = this.fusion(`${s}.refinenet1`, path, rn[0]!, [2 * h1, 2 * w1]);
    let y = this.conv(path, `${s}.output_conv1`, f / 2, 3, CONV3);
    y = this.resize(y, `${s}.resize`, imageSize);
    y = this.relu(this.conv(y, `${s}.output_conv2.0`, HEAD_FEATURES, 3, CONV3), `${s}.output_conv2.1`);
    y = this.conv(y, `${s}.output_conv2.2`, 1, 1);
    return this.b.add("Relu", [y], {}, { name: "depth_relu", outputs: ["depth"] });
  }
}

function imageDims(size: number | readonly [number, number] | undefined, patch: number): [number, number] {
  if (size === undefined) return [16 * patch, 16 * patch];
  return typeof size === "number" ? [size, size] : [size[0], size[1]];
}

/** A Depth Anything-shaped model: input "image" [1, 3, H, W], output "depth" [1, 1, H, W]. */
export function buildVitDpt(preset: VitDptPreset | VitDptConfig, opts: VitDptBuildOptions = {}): Graph {
  const cfg = typeof preset === "string" ? VIT_DPT_PRESETS[preset] : preset;
  const patch = opts.patchSize ?? 16;
  const [H, W] = imageDims(opts.imageSize, patch);
  const depth = opts.depth ?? cfg.depth;
  if (H % patch || W % patch) throw new Error(`image ${H}×${W} is not a multiple of patch ${patch}`);
  if (cfg.dim % cfg.heads) throw new Error(`dim ${cfg.dim} does not divide into ${cfg.heads} heads`);
  if (depth < 1 || depth > cfg.depth) throw new Error(`depth ${depth} outside 1..${cfg.depth}`);
  const name = typeof preset === "string" ? `depth_anything_${preset}${patch}` : "depth_anything";
  const m = new VitDptBuilder(name, opts.seed ?? 1, opts.weights === "zeros", cfg);
  const image = m.b.addInput("image", { dtype: "float32", shape: [1, 3, H, W] });
  const depthMap = m.decoder(m.encoder(image, patch, depth), [H, W]);
  m.b.setOutputs([depthMap]);
  return m.b.build();
}

export interface PartCost {
  params: number;
  macs: number;
}

export interface VitDptCost {
  encoder: PartCost;
  decoder: PartCost;
  total: PartCost;
}

/** q·kᵀ and attention·v: 2·T²·D multiply-accumulates per image. */
function attentionMacs(g: Graph, node: Node): number {
  const [n, c3, h, w] = g.values.get(node.inputs[0]!)!.shape as [number, number, number, number];
  const t = h * w;
  return 2 * n * t * t * (c3 / 3);
}

function macsOf(g: Graph, node: Node): number {
  const macs = nodeMacs(g, node);
  return node.op === "Attention" && macs === 0 ? attentionMacs(g, node) : macs;
}

/**
 * Parameters and MACs of a model from buildVitDpt, split at the encoder/decoder boundary by name
 * ("pretrained." weights and the nodes that read them vs. the rest).
 */
export function vitDptCost(g: Graph): VitDptCost {
  const encoder: PartCost = { params: 0, macs: 0 };
  const decoder: PartCost = { params: 0, macs: 0 };
  for (const [name, t] of g.initializers)
    (name.startsWith("pretrained.") ? encoder : decoder).params += t.data.length;
  const encoderNodes = encoderNodeSet(g);
  for (const node of g.nodes) (encoderNodes.has(node) ? encoder : decoder).macs += macsOf(g, node);
  return {
    encoder,
    decoder,
    total: { params: encoder.params + decoder.params, macs: encoder.macs + decoder.macs },
  };
}

/** Nodes up to the last final-norm tap: everything the decoder reads starts after them. */
function encoderNodeSet(g: Graph): Set<Node> {
  let last = -1;
  g.nodes.forEach((n, i) => {
    if (n.inputs.some((x) => g.initializers.has(x) && x.startsWith("pretrained."))) last = i;
  });
  return new Set(g.nodes.slice(0, last + 1));
}
