import "../../helpers/interactive-terminal.js";
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { renderToString } from "ink";
import { openLiveScreen } from "../../../host/app/live-screen.js";
import { halfBlockLines } from "../../../host/ui/halfblock.js";
import { LiveView } from "../../../host/ui/live-view.js";
import { PictureSlots } from "../../../host/ui/picture-slots.js";
import { halfBlocks, pictureLines, plain, screenLines, testCard, trueColorCodes, widest } from "./screen.js";

const PRIVATE_USE = /[\ue000-\uf8ff]/;

const figures = { deviceCycles: null, computeFps: 2, hostComputeMs: 500, endToEndFps: 1.5, linkKBps: null };

test("picture slots: same-width placeholders, swapped back for the real rows", () => {
  const slots = new PictureSlots();
  const a = slots.placeholder(0, 0, 10, "ROW-A");
  const b = slots.placeholder(1, 0, 10, "ROW-B");
  const c = slots.placeholder(0, 7, 10, "ROW-C");
  for (const p of [a, b, c]) assert.equal([...p].length, 10);
  assert.equal(new Set([a, b, c]).size, 3);
  assert.equal(slots.fill(`x${a}  ${b}\n${c}|`), "xROW-A  ROW-B\nROW-C|");
  assert.equal(slots.fill("no placeholders here ▀"), "no placeholders here ▀");
  const unknown = new PictureSlots().placeholder(0, 3, 6, "x");
  assert.equal(slots.fill(unknown), "      ", "an unknown slot becomes blanks, never private-use glyphs");
  assert.throws(() => slots.placeholder(0, 0, 1, "x"), RangeError);
});

test("LiveView with slots lays out placeholders; filling them gives the true-colour rows", () => {
  const slots = new PictureSlots();
  const input = testCard(64, 48);
  const depth = testCard(32, 10);
  const props = { columns: 80, rows: 30, title: "t", figures, input, depth, logs: [], status: "s" };
  const raw = renderToString(<LiveView {...props} slots={slots} />, { columns: 80 });
  assert.ok(!raw.includes("▀"), "Ink never sees the escape-heavy rows");
  assert.ok(PRIVATE_USE.test(raw));
  const filled = slots.fill(raw);
  assert.ok(!PRIVATE_USE.test(filled));
  const lines = screenLines(filled);
  assert.ok(widest(lines) <= 80);
  const pics = pictureLines(lines);
  const direct = pictureLines(screenLines(renderToString(<LiveView {...props} />, { columns: 80 })));
  assert.equal(pics.length, direct.length);
  const cols = halfBlocks(pics[0]!) / 2;
  const rows = pics.length;
  assert.ok(
    filled.includes(halfBlockLines(input, cols, rows)[0]!),
    "the camera row as halfBlockLines drew it",
  );
  assert.ok(
    filled.includes(halfBlockLines(depth, cols, rows)[rows - 1]!),
    "the depth row as halfBlockLines drew it",
  );
  assert.deepEqual(pics.map(plain), direct.map(plain));
});

/** Polls `cond` every 20 ms for up to 10 s. */
async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await sleep(20);
}

/** A stand-in for a terminal's stdout: records writes, has a size, can be resized. */
class FakeTerminal extends EventEmitter {
  readonly isTTY = true;
  columns = 80;
  rows = 30;
  readonly writes: string[] = [];
  write(chunk: string): boolean {
    this.writes.push(chunk);
    return true;
  }
  resize(columns: number, rows: number): void {
    this.columns = columns;
    this.rows = rows;
    this.emit("resize");
  }
}

test("openLiveScreen draws frames in true colour, follows resizes and restores the terminal", async () => {
  const term = new FakeTerminal();
  const before = term.listenerCount("resize");
  const screen = openLiveScreen(term as unknown as NodeJS.WriteStream, {
    title: "quart live — test",
    figures,
    input: null,
    depth: null,
    status: "starting",
  });
  screen.log("model loaded");
  screen.update({ input: testCard(64, 48), depth: testCard(32, 10), status: "frame 1" });
  const all = () => term.writes.join("");
  // Ink renders asynchronously: wait for the frame rather than for a fixed time (slow CI machines).
  await until(() => trueColorCodes(all()) > 100 && plain(all()).includes("frame 1"));
  assert.ok(!PRIVATE_USE.test(all()), "placeholders never reach the terminal");
  assert.ok(trueColorCodes(all()) > 100, "true-colour pictures");
  assert.ok(all().includes("▀"));
  assert.ok(plain(all()).includes("model loaded"));
  assert.ok(plain(all()).includes("frame 1"));

  term.writes.length = 0;
  term.resize(40, 20);
  await until(() => plain(term.writes.join("")).includes("frame 1"));
  await sleep(50);
  const after = plain(term.writes.join(""));
  assert.ok(after.includes("frame 1"), "redrawn after the resize");
  const lastFrameLines = screenLines(plain(term.writes[term.writes.length - 1]!));
  assert.ok(widest(lastFrameLines) <= 40, `after resize: ${widest(lastFrameLines)} columns`);

  screen.close();
  screen.close(); // twice is harmless
  assert.equal(term.listenerCount("resize"), before, "resize listener removed");
  assert.ok(term.writes.join("").includes("\x1b[?25h"), "cursor shown again");
});
