/**
 * Progress of a long transfer (flashing a model, uploading frames), props only: a title line, a bar
 * with the percentage, and the amount, rate and time left. The caller supplies the elapsed time, so
 * the panel is a pure function of its props.
 */
import { Box, Text } from "ink";
import { fmtBytes, fmtCount, fmtDuration, truncate } from "./format.js";

export interface ProgressPanelProps {
  /** What is being done, e.g. "flash model.bin". */
  label: string;
  /** The current phase, e.g. "erasing", "writing", "verifying". */
  phase?: string;
  done: number;
  total: number;
  /** Seconds since the transfer started. */
  elapsedSeconds: number;
  /** "bytes" shows amounts and rates in KB/MB; "items" as plain counts. */
  unit?: "bytes" | "items";
  columns: number;
}

export interface ProgressFigures {
  /** done/total in [0, 1] (0 when the total is unknown). */
  fraction: number;
  /** Units per second, null before anything is measured. */
  rate: number | null;
  /** Seconds left at the current rate, null when unknown. */
  etaSeconds: number | null;
}

export function progressFigures(done: number, total: number, elapsedSeconds: number): ProgressFigures {
  const fraction = total > 0 ? Math.min(Math.max(done / total, 0), 1) : 0;
  const rate = elapsedSeconds > 0 && done > 0 ? done / elapsedSeconds : null;
  const etaSeconds = rate && total > 0 ? Math.max(0, total - done) / rate : null;
  return { fraction, rate, etaSeconds };
}

/** `width` cells of bar, filled to `fraction` with eighth blocks for the partial cell. */
export function progressBar(fraction: number, width: number): string {
  const eighths = Math.round(Math.min(Math.max(fraction, 0), 1) * width * 8);
  const full = Math.floor(eighths / 8);
  const part = eighths % 8;
  const partial = part > 0 ? "▏▎▍▌▋▊▉"[part - 1]! : "";
  return `${"█".repeat(full)}${partial}${"░".repeat(Math.max(0, width - full - (partial ? 1 : 0)))}`;
}

export function ProgressPanel(props: ProgressPanelProps) {
  const columns = Math.max(10, Math.floor(props.columns));
  const { fraction, rate, etaSeconds } = progressFigures(props.done, props.total, props.elapsedSeconds);
  const amount = props.unit === "bytes" ? fmtBytes : (v: number) => fmtCount(v);
  const percent = `${(fraction * 100).toFixed(0).padStart(3)}%`;
  const rateText = rate === null ? "—" : `${amount(rate)}/s`;
  const figures = `${amount(props.done)} / ${amount(props.total)} · ${rateText} · ETA ${fmtDuration(etaSeconds)}`;
  // one line when bar (≥ 10 cells), percentage and figures fit; else the figures go below the bar
  const oneLineBar = columns - percent.length - figures.length - 2;
  const barWidth = oneLineBar >= 10 ? Math.min(oneLineBar, 50) : Math.max(1, columns - percent.length - 1);
  const title = props.phase ? `${props.label} — ${props.phase}` : props.label;
  return (
    <Box flexDirection="column" width={columns}>
      <Text bold wrap="truncate">
        {truncate(title, columns)}
      </Text>
      <Text wrap="truncate">
        <Text color="green">{progressBar(fraction, barWidth)}</Text> {percent}
        {oneLineBar >= 10 ? ` ${figures}` : ""}
      </Text>
      {oneLineBar >= 10 ? null : (
        <Text dimColor wrap="truncate">
          {truncate(figures, columns)}
        </Text>
      )}
    </Box>
  );
}
