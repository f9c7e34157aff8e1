import { createHash } from "node:crypto";
import { basename, extname } from "node:path";
import type { Command } from "commander";
import { DepthPainter } from "../app/depth-painter.js";
import { openDeviceExecutor } from "../app/device-executor.js";
import { type LiveExecutor, openExecutor } from "../app/executor.js";
import type { LiveScreen, LiveScreenState } from "../app/live-screen.js";
import { type LiveFrame, type LiveSummary, runLive } from "../app/live-session.js";
import { printJson, UserError } from "../app/output.js";
import { transferProgress } from "../app/transfer-progress.js";
import { framesFromDir } from "../frames/dir.js";
import { framesFromCamera, framesFromVideo, probeVideoSize } from "../frames/ffmpeg.js";
import type { FrameSource } from "../frames/source.js";
import { fmtCount, fmtMs, fmtRate } from "../ui/format.js";
import { checkDeviceIsa, type DeviceOptions, deviceOpener, readBlobFile, switchBaud } from "./device.js";

interface LiveOptions extends DeviceOptions {
  frames?: string;
  video?: string;
  camera?: string;
  model: string;
  limit?: string;
  size?: string;
  fps?: string;
  json?: boolean;
  plain?: boolean;
}

/** Largest width of video frames by default (they are scaled down for the network anyway). */
const DEFAULT_VIDEO_WIDTH = 640;
const DEFAULT_CAMERA_SIZE = { width: 640, height: 480 };

function parseSize(text: string): { width: number; height: number } {
  const m = /^(\d+)[x×](\d+)$/.exec(text.trim());
  const size = m ? { width: Number(m[1]), height: Number(m[2]) } : null;
  if (!size || size.width < 1 || size.height < 1 || size.width > 8192 || size.height > 8192)
    throw new UserError(`--size must be WIDTHxHEIGHT, e.g. 640x480; got "${text}"`);
  return size;
}

/** The video's own size, scaled down to at most 640 pixels wide (even sizes, as codecs like). */
function videoSize(path: string): { width: number; height: number } {
  const probed = probeVideoSize(path);
  if (!probed) return { width: DEFAULT_VIDEO_WIDTH, height: 480 };
  if (probed.width <= DEFAULT_VIDEO_WIDTH) return probed;
  const width = DEFAULT_VIDEO_WIDTH;
  return { width, height: Math.max(2, 2 * Math.round((probed.height * width) / probed.width / 2)) };
}

/** Checks the source options and returns how to open the source (opened after the model loads). */
function planSource(opts: LiveOptions): () => FrameSource {
  const chosen = [opts.frames, opts.video, opts.camera].filter((x) => x !== undefined).length;
  if (chosen !== 1)
    throw new UserError("give exactly one frame source: --frames <dir>, --video <file> or --camera <device>");
  const fps = opts.fps === undefined ? undefined : Number(opts.fps);
  if (fps !== undefined && !(Number.isFinite(fps) && fps > 0))
    throw new UserError(`--fps must be a positive number, got "${opts.fps}"`);
  const size = opts.size === undefined ? undefined : parseSize(opts.size);
  if (opts.frames !== undefined) {
    if (size || fps) throw new UserError("--size and --fps apply to --video and --camera only");
    const dir = opts.frames;
    return () => framesFromDir(dir);
  }
  const rate = fps ? { fps } : {};
  if (opts.video !== undefined) {
    const video = opts.video;
    return () => framesFromVideo(video, { ...(size ?? videoSize(video)), ...rate });
  }
  const camera = opts.camera!;
  return () => framesFromCamera(camera, { ...(size ?? DEFAULT_CAMERA_SIZE), ...rate });
}

/**
 * The device side of `quart live`: a compiled blob, flashed when the device does not run it already
 * (progress on stderr), then run frame by frame.
 */
async function openLiveDevice(opts: LiveOptions, signal: AbortSignal): Promise<LiveExecutor> {
  if (extname(opts.model).toLowerCase() !== ".bin")
    throw new UserError(
      `${opts.model}: the device runs compiled models; compile it first (quart compile ${opts.model} -o model.bin)`,
    );
  const { bytes, blob } = readBlobFile(opts.model);
  const open = deviceOpener(opts);
  const bar = await transferProgress(`flash ${basename(opts.model)}`, bytes.length);
  const exec = await openDeviceExecutor({
    name: basename(opts.model),
    bytes,
    blob,
    open,
    signal,
    prepare: async (session) => {
      checkDeviceIsa(session.info, blob, opts.model);
      await switchBaud(session, opts);
    },
    onFlashProgress: (p) => bar.update(p.bytes, `${p.phase} ${(p.rate / 1024).toFixed(1)} KiB/s`),
  });
  if (exec.load.skipped)
    process.stderr.write(`${opts.model} is already active on ${exec.session.device.label}\n`);
  else bar.done(`flashed in ${exec.load.seconds.toFixed(1)} s`);
  return exec;
}

/**
 * The Ink screen, loaded on demand with React's production build: the development build records
 * every prop of every render for its profiler, and with camera frames as props that alone takes
 * seconds per frame.
 */
async function openScreen(initial: LiveScreenState): Promise<LiveScreen> {
  process.env.NODE_ENV ??= "production";
  const { openLiveScreen } = await import("../app/live-screen.js");
  return openLiveScreen(process.stdout, initial);
}

function frameLine(f: LiveFrame): string {
  const head = `frame ${f.index}${f.name ? ` ${f.name}` : ""}: `;
  const e2e = `end-to-end ${fmtRate(f.figures.endToEndFps)} FPS`;
  const m = f.measurements;
  if (m.deviceCycles === null)
    return `${head}compute ${f.computeMs.toFixed(1)} ms (${fmtRate(f.figures.computeFps)} FPS), ${e2e}`;
  const mhz = m.clockHz ? ` at ${fmtRate(m.clockHz / 1e6)} MHz` : "";
  const fw =
    m.firmwareCycles === null || m.firmwareCycles === undefined
      ? ""
      : `, with firmware ${fmtCount(m.firmwareCycles)} cycles (${fmtRate(f.figures.firmwareFps)} FPS)`;
  return `${head}device ${fmtCount(m.deviceCycles)} cycles (compute ${fmtRate(f.figures.computeFps)} FPS${mhz})${fw}, ${e2e}`;
}

/** One frame of `--json`'s per_frame: the device's cycles and the three rates, kept apart. */
function frameRecord(f: LiveFrame) {
  const m = f.measurements;
  return {
    index: f.index,
    name: f.name ?? null,
    device_cycles: m.deviceCycles,
    firmware_cycles: m.firmwareCycles ?? null,
    compute_fps: f.figures.computeFps,
    device_fps_with_firmware: f.figures.firmwareFps ?? null,
    end_to_end_fps: f.figures.endToEndFps,
    exchange_ms: f.computeMs,
    link_bytes: m.linkBytes,
  };
}

function summaryText(s: LiveSummary, source: FrameSource, exec: LiveExecutor): string {
  const na = "— (no device)";
  const mhz = s.clock_hz ? `${fmtRate(s.clock_hz / 1e6)} MHz` : "the device clock";
  const compute =
    exec.computeOn === "host"
      ? `${fmtRate(s.host_compute_fps)} FPS on this host (${fmtMs(s.mean_compute_ms)} ms/frame, ${exec.label})`
      : `${fmtRate(s.compute_fps)} FPS at ${mhz} from the accelerator's cycles (${exec.label})`;
  return [
    `${s.frames} frame${s.frames === 1 ? "" : "s"} from ${source.description} in ${s.seconds.toFixed(1)} s (stopped: ${s.stopped})`,
    `  compute     ${compute}`,
    ...(s.device_fps_with_firmware === null
      ? []
      : [
          `  firmware    ${fmtRate(s.device_fps_with_firmware)} FPS at ${mhz} for the whole RUN (${fmtCount(s.firmware_cycles)} cycles/frame, the firmware's data movement included)`,
        ]),
    `  end-to-end  ${fmtRate(s.end_to_end_fps)} FPS on this wall clock (frame read, preprocessing, ${exec.computeOn === "host" ? "compute" : "link, device"}, drawing)`,
    `  device      ${s.device_cycles === null ? na : `${fmtCount(s.device_cycles)} cycles/frame`}`,
    `  link        ${s.link_kbps === null ? na : `${fmtRate(s.link_kbps)} KB/s`}`,
    ...(s.dropped_frames
      ? [`  dropped     ${s.dropped_frames} camera frames (compute slower than the camera)`]
      : []),
  ].join("\n");
}

export function registerLive(program: Command): void {
  program
    .command("live")
    .description("depth from a camera, video or image folder, live in the terminal, with throughput")
    .option("--frames <dir>", "a folder of PNG/JPEG frames (natural name order)")
    .option("--video <file>", "a video file (needs ffmpeg)")
    .option("--camera <device>", "a V4L2 camera such as /dev/video0 (needs ffmpeg)")
    .requiredOption(
      "--model <model>",
      "a .tflite or .onnx depth model (on this host), or a compiled .bin with --sim / --port",
    )
    .option("--sim", "run the frames on the simulated SoC (the running quart sim, else a fresh one)")
    .option("--port <device>", "run the frames on the board on this serial port")
    .option("--usb <vid:pid|bus-address>", "run the frames on this USB bulk device")
    .option("--tcp <host:port>", "run the frames on the simulated SoC served by quart sim --tcp")
    .option("--baud <n>", "serial line rate of --port")
    .option("--switch-baud <n>", "after connecting, switch both ends to this rate")
    .option("--limit <n>", "stop after n frames")
    .option(
      "--size <WxH>",
      "frame size for --video/--camera (default: the video's, at most 640 wide; camera 640x480)",
    )
    .option("--fps <f>", "frame rate for --video (resample) or --camera (request)")
    .option("--plain", "one text line per frame even on a terminal")
    .option("--json", "one text line per frame on stderr, then one JSON object on stdout")
    .action(async (opts: LiveOptions) => {
      const limit = opts.limit === undefined ? undefined : Number(opts.limit);
      if (limit !== undefined && !(Number.isInteger(limit) && limit > 0))
        throw new UserError(`--limit must be a positive integer, got "${opts.limit}"`);
      const openSource = planSource(opts);
      const onDevice =
        Boolean(opts.sim) || opts.port !== undefined || opts.usb !== undefined || opts.tcp !== undefined;
      const tty = Boolean(process.stdout.isTTY) && !opts.json && !opts.plain;
      const lines = opts.json ? process.stderr : process.stdout;
      const controller = new AbortController();
      let screen: LiveScreen | undefined;
      let source: FrameSource | undefined;
      let opened: LiveExecutor | undefined;
      let interrupts = 0;
      // First Ctrl-C: the RUN in flight finishes and the loop stops, so the device is left idle and the
      // terminal restored; a second one quits at once.
      const onSignal = () => {
        interrupts++;
        void source?.close();
        if (interrupts === 1) {
          controller.abort();
          if (screen) screen.log("stopping after this frame (Ctrl-C again to quit now)");
          else process.stderr.write("stopping after this frame (Ctrl-C again to quit now)\n");
          return;
        }
        screen?.close();
        // Quit now, but give the device a moment to be closed (an attached quart sim pauses then).
        const quit = () => process.exit(130);
        setTimeout(quit, 1000);
        void (opened ? opened.close() : Promise.resolve()).then(quit, quit);
      };
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
      let exec: LiveExecutor;
      try {
        exec = onDevice ? await openLiveDevice(opts, controller.signal) : openExecutor({ model: opts.model });
        opened = exec;
      } catch (error) {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
        if (controller.signal.aborted) {
          process.stderr.write("quart: interrupted before the first frame\n");
          process.exitCode = 130;
          return;
        }
        throw error;
      }
      try {
        source = openSource();
      } catch (error) {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
        await exec.close();
        throw error;
      }
      const { inputWidth, inputHeight } = exec.executor;
      const total = Math.min(limit ?? Number.POSITIVE_INFINITY, source.length ?? Number.POSITIVE_INFINITY);
      const of = Number.isFinite(total) ? `/${total}` : "";
      let summary: LiveSummary;
      const perFrame: ReturnType<typeof frameRecord>[] = [];
      // Over the raw output tensors in frame order (integer codes on a device), as quart eval reports it.
      const outputs = createHash("sha256");
      try {
        if (tty) {
          screen = await openScreen({
            title: `quart live — ${source.description} · ${exec.label}`,
            figures: {
              deviceCycles: null,
              computeFps: null,
              firmwareFps: null,
              hostComputeMs: null,
              endToEndFps: null,
              linkKBps: null,
            },
            input: null,
            depth: null,
            scaleLabels: ["far", "near"],
            status: "starting · Ctrl-C stops",
          });
          screen.log(`model ${opts.model}: ${exec.label}, network input ${inputWidth}×${inputHeight}`);
          screen.log(`source ${source.description}`);
        }
        const painter = new DepthPainter();
        summary = await runLive({
          source,
          executor: exec,
          ...(limit ? { limit } : {}),
          signal: controller.signal,
          onFrame: (f) => {
            if (opts.json) {
              perFrame.push(frameRecord(f));
              outputs.update(f.depth.raw);
            }
            if (screen)
              screen.update({
                input: f.image,
                depth: painter.paint(f.depth),
                figures: f.figures,
                status: `frame ${f.done}${of}${f.name ? ` · ${f.name}` : ""} · Ctrl-C stops`,
              });
            else lines.write(`${frameLine(f)}\n`);
          },
        });
      } finally {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
        screen?.close();
        await source.close();
        await exec.close();
      }
      if (summary.stopped === "interrupted") process.exitCode = 130;
      if (opts.json)
        printJson({
          source: source.description,
          model: opts.model,
          executor: exec.executor.name,
          network_input: { width: inputWidth, height: inputHeight },
          ...(exec.computeOn === "device" ? { device: exec.label } : {}),
          ...summary,
          per_frame: perFrame,
          outputs_sha256: outputs.digest("hex"),
        });
      else process.stdout.write(`${summaryText(summary, source, exec)}\n`);
    });
}
