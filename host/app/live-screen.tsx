/**
 * Drives <LiveView> on a terminal: holds the view's props, re-renders on updates and on terminal
 * resizes, and restores the terminal (cursor, listeners) on close — also when the run failed.
 * The pictures go through picture slots (see host/ui/picture-slots.ts): Ink lays out placeholders
 * and the stream below swaps the true-colour rows in, which keeps a redraw to milliseconds.
 */
import { type Instance, render } from "ink";
import { LiveView, type LiveViewProps } from "../ui/live-view.js";
import { PictureSlots } from "../ui/picture-slots.js";

export type LiveScreenState = Omit<LiveViewProps, "columns" | "rows" | "logs" | "slots">;

export interface LiveScreen {
  update(patch: Partial<LiveScreenState>): void;
  log(line: string): void;
  close(): void;
}

/** `target` with every string written passed through `slots.fill` (all else forwarded). */
export function slotStream(target: NodeJS.WriteStream, slots: PictureSlots): NodeJS.WriteStream {
  const write = (chunk: unknown, ...rest: unknown[]) =>
    (target.write as (...args: unknown[]) => boolean)(
      typeof chunk === "string" ? slots.fill(chunk) : chunk,
      ...rest,
    );
  return new Proxy(target, {
    get(t, prop) {
      if (prop === "write") return write;
      const value = Reflect.get(t, prop, t);
      return typeof value === "function" ? value.bind(t) : value;
    },
  });
}

export function openLiveScreen(stdout: NodeJS.WriteStream, initial: LiveScreenState): LiveScreen {
  let state = initial;
  const logs: string[] = [];
  const slots = new PictureSlots();
  const size = () => ({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
  const view = () => <LiveView {...state} {...size()} logs={[...logs]} slots={slots} />;
  const instance: Instance = render(view(), {
    stdout: slotStream(stdout, slots),
    exitOnCtrlC: false,
    patchConsole: false,
  });
  let open = true;
  const redraw = () => {
    if (open) instance.rerender(view());
  };
  stdout.on("resize", redraw);
  return {
    update(patch) {
      state = { ...state, ...patch };
      redraw();
    },
    log(line) {
      logs.push(line);
      redraw();
    },
    close() {
      if (!open) return;
      open = false;
      stdout.off("resize", redraw);
      instance.unmount();
    },
  };
}
