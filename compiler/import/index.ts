/** Model loading by file type: the one entry point the CLI and the compiler use. */
import { readFileSync } from "node:fs";
import { basename, extname } from "node:path";
import { type Graph, GraphError } from "../ir/graph.js";
import { importOnnx } from "./onnx.js";
import { importTflite } from "./tflite.js";

export type ModelFormat = "tflite" | "onnx";

export function modelFormatOf(path: string, bytes?: Uint8Array): ModelFormat {
  if (bytes && bytes.length >= 8 && String.fromCharCode(...bytes.subarray(4, 8)) === "TFL3") return "tflite";
  const ext = extname(path).toLowerCase();
  if (ext === ".tflite") return "tflite";
  if (ext === ".onnx") return "onnx";
  throw new GraphError(
    `cannot tell the model format of "${basename(path)}": expected a .tflite or .onnx file`,
  );
}

export function loadModel(path: string, opts: { inputShapes?: Record<string, number[]> } = {}): Graph {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new GraphError(
      `cannot read model "${path}": ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  const name = basename(path).replace(/\.[^.]+$/, "");
  const format = modelFormatOf(path, bytes);
  try {
    const graph =
      format === "tflite"
        ? importTflite(bytes, { name })
        : importOnnx(bytes, { name, ...(opts.inputShapes ? { inputShapes: opts.inputShapes } : {}) });
    return { ...graph, metadata: { ...graph.metadata, file: basename(path) } };
  } catch (e) {
    throw new GraphError(`${basename(path)}: ${(e as Error).message}`);
  }
}
