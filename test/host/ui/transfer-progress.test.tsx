/** Flash progress: the Ink panel on a terminal, plain lines elsewhere, nothing with --quiet. */
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { transferProgress } from "../../../host/app/transfer-progress.js";
import { plain, screenLines, widest } from "./screen.js";

// Ink draws only the final frame when it believes it runs in CI (any CI variable, even empty); the
// panel's redraws are what is tested here. Ink loads on the first transferProgress(), after this.
delete process.env.CI;
delete process.env.CONTINUOUS_INTEGRATION;

class FakeStream extends EventEmitter {
  constructor(
    readonly isTTY: boolean,
    readonly columns = 60,
  ) {
    super();
  }
  readonly rows = 20;
  readonly writes: string[] = [];
  write(chunk: string): boolean {
    this.writes.push(chunk);
    return true;
  }
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await sleep(20);
}

test("on a terminal: the progress panel, redrawn as bytes are acknowledged, left with its final figures", async () => {
  const term = new FakeStream(true);
  let t = 0;
  const bar = await transferProgress("flash model.bin", 20_000, {
    stream: term as unknown as NodeJS.WriteStream,
    now: () => t,
  });
  t = 2000;
  bar.update(10_000, "upload 4.9 KiB/s");
  const all = () => plain(term.writes.join(""));
  await until(() => all().includes("50%"));
  const half = all();
  assert.match(half, /flash model\.bin — upload/);
  assert.match(half, / 50%/);
  assert.match(half, /10\.0 KB \/ 20\.0 KB · 5\.0 KB\/s · ETA 0:02/);
  assert.ok(widest(screenLines(half)) <= 60);
  t = 4000;
  bar.done("verified");
  await until(() => all().includes("100%"));
  assert.match(all(), /flash model\.bin — verified[\s\S]*100%/);
});

test("off a terminal: sparse plain lines; quiet: nothing", async () => {
  const pipe = new FakeStream(false);
  const bar = await transferProgress("flash m.bin", 1000, { stream: pipe as unknown as NodeJS.WriteStream });
  for (let n = 0; n <= 1000; n += 10) bar.update(n, "upload");
  bar.done("done");
  const lines = pipe.writes.join("").trim().split("\n");
  assert.ok(lines.length >= 2 && lines.length <= 12, `${lines.length} lines`);
  assert.ok(lines.every((l) => l.startsWith("flash m.bin: ")));
  assert.ok(!pipe.writes.join("").includes("\x1b"), "no escape sequences in a pipe");
  const quiet = new FakeStream(true);
  const q = await transferProgress("x", 10, { quiet: true, stream: quiet as unknown as NodeJS.WriteStream });
  q.update(5);
  q.done();
  assert.deepEqual(quiet.writes, []);
});
