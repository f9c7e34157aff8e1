/**
 * The pack stage: a quantized graph lowered for a target and written as one blob. The blob also
 * carries the quantized graph itself (META.qgraph, compiler/ptq/qgraph-codec.ts), so the golden
 * model can be re-run from the same file the device executes and the two compared bit for bit.
 */
import { type Target, targetByName } from "../isa/targets.js";
import { lowerQGraph } from "../lower/index.js";
import type { QGraph } from "../ptq/qgraph.js";
import { decodeQGraph, encodeQGraph } from "../ptq/qgraph-codec.js";
import type { Blob } from "./reader.js";
import { BlobError } from "./reader.js";
import { contentsFromLowered, encodeBlob } from "./writer.js";

export interface PackOptions {
  target: string | Target;
  fuse?: boolean;
  /** Lower even when activations exceed the target's memory (the blob then runs only in simulation). */
  ignoreArenaLimit?: boolean;
  meta?: Record<string, unknown>;
}

export function packModel(q: QGraph, opts: PackOptions): Uint8Array {
  const target = typeof opts.target === "string" ? targetByName(opts.target) : opts.target;
  const lowered = lowerQGraph(q, target, {
    fuse: opts.fuse ?? true,
    ...(opts.ignoreArenaLimit ? { ignoreArenaLimit: true } : {}),
  });
  return encodeBlob(contentsFromLowered(lowered, { ...q.metadata, ...opts.meta, qgraph: encodeQGraph(q) }));
}

export function qgraphOfBlob(blob: Blob): QGraph {
  const bytes = blob.meta.qgraph;
  if (!(bytes instanceof Uint8Array))
    throw new BlobError("meta", "the blob carries no quantized graph (META.qgraph)");
  return decodeQGraph(bytes);
}
