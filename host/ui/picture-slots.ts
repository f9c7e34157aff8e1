/**
 * Picture rows drawn around Ink instead of through it. Ink tokenizes every character of every line
 * it lays out (Intl.Segmenter, ~1–3 µs each), and a true-colour half-block row carries ~40 escape
 * characters per cell: a 200-column live view then costs over half a second per frame. With slots,
 * <LiveView> lays out a cheap placeholder of the same width (private-use characters, one cell each)
 * and records the real row here; the stream Ink writes to swaps the placeholders back
 * (`fill`) on the way to the terminal.
 */

const SIDE_BASE = 0xe100; // side marker: U+E100 + side
const ROW_BASE = 0xe000; // row marker: U+E000 + row (rows < 256)
const FILLER = "\ue200";
const PLACEHOLDER = /[\ue100-\ue1ff][\ue000-\ue0ff]\ue200*/g;
const ANY_SLOT = /[\ue100-\ue1ff]/;

export class PictureSlots {
  private readonly rows = new Map<string, string>();

  /** Most rows a slot set can address. */
  static readonly MAX_ROWS = 256;

  /**
   * Records `line` (a rendered picture row of `columns` cells) for picture `side`, row `row`, and
   * returns the placeholder to lay out in its place. Needs columns ≥ 2.
   */
  placeholder(side: number, row: number, columns: number, line: string): string {
    if (columns < 2 || row >= PictureSlots.MAX_ROWS || side > 0xff)
      throw new RangeError(`picture slot out of range: side ${side}, row ${row}, ${columns} columns`);
    const key = String.fromCharCode(SIDE_BASE + side, ROW_BASE + row) + FILLER.repeat(columns - 2);
    this.rows.set(key, line);
    return key;
  }

  /** Ink's output with every placeholder replaced by its picture row (unknown ones by blanks). */
  fill(output: string): string {
    if (!ANY_SLOT.test(output)) return output;
    return output.replace(PLACEHOLDER, (key) => this.rows.get(key) ?? " ".repeat([...key].length));
  }
}
