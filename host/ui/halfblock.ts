/**
 * Renders an RGB image as true-colour half-block text: each character cell shows two pixels (upper
 * half as foreground "▀", lower half as background), so a W×2H image fits W columns × H rows.
 */
import type { Image } from "../../compiler/data/image.js";
import { resizeNearest } from "../../compiler/data/resize.js";

/**
 * The image as text lines of `columns` cells. Without `rows` the height follows the image's aspect
 * (and the width never exceeds the image's); with `rows` the image is stretched to exactly
 * columns × rows cells, so two pictures can share one box.
 */
export function halfBlockLines(image: Image, columns: number, rows?: number): string[] {
  const cols = Math.max(1, rows === undefined ? Math.min(columns, image.width) : columns);
  const lineCount = Math.max(1, rows ?? Math.round(((image.height / image.width) * cols) / 2));
  const small = resizeNearest(
    image.data as Uint8Array,
    image.height,
    image.width,
    lineCount * 2,
    cols,
    image.channels,
  );
  const px = (y: number, x: number) => {
    const i = (y * cols + x) * image.channels;
    return image.channels === 3
      ? [small[i]!, small[i + 1]!, small[i + 2]!]
      : [small[i]!, small[i]!, small[i]!];
  };
  const lines: string[] = [];
  for (let r = 0; r < lineCount; r++) {
    // colour codes only where the colour changes: fewer bytes to the terminal and far less work
    // for Ink, which tokenizes every escape sequence of a line
    let line = "";
    let fg = "";
    let bg = "";
    for (let x = 0; x < cols; x++) {
      const [a, b, c] = px(2 * r, x);
      const [d, e, f] = px(2 * r + 1, x);
      const top = `${a};${b};${c}`;
      const bottom = `${d};${e};${f}`;
      if (top !== fg) line += `\x1b[38;2;${top}m`;
      if (bottom !== bg) line += `\x1b[48;2;${bottom}m`;
      fg = top;
      bg = bottom;
      line += "▀";
    }
    lines.push(`${line}\x1b[0m`);
  }
  return lines;
}

/**
 * The largest cell box (columns × rows) with the image's aspect that fits maxColumns × maxRows
 * (a cell is one pixel wide and two pixels tall). At least 1×1.
 */
export function fitCells(
  width: number,
  height: number,
  maxColumns: number,
  maxRows: number,
): { columns: number; rows: number } {
  const aspect = height / width;
  let columns = Math.max(1, Math.floor(maxColumns));
  let rows = Math.max(1, Math.round((aspect * columns) / 2));
  if (rows > maxRows) {
    rows = Math.max(1, Math.floor(maxRows));
    columns = Math.max(1, Math.min(columns, Math.floor((2 * rows) / aspect)));
  }
  return { columns, rows };
}
