/** Seeded pseudo-random numbers for test weights, so every run builds the same model. */

/** mulberry32, the project's one PRNG: every run builds the same model. Uniform in [0, 1). */
export { prng as seededRandom } from "../../compiler/prng.js";

/** `n` values uniform in [-scale, scale). */
export function uniform(rand: () => number, n: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (rand() * 2 - 1) * scale;
  return out;
}
