import assert from "node:assert/strict";
import { test } from "node:test";
import { renderToString } from "ink";
import { render } from "ink-testing-library";
import { figureGroups, type LiveFigures, packGroups } from "../../../host/ui/figures.js";
import { fitCells, halfBlockLines } from "../../../host/ui/halfblock.js";
import { LiveView, type LiveViewProps, liveLayout } from "../../../host/ui/live-view.js";
import { halfBlocks, pictureLines, plain, screenLines, testCard, trueColorCodes, widest } from "./screen.js";

const hostFigures: LiveFigures = {
  deviceCycles: null,
  computeFps: 0.654,
  hostComputeMs: 1529.4,
  endToEndFps: 0.612,
  linkKBps: null,
};

const deviceFigures: LiveFigures = {
  deviceCycles: 12_345_678,
  computeFps: 8.1,
  hostComputeMs: null,
  endToEndFps: 6.5,
  linkKBps: 431.2,
  dropped: 3,
};

function props(columns: number, rows: number, over: Partial<LiveViewProps> = {}): LiveViewProps {
  return {
    columns,
    rows,
    title: "quart live — folder rgb (40 images) · float executor on this host",
    figures: hostFigures,
    input: testCard(64, 48),
    depth: testCard(32, 10),
    logs: [],
    status: "frame 3/40 · Ctrl-C stops",
    ...over,
  };
}

for (const [columns, rows] of [
  [40, 24],
  [80, 30],
  [120, 40],
] as const) {
  test(`LiveView at ${columns}×${rows}: fits the terminal, shows both pictures and every figure`, () => {
    const lines = screenLines(renderToString(<LiveView {...props(columns, rows)} />, { columns }));
    assert.ok(widest(lines) <= columns, `widest line ${widest(lines)} > ${columns}`);
    assert.ok(lines.length <= rows - 1, `${lines.length} lines on a ${rows}-row terminal`);
    const text = plain(lines.join("\n"));
    for (const word of [
      "device",
      "no device",
      "compute",
      "0.654 FPS",
      "1529 ms on host",
      "end-to-end",
      "0.612 FPS",
      "link",
      "KB/s",
    ])
      assert.ok(text.includes(word), `"${word}" missing at ${columns} columns:\n${text}`);
    assert.match(lines[0]!, /^quart live/);
    assert.match(plain(lines[lines.length - 1]!), /frame 3\/40/);
    assert.ok(text.includes("far") && text.includes("near"), "colour scale labels");
    const figureLines = packGroups(figureGroups(hostFigures), columns).length;
    const layout = liveLayout(columns, rows, 48 / 64, figureLines);
    const pics = pictureLines(lines);
    assert.equal(pics.length, layout.imageRows);
    for (const l of pics)
      assert.equal(halfBlocks(l), 2 * layout.imageColumns, "camera and depth side by side");
    assert.ok(Math.abs((2 * layout.imageRows) / layout.imageColumns - 48 / 64) < 0.25, "aspect kept");
  });
}

test("wider and taller terminals get bigger pictures; the figures take fewer lines", () => {
  const sizes = [
    [40, 24],
    [80, 30],
    [120, 40],
  ].map(([c, r]) =>
    pictureLines(screenLines(renderToString(<LiveView {...props(c!, r!)} />, { columns: c! }))),
  );
  assert.ok(sizes[0]!.length < sizes[1]!.length && sizes[1]!.length < sizes[2]!.length);
  assert.ok(
    packGroups(figureGroups(hostFigures), 40).length > packGroups(figureGroups(hostFigures), 120).length,
  );
  assert.equal(packGroups(figureGroups(hostFigures), 120).length, 1);
});

test("a short terminal shrinks the pictures to fit the rows", () => {
  const lines = screenLines(renderToString(<LiveView {...props(120, 14)} />, { columns: 120 }));
  assert.ok(lines.length <= 13, `${lines.length} lines`);
  assert.ok(pictureLines(lines).length >= 1);
});

test("device figures are shown as separate groups: cycles, compute, end-to-end, link, drops", () => {
  const text = plain(
    renderToString(<LiveView {...props(120, 40, { figures: deviceFigures })} />, { columns: 120 }),
  );
  assert.match(
    text,
    /device 12\.35 M cycles\/frame │ compute 8\.10 FPS │ end-to-end 6\.50 FPS │ link 431 KB\/s/,
  );
  assert.match(text, /dropped 3/);
  assert.ok(!text.includes("on host"), "no host time for a device executor");
});

test("a device with its clock: compute at the clock and the whole RUN with the firmware, as separate groups", () => {
  const figures: LiveFigures = {
    deviceCycles: 30_211,
    computeFps: 794.4,
    firmwareFps: 389.3,
    clockHz: 24e6,
    hostComputeMs: null,
    endToEndFps: 2.2,
    linkKBps: 0.41,
  };
  for (const columns of [40, 80, 120]) {
    const lines = screenLines(renderToString(<LiveView {...props(columns, 30, { figures })} />, { columns }));
    assert.ok(widest(lines) <= columns, `${widest(lines)} > ${columns}`);
    const text = plain(lines.join("\n"));
    for (const group of [
      "device 30.21 k cycles/frame",
      "compute 794 FPS at 24.0 MHz",
      "with firmware 389 FPS",
      "end-to-end 2.20 FPS",
      "link 0.410 KB/s",
    ])
      assert.ok(text.includes(group), `"${group}" at ${columns} columns:\n${text}`);
  }
  const one = plain(renderToString(<LiveView {...props(120, 30, { figures })} />, { columns: 120 }));
  assert.match(one, /device [^│\n]+ │ compute [^│\n]+ │ with firmware [^│\n]+ │ end-to-end /);
});

test("before the first frame the view says it is waiting and keeps its size", () => {
  const lines = screenLines(
    renderToString(<LiveView {...props(80, 30, { input: null, depth: null })} />, { columns: 80 }),
  );
  assert.ok(plain(lines.join("\n")).includes("waiting for the first frame"));
  assert.equal(pictureLines(lines).length, 0);
  assert.ok(widest(lines) <= 80);
});

test("log lines go to <Static>: printed once above the live part, which is redrawn", () => {
  const view = render(<LiveView {...props(80, 30, { logs: ["model loaded"] })} />);
  view.rerender(
    <LiveView {...props(80, 30, { logs: ["model loaded", "source: folder rgb"], status: "frame 4/40" })} />,
  );
  const lines = screenLines(view.lastFrame()).map(plain);
  assert.equal(lines[0], "model loaded");
  assert.equal(lines[1], "source: folder rgb");
  assert.match(lines[2]!, /^quart live/);
  assert.equal(lines.filter((l) => l === "model loaded").length, 1, "a log line is not repeated");
  assert.match(lines[lines.length - 1]!, /frame 4\/40/);
  // a resize is a re-render with new sizes
  view.rerender(<LiveView {...props(40, 24, { logs: ["model loaded", "source: folder rgb"] })} />);
  const narrow = screenLines(view.lastFrame());
  assert.ok(widest(narrow) <= 40, `after resize: ${widest(narrow)} columns`);
  view.unmount();
});

test("halfBlockLines draws two pixel rows per line in true colour, or exactly the requested box", () => {
  const card = testCard(8, 4);
  const natural = halfBlockLines(card, 100);
  assert.equal(natural.length, 2, "8×4 pixels → 8 columns × 2 lines");
  assert.equal(halfBlocks(natural[0]!), 8);
  assert.ok(
    natural[0]!.startsWith("\x1b[38;2;0;0;64m\x1b[48;2;0;85;64m▀"),
    "top-left pixel above, the next row below",
  );
  const solid = { ...card, data: new Uint8Array(card.data.length).fill(90) };
  for (const line of halfBlockLines(solid, 8))
    assert.equal(trueColorCodes(line), 1, "codes only where the colour changes");
  const boxed = halfBlockLines(card, 20, 3);
  assert.equal(boxed.length, 3);
  for (const l of boxed) assert.equal(halfBlocks(l), 20);
  assert.deepEqual(fitCells(640, 480, 100, 100), { columns: 100, rows: 38 });
  assert.deepEqual(fitCells(640, 480, 100, 10), { columns: 26, rows: 10 });
});
