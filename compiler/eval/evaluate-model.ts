/**
 * Runs a depth model over a data set and scores it. Executors (float, integer golden, ISA simulator,
 * RTL, device) all plug in through `DepthExecutor`, so every one is scored by the same code and their
 * raw outputs can be compared bit for bit through `outputs_sha256`.
 */
import { createHash } from "node:crypto";
import type { DepthDataset } from "../data/depth-dataset.js";
import { evaluateSample } from "../data/evaluate.js";
import { type Alignment, type DepthMetrics, meanDepthMetrics, nrmseVsFloat } from "../data/metrics.js";
import { runGraph } from "../exec/float.js";
import { type Graph, GraphError } from "../ir/graph.js";
import { formatShape } from "../ir/tensor.js";
import { imageToInput } from "./preprocess.js";

export interface DepthOutput {
  /** The model's relative inverse depth, row-major h×w. */
  values: Float32Array;
  h: number;
  w: number;
  /** The executor's raw output tensor bytes (integer codes for quantized execution). */
  raw: Uint8Array;
}

export interface DepthExecutor {
  readonly name: string;
  /** Network input size. */
  readonly inputHeight: number;
  readonly inputWidth: number;
  run(input: Float32Array): Promise<DepthOutput>;
  close?(): Promise<void> | void;
}

/** The single NCHW image input and single-channel output a depth graph must have. */
export function depthIo(graph: Graph): {
  input: string;
  output: string;
  h: number;
  w: number;
  oh: number;
  ow: number;
} {
  if (graph.inputs.length !== 1)
    throw new GraphError(`a depth model needs one input, this one has ${graph.inputs.length}`);
  const input = graph.inputs[0]!;
  const output = graph.outputs[0]!;
  const s = graph.values.get(input)!.shape;
  if (s.length !== 4 || s[1] !== 3 || s[0] !== 1) {
    throw new GraphError(`input "${input}" is ${formatShape(s)}; expected an NCHW RGB image [1×3×H×W]`);
  }
  const o = graph.values.get(output)!.shape;
  const oh = o.length >= 2 ? o[o.length - 2]! : 1;
  const ow = o[o.length - 1]!;
  if (o.reduce((a, b) => a * b, 1) !== oh * ow) {
    throw new GraphError(`output "${output}" is ${formatShape(o)}; expected one depth channel`);
  }
  return { input, output, h: s[2]!, w: s[3]!, oh, ow };
}

export function floatExecutor(graph: Graph): DepthExecutor {
  const io = depthIo(graph);
  return {
    name: "float",
    inputHeight: io.h,
    inputWidth: io.w,
    async run(input) {
      const out = await runGraph(graph, {
        [io.input]: { dtype: "float32", shape: [1, 3, io.h, io.w], data: input },
      });
      const values = out[io.output]!.data as Float32Array;
      return {
        values,
        h: io.oh,
        w: io.ow,
        raw: new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
      };
    },
  };
}

export interface EvalReport {
  exec: string;
  dataset: string;
  /** Images scored. */
  n: number;
  absrel: number;
  sqrel: number;
  rmse: number;
  rmse_log: number;
  log10: number;
  silog: number;
  delta1: number;
  delta2: number;
  delta3: number;
  /** Mean per-image RMSE to the float model after a scale+shift fit, over the float output's std. */
  nrmse_vs_float?: number;
  outputs_sha256: string;
  seconds: number;
  per_image: { id: string; absrel: number; delta1: number; rmse: number; nrmse_vs_float?: number }[];
}

export interface EvaluateModelOptions {
  limit?: number;
  /** Relative-depth models (the default) are aligned by scale and shift in inverse depth. */
  align?: Alignment;
  /** Float reference for `nrmse_vs_float` (quantized executors). */
  reference?: DepthExecutor;
  onProgress?: (done: number, total: number, last: DepthMetrics) => void;
}

export async function evaluateModel(
  exec: DepthExecutor,
  dataset: DepthDataset,
  opts: EvaluateModelOptions = {},
): Promise<EvalReport> {
  const start = Date.now();
  const samples = dataset.samples.slice(0, opts.limit ?? dataset.samples.length);
  if (samples.length === 0) throw new GraphError(`data set "${dataset.name}" has no samples to evaluate`);
  const sha = createHash("sha256");
  const perImage: DepthMetrics[] = [];
  const rows: EvalReport["per_image"] = [];
  const nrmses: number[] = [];
  for (const [i, sample] of samples.entries()) {
    const input = imageToInput(dataset.loadRgb(sample), exec.inputWidth, exec.inputHeight);
    const out = await exec.run(input);
    sha.update(out.raw);
    const m = evaluateSample(dataset, sample, out.values, out.h, out.w, {
      align: opts.align ?? "lstsqInverse",
    });
    perImage.push(m);
    const row: EvalReport["per_image"][number] = {
      id: sample.id,
      absrel: m.absRel,
      delta1: m.delta1,
      rmse: m.rmse,
    };
    if (opts.reference) {
      const ref = await opts.reference.run(input);
      row.nrmse_vs_float = nrmseVsFloat(out.values, ref.values);
      nrmses.push(row.nrmse_vs_float);
    }
    rows.push(row);
    opts.onProgress?.(i + 1, samples.length, m);
  }
  const mean = meanDepthMetrics(perImage);
  return {
    exec: exec.name,
    dataset: dataset.name,
    n: samples.length,
    absrel: mean.absRel,
    sqrel: mean.sqRel,
    rmse: mean.rmse,
    rmse_log: mean.rmseLog,
    log10: mean.log10,
    silog: mean.silog,
    delta1: mean.delta1,
    delta2: mean.delta2,
    delta3: mean.delta3,
    ...(nrmses.length ? { nrmse_vs_float: nrmses.reduce((a, b) => a + b, 0) / nrmses.length } : {}),
    outputs_sha256: sha.digest("hex"),
    seconds: (Date.now() - start) / 1000,
    per_image: rows,
  };
}
