import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import {
  ffmpegProblem,
  framesFromCamera,
  framesFromVideo,
  probeVideoSize,
} from "../../../host/frames/ffmpeg.js";
import type { Frame, FrameSource } from "../../../host/frames/source.js";

const problem = ffmpegProblem("ffmpeg");
const skip = problem ? `skipped: ${problem}` : false;
if (problem) process.stderr.write(`ffmpeg frame-source tests skipped: ${problem}\n`);

function makeVideo(dir: string, name: string, input: string, frames: number): string {
  const path = join(dir, name);
  execFileSync("ffmpeg", [
    "-v",
    "error",
    "-y",
    "-f",
    "lavfi",
    "-i",
    input,
    "-frames:v",
    String(frames),
    "-pix_fmt",
    "yuv420p",
    path,
  ]);
  return path;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function meanRgb(f: Frame): [number, number, number] {
  const sum = [0, 0, 0];
  const d = f.image.data;
  for (let i = 0; i < d.length; i++) sum[i % 3]! += d[i]!;
  const n = d.length / 3;
  return [sum[0]! / n, sum[1]! / n, sum[2]! / n];
}

async function collect(source: FrameSource, limit = Number.POSITIVE_INFINITY): Promise<Frame[]> {
  const frames: Frame[] = [];
  for await (const f of source) {
    frames.push(f);
    if (frames.length >= limit) break;
  }
  return frames;
}

test("framesFromVideo decodes every frame of a tiny testsrc video at the requested size", {
  skip,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), "quart-video-"));
  const video = makeVideo(dir, "out.mp4", "testsrc=size=64x48:rate=5", 5);
  assert.deepEqual(probeVideoSize(video), { width: 64, height: 48 });
  const source = framesFromVideo(video, { width: 32, height: 24 });
  assert.match(source.description, /video .*out\.mp4 at 32×24/);
  const frames = await collect(source);
  assert.deepEqual(
    frames.map((f) => f.index),
    [0, 1, 2, 3, 4],
  );
  for (const f of frames) {
    assert.equal(f.image.width, 32);
    assert.equal(f.image.height, 24);
    assert.equal(f.image.data.length, 32 * 24 * 3);
  }
  assert.notDeepEqual(frames[0]!.image.data, frames[4]!.image.data, "testsrc changes from frame to frame");
  assert.equal(source.dropped(), 0, "a file source never drops frames");
});

test("frame colours survive the rawvideo pipe; fps resamples the video", { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "quart-video-"));
  const video = makeVideo(dir, "red.mp4", "color=c=red:size=64x48:rate=5", 5);
  const frames = await collect(framesFromVideo(video, { width: 16, height: 16 }));
  assert.equal(frames.length, 5);
  const [r, g, b] = meanRgb(frames[2]!);
  assert.ok(
    r > 200 && g < 60 && b < 60,
    `red frame, got mean ${r.toFixed(0)},${g.toFixed(0)},${b.toFixed(0)}`,
  );
  const doubled = await collect(framesFromVideo(video, { width: 16, height: 16, fps: 10 }));
  assert.ok(doubled.length >= 9 && doubled.length <= 11, `1 s at 10 fps, got ${doubled.length} frames`);
});

test("breaking out of a video early stops ffmpeg", { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "quart-video-"));
  const video = makeVideo(dir, "long.mp4", "testsrc=size=64x48:rate=25", 250);
  const source = framesFromVideo(video, { width: 64, height: 48 });
  const pid = (source as FrameSource & { pid?: number }).pid!;
  assert.ok(alive(pid));
  const frames = await collect(source, 2);
  assert.equal(frames.length, 2);
  assert.equal(alive(pid), false, "ffmpeg is gone after the loop ends");
  await source.close(); // a second close is harmless
});

test("a camera source keeps only the newest frame and close() kills ffmpeg", { skip }, async () => {
  // lavfi's testsrc stands in for a v4l2 camera: same code path, endless frames
  const source = framesFromCamera("testsrc=size=64x48:rate=50", {
    width: 64,
    height: 48,
    inputFormat: "lavfi",
  });
  const pid = (source as FrameSource & { pid?: number }).pid!;
  const frames: Frame[] = [];
  for await (const f of source) {
    frames.push(f);
    if (frames.length === 3) break;
    await sleep(300); // a slow consumer
  }
  assert.deepEqual(
    frames.map((f) => f.index),
    [0, 1, 2],
  );
  assert.ok(source.dropped() > 0, "frames produced while we were busy were dropped");
  assert.ok(frames[2]!.timestamp - frames[1]!.timestamp >= 200, "the frames are fresh, not a backlog");
  await source.close();
  assert.equal(alive(pid), false);
});

test("missing ffmpeg, video or camera, and unreadable videos give clear errors", { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "quart-video-bad-"));
  const video = makeVideo(dir, "ok.mp4", "testsrc=size=32x32:rate=5", 1);
  assert.throws(
    () => framesFromVideo(video, { width: 8, height: 8, ffmpeg: join(dir, "no-such-ffmpeg") }),
    /ffmpeg not found .*apt-get install ffmpeg/,
  );
  assert.throws(
    () => framesFromVideo(join(dir, "absent.mp4"), { width: 8, height: 8 }),
    /video file not found/,
  );
  assert.throws(
    () => framesFromCamera("/dev/video99", { width: 8, height: 8 }),
    /camera \/dev\/video99 not found/,
  );
  assert.throws(() => framesFromVideo(video, { width: 0, height: 8 }), /width must be an integer/);
  const junk = join(dir, "junk.mp4");
  writeFileSync(junk, "this is not a video");
  await assert.rejects(
    collect(framesFromVideo(junk, { width: 8, height: 8 })),
    /ffmpeg could not read video .*junk\.mp4/,
  );
});
