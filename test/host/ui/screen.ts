/** Helpers for checking rendered terminal text by its layout rather than by full snapshots. */
import type { Image } from "../../../compiler/data/image.js";
import { visibleWidth } from "../../../host/ui/format.js";

// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping ANSI escape sequences
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

/** The text without escape sequences (colours, cursor moves, line erases). */
export const plain = (s: string): string => s.replace(ANSI, "");

/** True-colour foreground codes in `s`. */
export const trueColorCodes = (s: string): number => s.split("\x1b[38;2;").length - 1;

/** The lines of a rendered frame (a trailing newline does not make an extra line). */
export function screenLines(frame: string | undefined): string[] {
  if (!frame) return [];
  const lines = frame.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

export const widest = (lines: readonly string[]): number => Math.max(0, ...lines.map(visibleWidth));

/** Lines that are picture rows (half blocks). */
export const pictureLines = (lines: readonly string[]): string[] => lines.filter((l) => l.includes("▀"));

export const halfBlocks = (line: string): number => [...plain(line)].filter((c) => c === "▀").length;

/** A w×h RGB test card: red grows to the right, green downwards. */
export function testCard(w: number, h: number): Image {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      data[(y * w + x) * 3] = Math.round((255 * x) / (w - 1));
      data[(y * w + x) * 3 + 1] = Math.round((255 * y) / (h - 1));
      data[(y * w + x) * 3 + 2] = 64;
    }
  return { width: w, height: h, channels: 3, bitDepth: 8, data };
}
