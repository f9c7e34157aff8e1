/**
 * QGraph → instruction program for a target: memory plan of the activations, per-layer tiling and
 * pipelining (conv.ts, resize.ts), dependency tokens (pipeline.ts), loop compression (isa/loops.ts).
 */
import { reroll } from "../isa/loops.js";
import type { Instr } from "../isa/spec.js";
import { type Target, validateTarget } from "../isa/targets.js";
import { type Encoding, nodeInputs, type QGraph, type QValue } from "../ptq/qgraph.js";
import type { LayerProgram, LowerContext } from "./context.js";
import { lowerConv } from "./conv.js";
import { encodingBits, type TensorLayout } from "./layout.js";
import { planMemory, type ValueRequest } from "./memplan.js";
import { emitLayer, FINISH } from "./pipeline.js";
import { lowerResize } from "./resize.js";
import { SegmentBuilder } from "./segments.js";
import { attentionTempShape, lowerAdd, lowerAttention, lowerNorm } from "./tokens.js";

export interface LowerOptions {
  /** Fused kernels (default true): conv + output stage on chip. */
  fuse?: boolean;
  /** Compress repeated tiles into LOOPs (default true). */
  loops?: boolean;
  /** Lower even when the activation arena exceeds the target's ACT memory (for experiments). */
  ignoreArenaLimit?: boolean;
}

/** An encoding as plain data (what the blob stores for the host). */
export interface EncodingData {
  kind: Encoding["kind"];
  channels: number;
  scales: number[];
  zeros?: number[];
  lut?: number[];
  zeroCode?: number[];
}

export interface IoDescriptor {
  name: string;
  /** NCHW. */
  shape: number[];
  encoding: EncodingData;
  layout: TensorLayout;
}

export interface LayerInfo {
  name: string;
  op: string;
  /** Program words [firstWord, firstWord + words). */
  firstWord: number;
  words: number;
  /** Instructions dispatched after loop expansion. */
  dispatched: number;
  steps: number;
  macs: number;
  tiling: string;
}

export interface LoweredProgram {
  /** The QGraph's name and metadata (carried into the blob's META). */
  model: string;
  modelMetadata: Record<string, string | number>;
  target: string;
  program: Instr[];
  weights: Uint8Array;
  tables: Uint8Array;
  /** Bytes of the activation arena (ACT segment) the program uses. */
  actBytes: number;
  /** Bytes the arena would need without sharing. */
  actUnsharedBytes: number;
  input: IoDescriptor;
  output: IoDescriptor;
  layers: LayerInfo[];
  fuse: boolean;
}

export function encodingData(enc: Encoding): EncodingData {
  const base = { kind: enc.kind, channels: enc.channels, scales: Array.from(enc.scales) };
  if (enc.kind === "lin8") return { ...base, zeros: Array.from(enc.zeros) };
  if (enc.kind === "lut4") return { ...base, lut: Array.from(enc.lut), zeroCode: Array.from(enc.zeroCode) };
  return base;
}

function valueRequests(g: QGraph, fuse: boolean): ValueRequest[] {
  const val = (n: string): QValue => {
    const v = g.values.get(n);
    if (!v) throw new Error(`lower: unknown value "${n}"`);
    return v;
  };
  const def = new Map<string, number>([[g.input, -1]]);
  const lastUse = new Map<string, number>();
  const alias = new Map<string, { parent: string; channelOffset: number }>();
  g.nodes.forEach((node, i) => {
    const inputs = nodeInputs(node);
    for (const inp of inputs) {
      if (!def.has(inp)) throw new Error(`lower: "${node.name}" reads "${inp}" before it is computed`);
      lastUse.set(inp, i);
    }
    if (def.has(node.output)) throw new Error(`lower: "${node.output}" is written twice`);
    def.set(node.output, i);
    if (node.op === "concat") {
      let off = 0;
      for (const inp of node.inputs) {
        if (alias.has(inp)) throw new Error(`lower: "${inp}" feeds two concats (a copy would be needed)`);
        alias.set(inp, { parent: node.output, channelOffset: off });
        off += val(inp).shape[1]!;
      }
    }
  });
  if (!def.has(g.output)) throw new Error(`lower: output "${g.output}" is never computed`);
  lastUse.set(g.output, Number.POSITIVE_INFINITY);
  const out: ValueRequest[] = [];
  for (const [name, d] of def) {
    const v = val(name);
    const a = alias.get(name);
    out.push({
      name,
      shape: v.shape,
      ebits: encodingBits(v.enc),
      def: d,
      lastUse: lastUse.get(name) ?? d,
      ...(a ? { alias: a } : {}),
    });
  }
  if (!fuse) {
    g.nodes.forEach((node, i) => {
      if (node.op === "attention")
        out.push({
          name: `${node.name}#p`,
          shape: attentionTempShape(val(node.input).shape),
          ebits: encodingBits(node.pEnc),
          def: i,
          lastUse: i,
        });
      if (node.op === "conv")
        out.push({
          name: `${node.name}#acc32`,
          shape: val(node.output).shape,
          ebits: 32,
          def: i,
          lastUse: i,
        });
    });
  }
  return out;
}

export function lowerQGraph(g: QGraph, target: Target, opts: LowerOptions = {}): LoweredProgram {
  validateTarget(target);
  const fuse = opts.fuse ?? true;
  const plan = planMemory(valueRequests(g, fuse));
  if (plan.bytes > target.segments.ACT.bytes && !opts.ignoreArenaLimit)
    throw new Error(
      `lower: activations need ${plan.bytes} bytes, target ${target.name} has ${target.segments.ACT.bytes} (${target.segments.ACT.kind})`,
    );
  const ctx: LowerContext = { target, wgt: new SegmentBuilder(), tbl: new SegmentBuilder(), fuse };
  const layoutOf = (n: string): TensorLayout => plan.layouts.get(n)!;
  const program: Instr[] = [];
  const layers: LayerInfo[] = [];
  // Each layer is emitted as soon as it is lowered, so only one layer's steps are alive at a time.
  const passes = {
    push(...ps: LayerProgram[]): void {
      for (const p of ps) {
        const flat = emitLayer(p.steps, layers.length > 0);
        const words = opts.loops === false ? flat : reroll(flat);
        layers.push({
          name: p.name,
          op: p.op,
          firstWord: program.length,
          words: words.length,
          dispatched: flat.length,
          steps: p.steps.length,
          macs: p.macs,
          tiling: p.tiling,
        });
        for (const w of words) program.push(w);
      }
    },
  };
  for (const node of g.nodes) {
    if (node.op === "concat") {
      const kinds = new Set(node.inputs.map((n) => g.values.get(n)!.enc.kind));
      if (kinds.size !== 1 || kinds.has("acc32"))
        throw new Error(`lower: concat "${node.name}" mixes encodings`);
      continue;
    }
    const outV = g.values.get(node.output)!;
    if (node.op === "add") {
      const [a, b] = node.inputs;
      passes.push(
        lowerAdd(
          ctx,
          node,
          g.values.get(a)!,
          g.values.get(b)!,
          outV,
          layoutOf(a),
          layoutOf(b),
          layoutOf(node.output),
        ),
      );
      continue;
    }
    const inV = g.values.get(node.input)!;
    if (node.op === "norm") {
      passes.push(lowerNorm(ctx, node, inV, outV, layoutOf(node.input), layoutOf(node.output)));
    } else if (node.op === "attention") {
      const pL = fuse ? undefined : layoutOf(`${node.name}#p`);
      passes.push(...lowerAttention(ctx, node, inV, outV, layoutOf(node.input), layoutOf(node.output), pL));
    } else if (node.op === "conv") {
      const temp = fuse ? undefined : layoutOf(`${node.name}#acc32`);
      passes.push(...lowerConv(ctx, node, inV, outV, layoutOf(node.input), layoutOf(node.output), temp));
    } else {
      passes.push(lowerResize(ctx, node, inV, outV, layoutOf(node.input), layoutOf(node.output)));
    }
  }
  if (layers.length === 0) throw new Error("lower: the graph has no operation that runs on the accelerator");
  program.push(FINISH);
  const io = (name: string): IoDescriptor => {
    const v = g.values.get(name)!;
    return { name, shape: v.shape.slice(), encoding: encodingData(v.enc), layout: layoutOf(name) };
  };
  return {
    model: g.name,
    modelMetadata: { ...g.metadata },
    target: target.name,
    program,
    weights: ctx.wgt.bytes(),
    tables: ctx.tbl.bytes(),
    actBytes: plan.bytes,
    actUnsharedBytes: plan.unsharedBytes,
    input: io(g.input),
    output: io(g.output),
    layers,
    fuse,
  };
}
