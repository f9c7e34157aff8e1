import assert from "node:assert/strict";
import { test } from "node:test";
import { renderToString } from "ink";
import { render } from "ink-testing-library";
import { ProgressPanel, progressBar, progressFigures } from "../../../host/ui/progress-panel.js";
import { plain, screenLines, widest } from "./screen.js";

test("progressFigures: fraction, rate and time left", () => {
  assert.deepEqual(progressFigures(25_000, 100_000, 2), { fraction: 0.25, rate: 12_500, etaSeconds: 6 });
  assert.deepEqual(progressFigures(0, 100, 0), { fraction: 0, rate: null, etaSeconds: null });
  assert.equal(progressFigures(150, 100, 1).fraction, 1, "clamped");
});

test("progressBar fills with eighth blocks", () => {
  assert.equal(progressBar(0, 4), "░░░░");
  assert.equal(progressBar(1, 4), "████");
  assert.equal(progressBar(0.5, 4), "██░░");
  assert.equal(progressBar(0.53125, 4), "██▏░");
  for (const f of [0, 0.1, 0.37, 0.99, 1]) assert.equal([...progressBar(f, 13)].length, 13);
});

for (const columns of [40, 80, 120]) {
  test(`ProgressPanel at ${columns} columns shows bar, percentage, amount, rate and ETA within the width`, () => {
    const frame = renderToString(
      <ProgressPanel
        label="flash model.bin"
        phase="writing"
        done={52_300}
        total={104_600}
        elapsedSeconds={4.2}
        unit="bytes"
        columns={columns}
      />,
      { columns },
    );
    const lines = screenLines(frame);
    assert.ok(widest(lines) <= columns, `widest ${widest(lines)}`);
    const text = plain(frame);
    assert.match(text, /flash model\.bin — writing/);
    assert.match(text, / 50%/);
    assert.match(text, /52\.3 KB \/ 105 KB · 12\.5 KB\/s · ETA 0:04/);
    assert.ok(text.includes("█") && text.includes("░"));
    assert.equal(lines.length, columns >= 80 ? 2 : 3, "figures share the bar's line when there is room");
  });
}

test("ProgressPanel re-renders as the transfer advances", () => {
  const view = render(
    <ProgressPanel label="upload" done={0} total={10} elapsedSeconds={0} unit="items" columns={60} />,
  );
  assert.match(plain(view.lastFrame()!), / {2}0% 0 \/ 10 · — · ETA —/);
  view.rerender(
    <ProgressPanel label="upload" done={10} total={10} elapsedSeconds={5} unit="items" columns={60} />,
  );
  assert.match(plain(view.lastFrame()!), /100% 10 \/ 10 · 2\/s · ETA 0:00/);
  view.unmount();
});
