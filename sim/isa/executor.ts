/** The instruction-level simulator as a depth executor: a blob's program on real camera frames. */
import { qgraphOfBlob } from "../../compiler/blob/pack.js";
import type { Blob } from "../../compiler/blob/reader.js";
import type { DepthExecutor } from "../../compiler/eval/evaluate-model.js";
import { ioOf } from "../../compiler/eval/quantized-executors.js";
import { dequantize, quantizeInput } from "../../compiler/ptq/golden.js";
import type { Counters } from "./machine.js";
import { runBlob } from "./run.js";

export function isaExecutor(blob: Blob, onCounters?: (c: Counters) => void): DepthExecutor {
  const io = ioOf(qgraphOfBlob(blob));
  return {
    name: "isa",
    inputHeight: io.h,
    inputWidth: io.w,
    async run(input) {
      const { codes, counters } = runBlob(blob, quantizeInput(input, io.inV));
      onCounters?.(counters);
      return {
        values: dequantize(codes, io.outV),
        h: io.oh,
        w: io.ow,
        raw: new Uint8Array(codes.buffer, codes.byteOffset, codes.byteLength),
      };
    },
  };
}
