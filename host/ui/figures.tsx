/**
 * The throughput figures of the live view. Device cycles, compute rate, end-to-end rate and link
 * rate are different measurements and are drawn as separate labelled groups (never merged into one
 * "FPS"), packed onto as few lines as the terminal width allows.
 */
import { Box, Text } from "ink";
import { fmtCount, fmtMs, fmtRate, truncate } from "./format.js";

export interface LiveFigures {
  /** Device clock cycles per frame, when a device reports them; null otherwise. */
  deviceCycles: number | null;
  /**
   * Frames per second of the compute alone: on a device, its accelerator cycles at the board's clock;
   * on this host, the executor's run time.
   */
  computeFps: number | null;
  /** On a device: frames per second of the whole RUN at the board's clock (the firmware's data movement included). */
  firmwareFps?: number | null;
  /** The device's clock, for the compute figure's label. */
  clockHz?: number | null;
  /** Milliseconds per frame when the compute runs on this host (float executor); null on a device. */
  hostComputeMs: number | null;
  /** Frames per second of the whole loop: frame read, preprocessing, compute, drawing. */
  endToEndFps: number | null;
  /** Link throughput in KB/s (1 KB = 1000 bytes) when a device is used; null otherwise. */
  linkKBps: number | null;
  /** Camera frames skipped to stay current. */
  dropped?: number;
}

export interface FigureGroup {
  label: string;
  value: string;
  color: string;
}

const SEPARATOR = " │ ";

export function figureGroups(f: LiveFigures): FigureGroup[] {
  const groups: FigureGroup[] = [
    {
      label: "device",
      value: f.deviceCycles === null ? "— cycles (no device)" : `${fmtCount(f.deviceCycles)} cycles/frame`,
      color: "magenta",
    },
    {
      label: "compute",
      value:
        `${fmtRate(f.computeFps)} FPS` +
        (f.hostComputeMs !== null
          ? ` (${fmtMs(f.hostComputeMs)} ms on host)`
          : f.clockHz
            ? ` at ${fmtRate(f.clockHz / 1e6)} MHz`
            : ""),
      color: "green",
    },
    ...(f.firmwareFps === undefined || f.firmwareFps === null
      ? []
      : [{ label: "with firmware", value: `${fmtRate(f.firmwareFps)} FPS`, color: "blue" }]),
    { label: "end-to-end", value: `${fmtRate(f.endToEndFps)} FPS`, color: "cyan" },
    { label: "link", value: `${fmtRate(f.linkKBps)} KB/s`, color: "yellow" },
  ];
  if (f.dropped) groups.push({ label: "dropped", value: String(f.dropped), color: "red" });
  return groups;
}

const groupWidth = (g: FigureGroup) => [...g.label].length + (g.value ? 1 + [...g.value].length : 0);

/** The group cut to fit `columns`: the value first, the label only when nothing else is left. */
function fitGroup(g: FigureGroup, columns: number): FigureGroup {
  if (groupWidth(g) <= columns) return g;
  const room = columns - [...g.label].length - 1;
  if (room >= 2) return { ...g, value: truncate(g.value, room) };
  return { ...g, label: truncate(g.label, columns), value: "" };
}

/** Greedy packing of the groups into lines of at most `columns` cells. */
export function packGroups(groups: readonly FigureGroup[], columns: number): FigureGroup[][] {
  const lines: FigureGroup[][] = [];
  let line: FigureGroup[] = [];
  let used = 0;
  for (const group of groups) {
    const g = fitGroup(group, Math.max(1, columns));
    const w = groupWidth(g);
    if (line.length > 0 && used + SEPARATOR.length + w > columns) {
      lines.push(line);
      line = [];
      used = 0;
    }
    used += (line.length > 0 ? SEPARATOR.length : 0) + w;
    line.push(g);
  }
  if (line.length) lines.push(line);
  return lines;
}

export interface FiguresProps {
  figures: LiveFigures;
  columns: number;
}

export function Figures({ figures, columns }: FiguresProps) {
  const lines = packGroups(figureGroups(figures), columns);
  return (
    <Box flexDirection="column" width={columns}>
      {lines.map((line) => (
        <Text key={line.map((g) => g.label).join("+")} wrap="truncate">
          {line.map((g, i) => (
            <Text key={g.label}>
              {i > 0 ? <Text dimColor>{SEPARATOR}</Text> : null}
              <Text color={g.color} bold>
                {g.label}
              </Text>
              {g.value ? ` ${g.value}` : ""}
            </Text>
          ))}
        </Text>
      ))}
    </Box>
  );
}
