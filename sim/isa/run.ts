/** Running a blob (or a lowered program) on the instruction-level simulator: codes in, codes out. */
import type { Blob } from "../../compiler/blob/reader.js";
import { type Target, targetByName } from "../../compiler/isa/targets.js";
import type { IoDescriptor, LoweredProgram } from "../../compiler/lower/index.js";
import { readTensor, writeTensor } from "../../compiler/lower/tensor-io.js";
import type { Codes } from "../../compiler/ptq/qgraph.js";
import { type Counters, IsaMachine, type MachineImage, type SimOptions } from "./machine.js";

export interface IsaRunResult {
  codes: Codes;
  counters: Counters;
}

export interface RunImage extends MachineImage {
  readonly input: IoDescriptor;
  readonly output: IoDescriptor;
}

export function runImage(
  target: Target,
  image: RunImage,
  inputCodes: Codes,
  opts: SimOptions = {},
): IsaRunResult {
  const m = new IsaMachine(target, image, opts);
  writeTensor(m.act, image.input.layout, inputCodes);
  const counters = m.run();
  return { codes: readTensor(m.act, image.output.layout), counters };
}

export function runLowered(
  l: LoweredProgram,
  target: Target,
  inputCodes: Codes,
  opts: SimOptions = {},
): IsaRunResult {
  return runImage(target, { ...l, input: l.input, output: l.output }, inputCodes, opts);
}

/** `target` overrides the blob's (e.g. a custom target object with the same name). */
export function runBlob(
  blob: Blob,
  inputCodes: Codes,
  opts: SimOptions & { target?: Target } = {},
): IsaRunResult {
  const target = opts.target ?? targetByName(blob.target);
  return runImage(
    target,
    {
      program: blob.program,
      weights: blob.weights,
      tables: blob.tables,
      actBytes: blob.io.actBytes,
      input: blob.io.input,
      output: blob.io.output,
    },
    inputCodes,
    opts,
  );
}
