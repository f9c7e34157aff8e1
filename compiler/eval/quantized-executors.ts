/** Executors of a quantized graph for evaluation: the integer golden model and its float simulation. */
import { runFakeQuant } from "../ptq/fakequant.js";
import { dequantize, quantizeInput, runGolden } from "../ptq/golden.js";
import type { QGraph } from "../ptq/qgraph.js";
import type { DepthExecutor } from "./evaluate-model.js";

export function ioOf(g: QGraph) {
  const inV = g.values.get(g.input)!;
  const outV = g.values.get(g.output)!;
  const s = outV.shape;
  return { inV, outV, h: inV.shape[2]!, w: inV.shape[3]!, oh: s[s.length - 2]!, ow: s[s.length - 1]! };
}

export function goldenExecutor(g: QGraph): DepthExecutor {
  const io = ioOf(g);
  return {
    name: "golden",
    inputHeight: io.h,
    inputWidth: io.w,
    async run(input) {
      const { codes } = await runGolden(g, quantizeInput(input, io.inV));
      return {
        values: dequantize(codes, io.outV),
        h: io.oh,
        w: io.ow,
        raw: new Uint8Array(codes.buffer, codes.byteOffset, codes.byteLength),
      };
    },
  };
}

export function fakeQuantExecutor(g: QGraph): DepthExecutor {
  const io = ioOf(g);
  return {
    name: "fakequant",
    inputHeight: io.h,
    inputWidth: io.w,
    async run(input) {
      const values = await runFakeQuant(g, input);
      return {
        values,
        h: io.oh,
        w: io.ow,
        raw: new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
      };
    },
  };
}
