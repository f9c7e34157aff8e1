/**
 * Renders an RGB image as true-colour half-block text: each character cell shows two pixels (upper
 * half as foreground "▀", lower half as background), so a W×2H image fits W columns × H rows.
 */
import type { Image } from "../../compiler/data/image.js";
import { resizeNearest } from "../../compiler/data/resize.js";

export function halfBlockLines(image: Image, columns: number): string[] {
  const cols = Math.max(1, Math.min(columns, image.width));
  const rows = Math.max(1, Math.round(((image.height / image.width) * cols) / 2));
  const small = resizeNearest(
    image.data as Uint8Array,
    image.height,
    image.width,
    rows * 2,
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
  for (let r = 0; r < rows; r++) {
    let line = "";
    for (let x = 0; x < cols; x++) {
      const [a, b, c] = px(2 * r, x);
      const [d, e, f] = px(2 * r + 1, x);
      line += `\x1b[38;2;${a};${b};${c}m\x1b[48;2;${d};${e};${f}m▀`;
    }
    lines.push(`${line}\x1b[0m`);
  }
  return lines;
}
