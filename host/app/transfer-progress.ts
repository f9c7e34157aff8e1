/**
 * Progress of a transfer (flashing a model) on a terminal: the <ProgressPanel> drawn by Ink on stderr,
 * redrawn as bytes are acknowledged, left on screen with its final figures. Off a terminal (pipes, CI)
 * or for --json, the plain-text `progress()` lines instead, so stdout stays one JSON object.
 */
import type { Instance } from "ink";
import { type Progress, progress } from "./progress.js";

/**
 * Ink and React load only when a terminal shows the panel (they cost every command's start-up
 * otherwise), and after NODE_ENV is settled: React and Ink's reconciler must be the same build, so
 * this file has no JSX (whose runtime import would load React first).
 */
export async function transferProgress(
  label: string,
  total: number,
  opts: { quiet?: boolean; stream?: NodeJS.WriteStream; now?: () => number } = {},
): Promise<Progress> {
  const stream = opts.stream ?? process.stderr;
  if (opts.quiet || !stream.isTTY) return progress(label, total, opts);
  process.env.NODE_ENV ??= "production";
  const { render } = await import("ink");
  const { createElement } = await import("react");
  const { ProgressPanel } = await import("../ui/progress-panel.js");
  const now = opts.now ?? (() => performance.now());
  const start = now();
  let instance: Instance | undefined;
  let phase: string | undefined;
  let done = 0;
  const view = () =>
    createElement(ProgressPanel, {
      label,
      ...(phase ? { phase } : {}),
      done,
      total,
      elapsedSeconds: (now() - start) / 1000,
      unit: "bytes",
      columns: stream.columns || 80,
    });
  const draw = () => {
    if (instance) instance.rerender(view());
    else instance = render(view(), { stdout: stream, exitOnCtrlC: false, patchConsole: false });
  };
  return {
    update(n, note) {
      done = n;
      // The protocol's notes start with the phase ("upload 12.3 KiB/s").
      phase = note?.split(" ")[0];
      draw();
    },
    done(note) {
      done = total;
      phase = note ?? "done";
      draw();
      instance?.unmount();
      instance = undefined;
    },
  };
}
