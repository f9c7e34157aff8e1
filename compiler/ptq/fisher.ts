/**
 * The output-gradient factor G of the Kronecker-factored Fisher F = G ⊗ A of every convolution
 * (DESIGN.md §1 step 3). For each image and random probe u ~ N(0, I) of the network output's size,
 * the gradient g of the scalar uᵀ·y_out with respect to a conv's output is taken at sampled spatial
 * positions; G = mean of g·gᵀ (O × O). Since E_u[(Jᵀu)(Jᵀu)ᵀ] = JᵀJ, this is the Gauss–Newton matrix
 * of a unit-variance Gaussian output model, without labels.
 */
import { defaultGemmBackend, type GemmBackend, runGraph } from "../exec/float.js";
import { type Graph, GraphError } from "../ir/graph.js";
import { floatTensor, sizeOf } from "../ir/tensor.js";
import { backpropagate } from "./backward.js";
import { prng } from "./stats.js";

export interface OutputFisherOptions {
  /** Random output probes per image (default 1). */
  probes?: number;
  /** Seed of the probes and the position sampling (default 0). */
  seed?: number;
  /**
   * Spatial positions (over the batch too) sampled without replacement per conv, image and probe;
   * default (or ≥ the conv's positions): every position.
   */
  positionsPerImage?: number;
  backend?: GemmBackend;
}

/** Standard normal samples (Box–Muller) from a uniform generator. */
function gaussianFill(out: Float32Array, rand: () => number): void {
  for (let i = 0; i < out.length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - rand()));
    const t = 2 * Math.PI * rand();
    out[i] = r * Math.cos(t);
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(t);
  }
}

/**
 * G per Conv2d node, keyed by the conv's output tensor name: an O×O row-major float64 matrix.
 * `inputs` are the flat float32 values of the graph's single input, one array per image.
 */
export async function outputFisher(
  graph: Graph,
  inputs: readonly Float32Array[],
  opts: OutputFisherOptions = {},
): Promise<Map<string, Float64Array>> {
  const probes = opts.probes ?? 1;
  const positions = opts.positionsPerImage;
  const backend = opts.backend ?? defaultGemmBackend();
  if (!Number.isInteger(probes) || probes < 1)
    throw new Error(`outputFisher: probes = ${probes} must be ≥ 1`);
  if (positions !== undefined && (!Number.isInteger(positions) || positions < 1))
    throw new Error(`outputFisher: positionsPerImage = ${positions} must be an integer ≥ 1`);
  if (inputs.length === 0) throw new Error("outputFisher: no input images");
  if (graph.inputs.length !== 1 || graph.outputs.length !== 1) {
    throw new GraphError(
      `outputFisher needs one graph input and one output, the graph has ${graph.inputs.length} and ${graph.outputs.length}`,
    );
  }
  const inputName = graph.inputs[0]!;
  const inShape = graph.values.get(inputName)!.shape;
  const outSize = sizeOf(graph.values.get(graph.outputs[0]!)!.shape);
  for (const [i, x] of inputs.entries()) {
    if (x.length !== sizeOf(inShape))
      throw new Error(
        `outputFisher: input ${i} has ${x.length} values, "${inputName}" needs ${sizeOf(inShape)}`,
      );
  }

  interface Acc {
    o: number;
    /** batch × spatial positions per channel plane */
    n: number;
    plane: number;
    sum: Float64Array;
    count: number;
  }
  const accs = new Map<string, Acc>();
  for (const node of graph.nodes) {
    if (node.op !== "Conv2d") continue;
    const [n, o, h, w] = graph.values.get(node.outputs[0]!)!.shape as [number, number, number, number];
    accs.set(node.outputs[0]!, { o, n, plane: h * w, sum: new Float64Array(o * o), count: 0 });
  }

  const rand = prng(opts.seed ?? 0);
  const u = new Float32Array(outSize);
  for (const x of inputs) {
    const values = await runGraph(
      graph,
      { [inputName]: floatTensor(inShape, x) },
      { keepAll: true, backend },
    );
    for (let p = 0; p < probes; p++) {
      gaussianFill(u, rand);
      await backpropagate(graph, values, u, accs.keys(), {
        backend,
        retain: false,
        onGradient: (name, g) => {
          const acc = accs.get(name)!;
          acc.count += accumulateOuter(acc, g, positions, rand);
        },
      });
    }
  }
  const out = new Map<string, Float64Array>();
  for (const [name, acc] of accs) {
    const { o, sum } = acc;
    const inv = acc.count > 0 ? 1 / acc.count : 0;
    // Only the lower triangle was accumulated; mirror it.
    for (let i = 0; i < o; i++) {
      for (let j = 0; j <= i; j++) {
        const v = sum[i * o + j]! * inv;
        sum[i * o + j] = v;
        sum[j * o + i] = v;
      }
    }
    out.set(name, sum);
  }
  return out;
}

/** Adds Σ g·gᵀ over the chosen positions into the lower triangle of acc.sum; returns how many. */
function accumulateOuter(
  acc: { o: number; n: number; plane: number; sum: Float64Array },
  g: Float32Array,
  positions: number | undefined,
  rand: () => number,
): number {
  const { o, n, plane, sum } = acc;
  const total = n * plane;
  if (positions === undefined || positions >= total) {
    for (let b = 0; b < n; b++) {
      const base = b * o * plane;
      for (let i = 0; i < o; i++) {
        const pi = base + i * plane;
        for (let j = 0; j <= i; j++) {
          const pj = base + j * plane;
          let s = 0;
          for (let k = 0; k < plane; k++) s += g[pi + k]! * g[pj + k]!;
          sum[i * o + j]! += s;
        }
      }
    }
    return total;
  }
  // Partial Fisher–Yates: the first `positions` entries are a uniform sample without replacement.
  const perm = new Int32Array(total);
  for (let k = 0; k < total; k++) perm[k] = k;
  const v = new Float64Array(o);
  for (let k = 0; k < positions; k++) {
    const r = k + Math.floor(rand() * (total - k));
    const pos = perm[r]!;
    perm[r] = perm[k]!;
    perm[k] = pos;
    const b = Math.floor(pos / plane);
    const base = b * o * plane + (pos - b * plane);
    for (let i = 0; i < o; i++) v[i] = g[base + i * plane]!;
    for (let i = 0; i < o; i++) {
      const vi = v[i]!;
      if (vi === 0) continue;
      const row = i * o;
      for (let j = 0; j <= i; j++) sum[row + j]! += vi * v[j]!;
    }
  }
  return positions;
}
