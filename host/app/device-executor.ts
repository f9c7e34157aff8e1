/**
 * A compiled blob on a device (board or sim) as the live view's executor: the blob is flashed once when
 * the device does not already run it, then every frame goes up as input codes (the blob's input
 * encoding, as `quart run` quantizes), runs, and comes back as output codes decoded with the blob's
 * output encoding. The device's cycle counters and the bytes on the link are the frame's measurements.
 */
import type { Blob } from "../../compiler/blob/reader.js";
import type { DepthExecutor } from "../../compiler/eval/evaluate-model.js";
import { type Device, openSession, type Session } from "../device/device.js";
import { codesToFrame, dequantizeBlobOutput, quantizeBlobInput, runBlobOnDevice } from "../device/run.js";
import type { LoadProgress, LoadResult } from "../protocol/index.js";
import type { FrameMeasurements, LiveExecutor } from "./executor.js";
import { UserError } from "./output.js";

export interface DeviceExecutorRequest {
  /** The blob file's name, for messages. */
  name: string;
  bytes: Uint8Array;
  blob: Blob;
  open: () => Promise<Device>;
  /** Runs once the session is open, before the flash (e.g. a line-rate switch). */
  prepare?: (session: Session) => Promise<void>;
  onFlashProgress?: (p: LoadProgress) => void;
  /** Aborts the flash (Ctrl-C before the first frame). */
  signal?: AbortSignal;
}

export interface DeviceLiveExecutor extends LiveExecutor {
  readonly session: Session;
  /** The flash at open: skipped when the device already had the blob active. */
  readonly load: LoadResult;
}

/** The input and output shapes a depth view needs: an RGB image in, one channel out. */
export function checkDepthBlob(name: string, blob: Blob): void {
  const i = blob.io.input.shape;
  const o = blob.io.output.shape;
  if (i.length !== 4 || i[0] !== 1 || i[1] !== 3)
    throw new UserError(
      `${name}: the model input is ${i.join("×")}; a depth model takes one RGB image (1×3×H×W)`,
    );
  if (blob.io.input.encoding.kind !== "lin8")
    throw new UserError(`${name}: the model input is ${blob.io.input.encoding.kind}, not lin8 image codes`);
  if (o.length !== 4 || o[0] !== 1 || o[1] !== 1)
    throw new UserError(
      `${name}: the model output is ${o.join("×")}; a depth model gives one channel (1×1×H×W)`,
    );
}

export async function openDeviceExecutor(req: DeviceExecutorRequest): Promise<DeviceLiveExecutor> {
  const { blob } = req;
  checkDepthBlob(req.name, blob);
  const device = await req.open();
  // openSession closes the device itself when it fails.
  const session = await openSession(device);
  const close = async () => {
    session.client.channel.close();
    await device.close();
  };
  let load: LoadResult;
  try {
    await req.prepare?.(session);
    const frameBytes =
      blob.io.input.shape.reduce((a, b) => a * b, 1) * (blob.io.input.layout.ebits === 32 ? 4 : 1);
    if (session.info.inputCapacity && frameBytes > session.info.inputCapacity)
      throw new UserError(
        `${req.name} takes ${frameBytes}-byte input frames; ${device.label} takes at most ${session.info.inputCapacity}`,
      );
    if (req.bytes.length > session.info.stageCapacity)
      throw new UserError(
        `${req.name} is ${req.bytes.length} bytes; ${device.label} takes models of at most ${session.info.stageCapacity} bytes`,
      );
    load = await session.client.load(req.bytes, {
      ...(req.onFlashProgress ? { onProgress: req.onFlashProgress } : {}),
      ...(req.signal ? { signal: req.signal } : {}),
    });
  } catch (e) {
    await close();
    throw e;
  }
  const [, , inputHeight, inputWidth] = blob.io.input.shape as [number, number, number, number];
  const [, , oh, ow] = blob.io.output.shape as [number, number, number, number];
  const clockHz = session.info.clockHz || null;
  let last: FrameMeasurements = { deviceCycles: null, linkBytes: null, firmwareCycles: null, clockHz };
  const executor: DepthExecutor = {
    name: "device",
    inputHeight,
    inputWidth,
    async run(input) {
      const codes = quantizeBlobInput(blob, input);
      const r = await runBlobOnDevice(session.client, blob, codes);
      last = {
        deviceCycles: r.cycles,
        firmwareCycles: r.counters.run_cycles ?? null,
        clockHz,
        linkBytes: codesToFrame(codes, blob.io.input.layout.ebits).length + r.run.output.length,
      };
      return { values: dequantizeBlobOutput(blob, r.codes), h: oh, w: ow, raw: r.run.output };
    },
  };
  return {
    executor,
    label: `${req.name} on ${device.label}`,
    computeOn: "device",
    lastFrame: () => last,
    session,
    load,
    close,
  };
}
