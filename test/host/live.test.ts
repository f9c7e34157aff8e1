import assert from "node:assert/strict";
import { execFile, execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import type { Image } from "../../compiler/data/image.js";
import { encodePng } from "../../compiler/data/image.js";
import type { DepthExecutor } from "../../compiler/eval/evaluate-model.js";
import { missingShared, projectRoot, pydnetModelPath, sharedPath } from "../../compiler/paths.js";
import type { FrameMeasurements, LiveExecutor } from "../../host/app/executor.js";
import { type LiveFrame, runLive } from "../../host/app/live-session.js";
import { ffmpegProblem } from "../../host/frames/ffmpeg.js";
import type { Frame, FrameSource } from "../../host/frames/source.js";
import { encodeBuilt } from "../helpers/onnx-single.js";

const run = promisify(execFile);
const cli = join(projectRoot(), "dist", "host", "cli.js");
const model = pydnetModelPath();
const rgbDir = sharedPath("data", "mosd-test", "rgb");
const missing = missingShared([model, rgbDir]);
const noFfmpeg = ffmpegProblem("ffmpeg");
if (missing) process.stderr.write(`live tests on the real model skipped: ${missing}\n`);
if (noFfmpeg) process.stderr.write(`live video tests skipped: ${noFfmpeg}\n`);

async function quart(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const r = await run(process.execPath, [cli, ...args], { maxBuffer: 64 << 20 });
    return { ...r, code: 0 };
  } catch (e) {
    const err = e as { stdout: string; stderr: string; code: number };
    return { stdout: err.stdout, stderr: err.stderr, code: err.code };
  }
}

/** A tiny depth "model": one 1×1 convolution of a 24×32 RGB input, as an ONNX file. */
function tinyModel(dir: string): string {
  const bytes = encodeBuilt((b) => {
    const x = b.input("x", [1, 3, 24, 32]);
    const w = b.weight("w", [1, 3, 1, 1], [0.3, 0.6, 0.1]);
    return b.node("Conv", [x, w], ["y"])[0]!;
  });
  const path = join(dir, "tiny.onnx");
  writeFileSync(path, bytes);
  return path;
}

function frameDir(dir: string, n: number): string {
  const frames = join(dir, "frames");
  mkdirSync(frames, { recursive: true });
  for (let i = 0; i < n; i++) {
    const data = new Uint8Array(40 * 30 * 3).fill(20 * i);
    writeFileSync(
      join(frames, `f${i}.png`),
      encodePng({ width: 40, height: 30, channels: 3, bitDepth: 8, data }),
    );
  }
  return frames;
}

interface Summary {
  frames: number;
  stopped: string;
  host_compute_fps: number | null;
  end_to_end_fps: number | null;
  device_cycles: number | null;
  link_kbps: number | null;
  mean_compute_ms: number | null;
  executor: string;
}

// ---- the loop itself, with a fake clock ----

function fakeSource(n: number, size = 4): FrameSource & { closed: boolean; released: boolean } {
  const image: Image = {
    width: size,
    height: size,
    channels: 3,
    bitDepth: 8,
    data: new Uint8Array(size * size * 3),
  };
  const source = {
    description: `fake (${n} frames)`,
    length: n,
    closed: false,
    released: false,
    dropped: () => 2,
    async close() {
      source.closed = true;
    },
    async *[Symbol.asyncIterator](): AsyncGenerator<Frame> {
      try {
        for (let index = 0; index < n && !source.closed; index++) yield { index, image, timestamp: index };
      } finally {
        source.released = true;
      }
    },
  };
  return source;
}

function fakeExecutor(clock: { t: number }, ms: number, device?: FrameMeasurements): LiveExecutor {
  const executor: DepthExecutor = {
    name: "fake",
    inputHeight: 2,
    inputWidth: 2,
    async run() {
      clock.t += ms;
      return { values: new Float32Array(4), h: 2, w: 2, raw: new Uint8Array(16) };
    },
  };
  return {
    executor,
    label: "fake executor",
    computeOn: device ? "device" : "host",
    lastFrame: () => device ?? { deviceCycles: null, linkBytes: null },
    close: async () => {},
  };
}

test("runLive keeps compute and end-to-end rates apart", async () => {
  const clock = { t: 0 };
  const seen: LiveFrame[] = [];
  const summary = await runLive({
    source: fakeSource(4),
    executor: fakeExecutor(clock, 100),
    now: () => clock.t,
    onFrame: (f) => {
      seen.push(f);
      clock.t += 150; // drawing
    },
  });
  assert.equal(summary.frames, 4);
  assert.equal(summary.stopped, "end");
  assert.equal(summary.host_compute_fps, 10);
  assert.equal(summary.mean_compute_ms, 100);
  assert.equal(summary.end_to_end_fps, 4);
  assert.equal(summary.device_cycles, null);
  assert.equal(summary.link_kbps, null);
  assert.equal(summary.dropped_frames, 2);
  assert.deepEqual(
    seen.map((f) => [f.index, f.done, f.computeMs]),
    [
      [0, 1, 100],
      [1, 2, 100],
      [2, 3, 100],
      [3, 4, 100],
    ],
  );
  assert.equal(seen[3]!.figures.computeFps, 10);
  assert.equal(seen[3]!.figures.hostComputeMs, 100);
  assert.equal(seen[0]!.figures.endToEndFps, 10, "first frame: 1 frame in 100 ms");
  assert.equal(seen[3]!.figures.endToEndFps, 4000 / 850, "4 frames done 850 ms after the start");
  assert.equal(seen[3]!.figures.dropped, 2);
});

test("runLive reports device cycles and link rate when the executor measures them", async () => {
  const clock = { t: 0 };
  const summary = await runLive({
    source: fakeSource(5),
    executor: fakeExecutor(clock, 50, { deviceCycles: 1_000_000, linkBytes: 5_000 }),
    now: () => clock.t,
    limit: 2,
  });
  assert.equal(summary.frames, 2);
  assert.equal(summary.stopped, "limit");
  assert.equal(summary.host_compute_fps, null, "the compute ran on the device, not on this host");
  assert.equal(summary.device_cycles, 1_000_000);
  assert.equal(summary.link_kbps, 10_000 / 1000 / 0.1, "10 KB over 0.1 s");
});

test("runLive stops after the current frame when aborted", async () => {
  const clock = { t: 0 };
  const controller = new AbortController();
  const source = fakeSource(10);
  const summary = await runLive({
    source,
    executor: fakeExecutor(clock, 10),
    now: () => clock.t,
    signal: controller.signal,
    onFrame: (f) => {
      if (f.index === 1) controller.abort();
    },
  });
  assert.equal(summary.frames, 2);
  assert.equal(summary.stopped, "interrupted");
  assert.ok(source.released, "leaving the loop early releases the source's iterator (ffmpeg sources stop)");
});

// ---- the command, without a terminal ----

test("quart live on a folder with a tiny model prints a line per frame and a summary", async () => {
  const dir = mkdtempSync(join(tmpdir(), "quart-live-"));
  const r = await quart("live", "--frames", frameDir(dir, 3), "--model", tinyModel(dir));
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split("\n");
  for (let i = 0; i < 3; i++)
    assert.match(
      lines[i]!,
      new RegExp(`^frame ${i} f${i}\\.png: compute \\d+\\.\\d ms \\([\\d.]+ FPS\\), end-to-end [\\d.]+ FPS$`),
    );
  assert.match(lines[3]!, /^3 frames from folder .* \(stopped: end\)$/);
  assert.match(r.stdout, /compute {5}[\d.]+ FPS on this host/);
  assert.match(r.stdout, /end-to-end {2}[\d.]+ FPS/);
  assert.match(r.stdout, /device {6}— \(no device\)/);
  assert.match(r.stdout, /link {8}— \(no device\)/);
  assert.ok(!r.stdout.includes("\x1b["), "no escape codes without a terminal");
});

test("quart live --video runs every frame of a video and stops ffmpeg", {
  skip: noFfmpeg ?? false,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), "quart-live-video-"));
  const video = join(dir, "out.mp4");
  execFileSync("ffmpeg", [
    "-v",
    "error",
    "-f",
    "lavfi",
    "-i",
    "testsrc=size=64x48:rate=5",
    "-frames:v",
    "5",
    video,
  ]);
  const r = await quart("live", "--video", video, "--model", tinyModel(dir), "--json");
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as Summary & { source: string };
  assert.equal(j.frames, 5);
  assert.equal(j.stopped, "end");
  assert.match(j.source, /video .*out\.mp4 at 64×48/);
  assert.equal(
    r.stderr
      .trim()
      .split("\n")
      .filter((l) => l.startsWith("frame ")).length,
    5,
  );
});

test("quart live --limit 2 on mosd-test with PyDNet: per-frame lines, separate figures", {
  skip: missing ?? false,
}, async () => {
  const text = await quart("live", "--frames", rgbDir, "--model", model, "--limit", "2");
  assert.equal(text.code, 0, text.stderr);
  const frames = text.stdout.split("\n").filter((l) => l.startsWith("frame "));
  assert.equal(frames.length, 2);
  assert.match(frames[0]!, /^frame 0 test0\.png: compute \d+\.\d ms/);
  assert.match(text.stdout, /2 frames from folder .* \(stopped: limit\)/);

  const r = await quart("live", "--frames", rgbDir, "--model", model, "--limit", "2", "--json");
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as Summary;
  assert.equal(j.frames, 2);
  assert.equal(j.stopped, "limit");
  assert.equal(j.executor, "float");
  assert.ok(j.host_compute_fps! > 0 && j.end_to_end_fps! > 0);
  assert.ok(j.end_to_end_fps! <= j.host_compute_fps!, "end to end includes the compute");
  assert.ok(Math.abs(1000 / j.mean_compute_ms! - j.host_compute_fps!) < 1e-9);
  assert.equal(j.device_cycles, null);
  assert.equal(j.link_kbps, null);
  assert.equal(
    r.stderr.split("\n").filter((l) => l.startsWith("frame ")).length,
    2,
    "frame lines go to stderr with --json",
  );
});

/** Processes whose command line mentions `needle` (read from /proc; empty where /proc is absent). */
function processesMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(needle)) pids.push(Number(entry));
    } catch {
      // the process ended meanwhile
    }
  }
  return pids;
}

test("Ctrl-C stops quart live cleanly: current frame finished, summary printed, ffmpeg gone", {
  skip: (missing ?? noFfmpeg) || false,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), "quart-live-int-"));
  const video = join(dir, "long-clip.mp4");
  execFileSync("ffmpeg", [
    "-v",
    "error",
    "-f",
    "lavfi",
    "-i",
    "testsrc=size=64x48:rate=25",
    "-frames:v",
    "250",
    video,
  ]);
  const child = spawn(process.execPath, [cli, "live", "--video", video, "--model", model, "--json"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => {
    stdout += d;
  });
  const firstFrame = new Promise<void>((resolve) => {
    child.stderr.on("data", (d: Buffer) => {
      stderr += d;
      if (/^frame 0/m.test(stderr)) resolve();
    });
  });
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  await firstFrame;
  assert.equal(processesMentioning(video).length, 2, "quart and its ffmpeg are running");
  child.kill("SIGINT");
  const code = await exited;
  assert.equal(code, 130, stderr);
  const j = JSON.parse(stdout) as Summary;
  assert.equal(j.stopped, "interrupted");
  assert.ok(j.frames >= 1 && j.frames < 250, `${j.frames} frames`);
  assert.match(stderr, /stopping after this frame/);
  assert.deepEqual(processesMentioning(video), [], "no ffmpeg left behind");
});

test("quart live rejects bad invocations with a one-line reason", async () => {
  const dir = mkdtempSync(join(tmpdir(), "quart-live-bad-"));
  const tiny = tinyModel(dir);
  const frames = frameDir(dir, 1);
  const bin = join(dir, "model.bin");
  writeFileSync(bin, "blob");
  const cases: [string[], RegExp][] = [
    [["live", "--model", tiny], /exactly one frame source/],
    [["live", "--frames", frames, "--video", "x.mp4", "--model", tiny], /exactly one frame source/],
    [["live", "--frames", frames, "--model", tiny, "--limit", "0"], /--limit must be a positive integer/],
    [["live", "--frames", join(dir, "absent"), "--model", tiny], /folder not found/],
    [["live", "--frames", frames, "--model", join(dir, "absent.onnx")], /cannot read model/],
    [
      ["live", "--frames", frames, "--model", bin],
      /a compiled model runs on the accelerator; give --sim or --port/,
    ],
    [
      ["live", "--frames", frames, "--model", tiny, "--sim"],
      /the device runs compiled models; compile it first/,
    ],
    [["live", "--frames", frames, "--model", bin, "--sim"], /model\.bin is not a usable model blob/],
    [
      ["live", "--frames", frames, "--model", join(dir, "absent.bin"), "--sim"],
      /cannot read .*absent\.bin: ENOENT/,
    ],
    [
      ["live", "--frames", frames, "--model", tiny, "--size", "64x48"],
      /--size and --fps apply to --video and --camera/,
    ],
    [["live", "--video", frames, "--model", tiny], /is a folder/],
    [
      ["live", "--video", join(dir, "absent.mp4"), "--model", tiny, "--size", "64x48"],
      /video file not found/,
    ],
    [["live", "--camera", "/dev/video99", "--model", tiny], /camera \/dev\/video99 not found/],
    [["live", "--camera", "/dev/video99", "--model", tiny, "--size", "big"], /--size must be WIDTHxHEIGHT/],
  ];
  for (const [args, pattern] of cases) {
    const r = await quart(...args);
    assert.notEqual(r.code, 0, `${args.join(" ")} should fail`);
    assert.match(r.stderr, pattern, `${args.join(" ")} → ${r.stderr}`);
    assert.equal(r.stderr.trim().split("\n").length, 1, `one line: ${r.stderr}`);
  }
});
