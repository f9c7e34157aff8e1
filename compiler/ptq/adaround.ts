/**
 * AdaRound (Nagel et al. 2020), layer-wise, driven by second-order input statistics instead of data
 * passes: the reconstruction loss Σ_r ΔW_r·H·ΔW_rᵀ equals the layer's output MSE over the sampled
 * rows, so each step costs one (o×k)·(k×k) product. Rounding up or down per weight is learned through
 * a rectified sigmoid with a regularizer that anneals it to hard 0/1 decisions (β 20 → 2).
 */
import { defaultGemmBackend } from "../exec/float.js";
import { type WeightBits, weightRange } from "./weights.js";

export interface AdaRoundOptions {
  iterations?: number;
  /**
   * Output-gradient second moments G (o×o, KFAC): the loss becomes tr(ΔW·H·ΔWᵀ·G), the Kronecker-
   * factored Fisher of the network's output, instead of the layer's own output error.
   */
  outputFisher?: Float64Array;
  /** Start from these integer weights (e.g. GPTQ's) instead of from the float weights. */
  init?: Int8Array;
  /** Regularizer weight (paper: 0.01). */
  lambda?: number;
  learningRate?: number;
}

const ZETA = 1.1;
const GAMMA = -0.1;

function rectSigmoid(v: number): number {
  const s = 1 / (1 + Math.exp(-v));
  return Math.min(1, Math.max(0, s * (ZETA - GAMMA) + GAMMA));
}

/** `h` is the k×k input second-moment matrix (float64), `w` the o×k float weights. */
export async function adaround(
  w: Float64Array,
  o: number,
  k: number,
  h: Float64Array,
  scales: Float64Array,
  bits: WeightBits,
  opts: AdaRoundOptions = {},
): Promise<Int8Array> {
  const iterations = opts.iterations ?? 200;
  const lambda = opts.lambda ?? 0.01;
  const lr = opts.learningRate ?? 0.05;
  const { qmin, qmax } = weightRange(bits);
  const n = o * k;
  const floor = new Float64Array(n);
  const v = new Float64Array(n);
  for (let r = 0; r < o; r++) {
    for (let j = 0; j < k; j++) {
      const i = r * k + j;
      const x = w[i]! / scales[r]!;
      // From a given rounding: keep it, free to move one step toward the float weight.
      const start = opts.init?.[i];
      const f =
        start === undefined
          ? Math.min(Math.max(Math.floor(x), qmin), qmax - 1)
          : Math.min(Math.max(x >= start ? start : start - 1, qmin), qmax - 1);
      floor[i] = f;
      // Otherwise start where the soft rounding reproduces the float weight: h(V) = x − ⌊x⌋.
      const rest = start === undefined ? Math.min(Math.max(x - f, 0.01), 0.99) : start > f ? 0.8 : 0.2;
      v[i] = -Math.log((ZETA - GAMMA) / (rest - GAMMA) - 1);
    }
  }
  const h32 = Float32Array.from(h);
  const g32 = opts.outputFisher ? Float32Array.from(opts.outputFisher) : undefined;
  const m = new Float64Array(n);
  const s2 = new Float64Array(n);
  const delta = new Float32Array(n);
  const backend = defaultGemmBackend();
  // The loss is measured relative to the starting hard rounding, so λ means the same on every layer.
  const hard = new Float32Array(n);
  for (let i = 0; i < n; i++)
    hard[i] = w[i]! - scales[Math.floor(i / k)]! * (floor[i]! + (rectSigmoid(v[i]!) >= 0.5 ? 1 : 0));
  const hardH = await backend.matmul(hard, h32, o, k, k);
  const hardG = g32 ? await backend.matmul(g32, hardH, o, o, k) : hardH;
  let norm = 0;
  for (let i = 0; i < n; i++) norm += hard[i]! * hardG[i]!;
  norm = Math.max(norm, 1e-30);
  for (let t = 0; t < iterations; t++) {
    const progress = t / iterations;
    const warm = progress < 0.2;
    const beta = 20 + (2 - 20) * Math.max(0, (progress - 0.2) / 0.8);
    for (let i = 0; i < n; i++) {
      const r = Math.floor(i / k);
      delta[i] = w[i]! - scales[r]! * (floor[i]! + rectSigmoid(v[i]!));
    }
    const dhLayer = await backend.matmul(delta, h32, o, k, k);
    const dh = g32 ? await backend.matmul(g32, dhLayer, o, o, k) : dhLayer;
    for (let i = 0; i < n; i++) {
      const r = Math.floor(i / k);
      const sig = 1 / (1 + Math.exp(-v[i]!));
      const soft = sig * (ZETA - GAMMA) + GAMMA;
      if (soft <= 0 || soft >= 1) continue;
      // Loss = rec/rec₀ + λ·Σ(1 − |2h−1|^β) (the paper's sum, λ = 0.01; rec₀ = loss of the starting
      // hard rounding): d(rec)/dh = −2·s·(ΔW·H)/rec₀, d(reg)/dh = −2β·|2h−1|^(β−1)·sign(2h−1).
      let g = (-2 * scales[r]! * dh[i]!) / norm;
      if (!warm) {
        const u = 2 * soft - 1;
        g += lambda * -2 * beta * Math.abs(u) ** (beta - 1) * Math.sign(u);
      }
      g *= sig * (1 - sig) * (ZETA - GAMMA);
      // Adam.
      m[i] = 0.9 * m[i]! + 0.1 * g;
      s2[i] = 0.999 * s2[i]! + 0.001 * g * g;
      const mh = m[i]! / (1 - 0.9 ** (t + 1));
      const sh = s2[i]! / (1 - 0.999 ** (t + 1));
      v[i] = v[i]! - (lr * mh) / (Math.sqrt(sh) + 1e-8);
    }
  }
  const q = new Int8Array(n);
  for (let i = 0; i < n; i++)
    q[i] = Math.min(qmax, Math.max(qmin, floor[i]! + (rectSigmoid(v[i]!) >= 0.5 ? 1 : 0)));
  return q;
}
