/** Builds a tiny ONNX model with a callback and imports it: the shape of most importer tests. */
import { importOnnx, type OnnxImportOptions } from "../../compiler/import/onnx.js";
import type { Graph } from "../../compiler/ir/graph.js";
import { OnnxModelBuilder } from "./onnx-build.js";

export function importBuilt(
  build: (b: OnnxModelBuilder) => string | readonly string[],
  opts: { opset?: number } & OnnxImportOptions = {},
): Graph {
  const b = new OnnxModelBuilder({ opset: opts.opset ?? 17 });
  const outs = build(b);
  for (const o of typeof outs === "string" ? [outs] : outs) b.output(o);
  return importOnnx(b.encode(), opts);
}

export function encodeBuilt(
  build: (b: OnnxModelBuilder) => string | readonly string[],
  opset = 17,
): Uint8Array {
  const b = new OnnxModelBuilder({ opset });
  const outs = build(b);
  for (const o of typeof outs === "string" ? [outs] : outs) b.output(o);
  return b.encode();
}
