import type { Command } from "commander";
import { DepthPainter } from "../app/depth-painter.js";
import { type LiveExecutor, openExecutor } from "../app/executor.js";
import type { LiveScreen, LiveScreenState } from "../app/live-screen.js";
import { type LiveFrame, type LiveSummary, runLive } from "../app/live-session.js";
import { printJson, UserError } from "../app/output.js";
import { framesFromDir } from "../frames/dir.js";
import { framesFromCamera, framesFromVideo, probeVideoSize } from "../frames/ffmpeg.js";
import type { FrameSource } from "../frames/source.js";
import { fmtCount, fmtMs, fmtRate } from "../ui/format.js";

interface LiveOptions {
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
  return (
    `frame ${f.index}${f.name ? ` ${f.name}` : ""}: compute ${f.computeMs.toFixed(1)} ms ` +
    `(${fmtRate(f.figures.computeFps)} FPS), end-to-end ${fmtRate(f.figures.endToEndFps)} FPS` +
    (f.measurements.deviceCycles === null ? "" : `, device ${fmtCount(f.measurements.deviceCycles)} cycles`)
  );
}

function summaryText(s: LiveSummary, source: FrameSource, exec: LiveExecutor): string {
  const na = "— (no device)";
  return [
    `${s.frames} frame${s.frames === 1 ? "" : "s"} from ${source.description} in ${s.seconds.toFixed(1)} s (stopped: ${s.stopped})`,
    `  compute     ${exec.computeOn === "host" ? `${fmtRate(s.host_compute_fps)} FPS on this host` : "on the device"} (${fmtMs(s.mean_compute_ms)} ms/frame, ${exec.label})`,
    `  end-to-end  ${fmtRate(s.end_to_end_fps)} FPS (frame read, preprocessing, compute, drawing)`,
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
    .requiredOption("--model <model>", "a .tflite or .onnx depth model")
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
      const exec = openExecutor({ model: opts.model });
      let source: FrameSource;
      try {
        source = openSource();
      } catch (error) {
        await exec.close();
        throw error;
      }
      const tty = Boolean(process.stdout.isTTY) && !opts.json && !opts.plain;
      const lines = opts.json ? process.stderr : process.stdout;
      const controller = new AbortController();
      let screen: LiveScreen | undefined;
      let interrupts = 0;
      const onSignal = () => {
        interrupts++;
        void source.close();
        if (interrupts === 1) {
          controller.abort();
          if (screen) screen.log("stopping after this frame (Ctrl-C again to quit now)");
          else process.stderr.write("stopping after this frame (Ctrl-C again to quit now)\n");
          return;
        }
        screen?.close();
        process.exit(130);
      };
      process.on("SIGINT", onSignal);
      const { inputWidth, inputHeight } = exec.executor;
      const total = Math.min(limit ?? Number.POSITIVE_INFINITY, source.length ?? Number.POSITIVE_INFINITY);
      const of = Number.isFinite(total) ? `/${total}` : "";
      let summary: LiveSummary;
      try {
        if (tty) {
          screen = await openScreen({
            title: `quart live — ${source.description} · ${exec.label}`,
            figures: {
              deviceCycles: null,
              computeFps: null,
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
          ...summary,
        });
      else process.stdout.write(`${summaryText(summary, source, exec)}\n`);
    });
}
