/** The project's PRNG (mulberry32) under the name the accelerator block tests use. */
export { prng as rng } from "../../../compiler/prng.js";
