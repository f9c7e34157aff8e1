/**
 * Video files and cameras through an `ffmpeg` child process that writes raw RGB24 frames of a fixed
 * size to its stdout. Videos are read with back-pressure (ffmpeg waits while we compute, no frame is
 * lost); cameras are read continuously and only the newest frame is kept, so a slow consumer sees
 * fresh frames instead of an ever older backlog.
 *
 * ffmpeg runs in its own process group: a Ctrl-C in the terminal reaches only us, and we stop it in
 * order (SIGTERM, then SIGKILL) from `close()`.
 */
import { type ChildProcessByStdio, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import type { Readable } from "node:stream";
import { describeError } from "../../compiler/data/errors.js";
import { isDirectory } from "../../compiler/data/files.js";
import { type Frame, type FrameSource, FrameSourceError } from "./source.js";

export interface FfmpegOptions {
  /** Size of the frames delivered (ffmpeg scales to it). */
  width: number;
  height: number;
  /** Frame rate to resample to (videos) or to ask the camera for. */
  fps?: number;
  /** The ffmpeg executable (default: $QUART_FFMPEG or "ffmpeg" on the PATH). */
  ffmpeg?: string;
}

export interface CameraOptions extends FfmpegOptions {
  /** ffmpeg input format (default "v4l2"; "lavfi" turns a filter graph such as testsrc into a camera). */
  inputFormat?: string;
}

const INSTALL_HINT = "install it (e.g. apt-get install ffmpeg) or set QUART_FFMPEG to its path";

export function ffmpegCommand(explicit?: string): string {
  return explicit ?? process.env.QUART_FFMPEG ?? "ffmpeg";
}

const checked = new Map<string, string | null>();

/** Why ffmpeg cannot run (not found, not executable), or null when `ffmpeg -version` works. */
export function ffmpegProblem(bin = ffmpegCommand()): string | null {
  let problem = checked.get(bin);
  if (problem === undefined) {
    const r = spawnSync(bin, ["-hide_banner", "-version"], { stdio: "ignore", timeout: 10_000 });
    const code = (r.error as NodeJS.ErrnoException | undefined)?.code;
    if (code === "ENOENT")
      problem = `ffmpeg not found ("${bin}"): it is needed for videos and cameras; ${INSTALL_HINT}`;
    else if (r.error) problem = `cannot run ffmpeg ("${bin}"): ${describeError(r.error)}`;
    else if (r.status !== 0) problem = `"${bin} -version" failed (exit ${r.status}); is it ffmpeg?`;
    else problem = null;
    checked.set(bin, problem);
  }
  return problem;
}

function requireFfmpeg(bin: string): void {
  const problem = ffmpegProblem(bin);
  if (problem) throw new FrameSourceError(problem);
}

function checkSize(o: FfmpegOptions): void {
  for (const [k, v] of [
    ["width", o.width],
    ["height", o.height],
  ] as const) {
    if (!(Number.isInteger(v) && v > 0 && v <= 8192))
      throw new FrameSourceError(`frame ${k} must be an integer in 1..8192, got ${v}`);
  }
  if (o.fps !== undefined && !(Number.isFinite(o.fps) && o.fps > 0))
    throw new FrameSourceError(`fps must be a positive number, got ${o.fps}`);
}

const OUTPUT_ARGS = (o: FfmpegOptions, filters: string[]) => [
  "-an",
  "-sn",
  "-vf",
  [...filters, `scale=${o.width}:${o.height}`].join(","),
  "-pix_fmt",
  "rgb24",
  "-f",
  "rawvideo",
  "pipe:1",
];

export function videoArgs(path: string, o: FfmpegOptions): string[] {
  return [
    "-hide_banner",
    "-loglevel",
    "error",
    "-nostdin",
    "-i",
    path,
    ...OUTPUT_ARGS(o, o.fps ? [`fps=${o.fps}`] : []),
  ];
}

export function cameraArgs(device: string, o: CameraOptions): string[] {
  return [
    "-hide_banner",
    "-loglevel",
    "error",
    "-nostdin",
    "-fflags",
    "nobuffer",
    "-f",
    o.inputFormat ?? "v4l2",
    ...(o.fps ? ["-framerate", String(o.fps)] : []),
    "-i",
    device,
    ...OUTPUT_ARGS(o, []),
  ];
}

/** Frames of `path` scaled to width×height (and resampled to fps when given). */
export function framesFromVideo(path: string, options: FfmpegOptions): FrameSource {
  checkSize(options);
  if (!existsSync(path)) throw new FrameSourceError(`${path}: video file not found`);
  if (isDirectory(path)) throw new FrameSourceError(`${path}: is a folder (use --frames for image folders)`);
  const bin = ffmpegCommand(options.ffmpeg);
  requireFfmpeg(bin);
  return new FfmpegFrames(bin, videoArgs(path, options), {
    what: `video ${path}`,
    width: options.width,
    height: options.height,
    latest: false,
  });
}

/** Live frames of a camera (v4l2 device such as /dev/video0), always the newest one. */
export function framesFromCamera(device: string, options: CameraOptions): FrameSource {
  checkSize(options);
  const v4l2 = (options.inputFormat ?? "v4l2") === "v4l2";
  if (v4l2 && !existsSync(device))
    throw new FrameSourceError(`camera ${device} not found (is it connected? ls /dev/video* lists cameras)`);
  const bin = ffmpegCommand(options.ffmpeg);
  requireFfmpeg(bin);
  return new FfmpegFrames(bin, cameraArgs(device, options), {
    what: `camera ${device}`,
    width: options.width,
    height: options.height,
    latest: true,
  });
}

/** Width and height of a video's first stream by ffprobe, or null when ffprobe cannot tell. */
export function probeVideoSize(path: string, ffprobe = "ffprobe"): { width: number; height: number } | null {
  const r = spawnSync(
    ffprobe,
    ["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height", "-of", "csv=p=0", path],
    { encoding: "utf8", timeout: 20_000 },
  );
  if (r.error || r.status !== 0) return null;
  const m = /^(\d+),(\d+)/.exec(r.stdout.trim());
  return m ? { width: Number(m[1]), height: Number(m[2]) } : null;
}

interface ReaderSpec {
  what: string;
  width: number;
  height: number;
  /** Keep only the newest frame (cameras) instead of pausing ffmpeg (files). */
  latest: boolean;
}

/** Most frames buffered before ffmpeg is paused (files). */
const QUEUE_LIMIT = 2;

class FfmpegFrames implements FrameSource {
  readonly description: string;
  /** The ffmpeg process id (for diagnostics and tests). */
  readonly pid: number | undefined;
  private readonly proc: ChildProcessByStdio<null, Readable, Readable>;
  private readonly frameBytes: number;
  private readonly queue: { data: Uint8Array; timestamp: number }[] = [];
  private partial: Uint8Array;
  private fill = 0;
  private wake: (() => void) | null = null;
  private ended = false;
  private closing = false;
  private failure: FrameSourceError | null = null;
  private droppedFrames = 0;
  private started = false;
  private stderrTail = "";
  private readonly exited: Promise<void>;
  private readonly opened = performance.now();

  constructor(
    bin: string,
    args: string[],
    private readonly spec: ReaderSpec,
  ) {
    this.description = `${spec.what} at ${spec.width}×${spec.height}`;
    this.frameBytes = spec.width * spec.height * 3;
    this.partial = new Uint8Array(this.frameBytes);
    this.proc = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"], detached: true });
    this.pid = this.proc.pid;
    this.exited = new Promise((resolve) => {
      this.proc.once("close", (code, signal) => {
        this.ended = true;
        if (!this.closing && !this.failure && code !== 0) {
          const detail = this.stderrTail.trim().split("\n").slice(-3).join("; ") || `exit ${code ?? signal}`;
          this.failure = new FrameSourceError(`ffmpeg could not read ${spec.what}: ${detail}`);
        }
        this.notify();
        resolve();
      });
    });
    this.proc.once("error", (error) => {
      // spawn failures (the binary vanished after the check); "close" follows
      this.failure = new FrameSourceError(`cannot start ffmpeg ("${bin}"): ${describeError(error)}`);
      this.notify();
    });
    this.proc.stderr.setEncoding("utf8");
    this.proc.stderr.on("data", (text: string) => {
      this.stderrTail = (this.stderrTail + text).slice(-2000);
    });
    this.proc.stdout.on("data", (chunk: Buffer) => this.take(chunk));
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  private take(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      const n = Math.min(this.frameBytes - this.fill, chunk.length - offset);
      this.partial.set(chunk.subarray(offset, offset + n), this.fill);
      this.fill += n;
      offset += n;
      if (this.fill === this.frameBytes) {
        this.queue.push({ data: this.partial, timestamp: performance.now() - this.opened });
        this.partial = new Uint8Array(this.frameBytes);
        this.fill = 0;
        if (this.spec.latest) {
          while (this.queue.length > 1) {
            this.queue.shift();
            this.droppedFrames++;
          }
        } else if (this.queue.length >= QUEUE_LIMIT) {
          this.proc.stdout.pause();
        }
        this.notify();
      }
    }
  }

  dropped(): number {
    return this.droppedFrames;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Frame> {
    if (this.started)
      throw new FrameSourceError(`${this.spec.what}: a frame source can be iterated only once`);
    this.started = true;
    let index = 0;
    try {
      for (;;) {
        while (this.queue.length === 0 && !this.ended && !this.closing && !this.failure) {
          await new Promise<void>((resolve) => {
            this.wake = resolve;
          });
        }
        if (this.closing) return;
        const next = this.queue.shift();
        if (next) {
          if (!this.spec.latest && this.queue.length < QUEUE_LIMIT) this.proc.stdout.resume();
          const { width, height } = this.spec;
          yield {
            index: index++,
            image: { width, height, channels: 3, bitDepth: 8, data: next.data },
            timestamp: next.timestamp,
          };
          continue;
        }
        if (this.failure) throw this.failure;
        return;
      }
    } finally {
      await this.close();
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    this.notify();
    const running = this.proc.exitCode === null && this.proc.signalCode === null;
    if (running) this.proc.kill("SIGTERM");
    // a paused stdout with unread data would hold back the "close" event: drop what is left
    this.proc.stdout.destroy();
    this.proc.stderr.destroy();
    const timer = running ? setTimeout(() => this.proc.kill("SIGKILL"), 2000) : undefined;
    await this.exited;
    clearTimeout(timer);
  }
}
