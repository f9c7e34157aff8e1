/** Loads the shared test vectors (test/vectors/protocol/*.json, written by host/protocol/gen.ts). */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "../../../compiler/paths.js";
import type {
  BodyVector,
  CobsVector,
  Crc32Vector,
  FrameVector,
  InvalidBodyVector,
  InvalidFrameVector,
} from "../../../host/protocol/vectors.js";

function load<T>(name: string): T {
  return JSON.parse(readFileSync(join(projectRoot(), "test", "vectors", "protocol", name), "utf8")) as T;
}

export const bodyVectors = () => load<{ vectors: BodyVector[]; invalid: InvalidBodyVector[] }>("bodies.json");
export const frameVectors = () =>
  load<{ vectors: FrameVector[]; invalid: InvalidFrameVector[] }>("frames.json");
export const cobsVectors = () => load<{ vectors: CobsVector[] }>("cobs.json").vectors;
export const crcVectors = () => load<{ vectors: Crc32Vector[] }>("crc32.json").vectors;
