/**
 * What computes the depth for `quart live`: the float model on this host (here), or a compiled blob on
 * a device (host/app/device-executor.ts), whose `lastFrame()` reports the device's cycle counters and
 * the bytes that crossed the link.
 */
import { extname } from "node:path";
import { type DepthExecutor, floatExecutor } from "../../compiler/eval/evaluate-model.js";
import { loadModel } from "../../compiler/import/index.js";
import { UserError } from "./output.js";

export interface ExecutorRequest {
  /** A float model (.tflite/.onnx) or a compiled blob (.bin). */
  model: string;
}

/** What one frame cost beyond host time; null where it does not apply (no device). */
export interface FrameMeasurements {
  /** Accelerator clock cycles spent on the frame. */
  deviceCycles: number | null;
  /** Bytes sent plus received over the device link for the frame. */
  linkBytes: number | null;
  /** Cycles of the whole RUN on the device: the firmware's data movement plus the accelerator's. */
  firmwareCycles?: number | null;
  /** The device's clock, to turn cycles into rates. */
  clockHz?: number | null;
}

export interface LiveExecutor {
  readonly executor: DepthExecutor;
  /** For people: "float executor on this host". */
  readonly label: string;
  /** Where `executor.run` computes: on "host", its wall time is host compute time. */
  readonly computeOn: "host" | "device";
  /** Measurements of the most recent run. */
  lastFrame(): FrameMeasurements;
  close(): Promise<void>;
}

const NO_DEVICE: FrameMeasurements = { deviceCycles: null, linkBytes: null };

export function hostExecutor(executor: DepthExecutor, label: string): LiveExecutor {
  return {
    executor,
    label,
    computeOn: "host",
    lastFrame: () => NO_DEVICE,
    close: async () => {
      await executor.close?.();
    },
  };
}

export function openExecutor(request: ExecutorRequest): LiveExecutor {
  const ext = extname(request.model).toLowerCase();
  if (ext === ".bin")
    throw new UserError(
      `${request.model}: a compiled model runs on the accelerator; give --sim or --port <device>, or use the float model (.tflite/.onnx)`,
    );
  const graph = loadModel(request.model);
  return hostExecutor(floatExecutor(graph), "float executor on this host");
}
