/**
 * The live loop, independent of how it is shown: frames from a source through the executor, with
 * the throughput figures kept apart —
 * - compute: for a device, its accelerator cycles at its clock (and apart, the whole RUN's cycles, the
 *   firmware's data movement included); for a host executor, its run time,
 * - end to end: frames completed over the loop's wall time (frame read, preprocessing, compute and
 *   whatever `onFrame` does, i.e. drawing),
 * - device cycles and link bytes: as the executor reports them (null without a device).
 * The loop stops at the end of the source, after `limit` frames, or when `signal` aborts.
 */
import type { Image } from "../../compiler/data/image.js";
import type { DepthOutput } from "../../compiler/eval/evaluate-model.js";
import { imageToInput } from "../../compiler/eval/preprocess.js";
import type { FrameSource } from "../frames/source.js";
import type { LiveFigures } from "../ui/figures.js";
import type { FrameMeasurements, LiveExecutor } from "./executor.js";

export interface LiveFrame {
  index: number;
  name?: string;
  image: Image;
  depth: DepthOutput;
  /** Milliseconds of `executor.run` for this frame. */
  computeMs: number;
  measurements: FrameMeasurements;
  /** Recent-window figures for display. */
  figures: LiveFigures;
  /** Frames completed so far, this one included. */
  done: number;
}

export type StopReason = "end" | "limit" | "interrupted";

/** The run's figures; field names are the `--json` contract of `quart live`. */
export interface LiveSummary {
  frames: number;
  stopped: StopReason;
  /** Wall time of the loop. */
  seconds: number;
  /** Frames per second of the compute alone, when it runs on this host; null on a device. */
  host_compute_fps: number | null;
  /** Mean executor run time per frame. */
  mean_compute_ms: number | null;
  /** Frames completed over the loop's wall time. */
  end_to_end_fps: number | null;
  /** Mean device cycles per frame; null without a device. */
  device_cycles: number | null;
  /** Mean cycles of the whole RUN on the device (firmware data movement included); null without a device. */
  firmware_cycles: number | null;
  /** The device's clock; null without a device. */
  clock_hz: number | null;
  /** Compute rate: the device's cycles at its clock, or the host executor's run time. */
  compute_fps: number | null;
  /** The device's rate with the firmware's data movement (whole RUN at its clock); null without a device. */
  device_fps_with_firmware: number | null;
  /** Link throughput in KB/s (1000 bytes) over the loop's wall time; null without a device. */
  link_kbps: number | null;
  /** Camera frames skipped to stay current. */
  dropped_frames: number;
}

export interface RunLiveOptions {
  source: FrameSource;
  executor: LiveExecutor;
  limit?: number;
  signal?: AbortSignal;
  /** Called after each frame (drawing, printing); its time counts into the end-to-end rate. */
  onFrame?: (frame: LiveFrame) => void | Promise<void>;
  /** Frames in the moving window of the displayed figures. */
  window?: number;
  /** Clock in milliseconds (tests). */
  now?: () => number;
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

export async function runLive(options: RunLiveOptions): Promise<LiveSummary> {
  const { source, executor, signal } = options;
  const now = options.now ?? (() => performance.now());
  const window = options.window ?? 8;
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const exec = executor.executor;
  const computeMs: number[] = [];
  const cycles: number[] = [];
  const fwCycles: number[] = [];
  let clockHz: number | null = null;
  let linkBytes = 0;
  let linkKnown = false;
  const start = now();
  /** Completion times, starting with the loop start. */
  const done: number[] = [start];
  let stopped: StopReason = "end";
  if (limit <= 0) stopped = "limit";
  else if (signal?.aborted) stopped = "interrupted";
  else {
    for await (const frame of source) {
      if (signal?.aborted) break;
      const input = imageToInput(frame.image, exec.inputWidth, exec.inputHeight);
      const t0 = now();
      const depth = await exec.run(input);
      const ms = now() - t0;
      computeMs.push(ms);
      const measurements = executor.lastFrame();
      if (measurements.deviceCycles !== null) cycles.push(measurements.deviceCycles);
      if (measurements.firmwareCycles !== undefined && measurements.firmwareCycles !== null)
        fwCycles.push(measurements.firmwareCycles);
      if (measurements.clockHz) clockHz = measurements.clockHz;
      if (measurements.linkBytes !== null) {
        linkBytes += measurements.linkBytes;
        linkKnown = true;
      }
      const recent = computeMs.slice(-window);
      const t = now();
      const k = Math.min(window, done.length);
      const onDevice = executor.computeOn === "device" && clockHz !== null && cycles.length > 0;
      const mean = (xs: readonly number[]) => sum(xs.slice(-window)) / Math.min(window, xs.length);
      const figures: LiveFigures = {
        deviceCycles: measurements.deviceCycles,
        computeFps: onDevice ? clockHz! / mean(cycles) : 1000 / (sum(recent) / recent.length),
        firmwareFps: onDevice && fwCycles.length ? clockHz! / mean(fwCycles) : null,
        clockHz,
        hostComputeMs: executor.computeOn === "host" ? ms : null,
        endToEndFps: (1000 * k) / (t - done[done.length - k]!),
        linkKBps: linkKnown ? linkBytes / (t - start) : null,
        dropped: source.dropped(),
      };
      const liveFrame: LiveFrame = {
        index: frame.index,
        image: frame.image,
        depth,
        computeMs: ms,
        measurements,
        figures,
        done: computeMs.length,
      };
      if (frame.name !== undefined) liveFrame.name = frame.name;
      await options.onFrame?.(liveFrame);
      done.push(now());
      if (signal?.aborted) break;
      if (computeMs.length >= limit) {
        stopped = "limit";
        break;
      }
    }
    if (signal?.aborted) stopped = "interrupted";
  }
  const seconds = (now() - start) / 1000;
  const n = computeMs.length;
  const meanMs = n ? sum(computeMs) / n : null;
  const deviceCycles = cycles.length ? sum(cycles) / cycles.length : null;
  const firmwareCycles = fwCycles.length ? sum(fwCycles) / fwCycles.length : null;
  const hostFps = meanMs !== null && executor.computeOn === "host" ? 1000 / meanMs : null;
  return {
    frames: n,
    stopped,
    seconds,
    host_compute_fps: hostFps,
    mean_compute_ms: meanMs,
    end_to_end_fps: n && seconds > 0 ? n / seconds : null,
    device_cycles: deviceCycles,
    firmware_cycles: firmwareCycles,
    clock_hz: clockHz,
    compute_fps: clockHz && deviceCycles ? clockHz / deviceCycles : hostFps,
    device_fps_with_firmware: clockHz && firmwareCycles ? clockHz / firmwareCycles : null,
    link_kbps: linkKnown && seconds > 0 ? linkBytes / 1000 / seconds : null,
    dropped_frames: source.dropped(),
  };
}
