/** Number formats shared by the terminal components (pure functions, no I/O). */

/** "12.3", "1.23", "0.123": three significant figures, "—" when unknown. */
export function fmtRate(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "—";
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  if (v >= 1) return v.toFixed(2);
  return v.toFixed(3);
}

export function fmtMs(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "—";
  return v >= 100 ? v.toFixed(0) : v.toFixed(1);
}

/** 1234 → "1.23 k", 1.2e6 → "1.20 M", 3.4e9 → "3.40 G". */
export function fmtCount(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "—";
  const units = ["", " k", " M", " G", " T"];
  let u = 0;
  let x = v;
  while (Math.abs(x) >= 1000 && u < units.length - 1) {
    x /= 1000;
    u++;
  }
  return u === 0 ? String(Math.round(x)) : `${x.toFixed(2)}${units[u]}`;
}

/** Bytes with SI units (1 KB = 1000 bytes, as in the link's KB/s). */
export function fmtBytes(v: number): string {
  if (v < 1000) return `${Math.round(v)} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let u = -1;
  let x = v;
  while (x >= 1000 && u < units.length - 1) {
    x /= 1000;
    u++;
  }
  return `${x >= 100 ? x.toFixed(0) : x.toFixed(1)} ${units[u]}`;
}

/** 75 → "1:15", 3725 → "1:02:05", unknown → "—". */
export function fmtDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return "—";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escape sequences is the point
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;

/** Columns a string takes in the terminal (ANSI escapes removed; our glyphs are all one cell wide). */
export function visibleWidth(s: string): number {
  return [...s.replace(ANSI, "")].length;
}

/** Cuts a plain string to `width` columns, ending with "…" when something was cut. */
export function truncate(s: string, width: number): string {
  const chars = [...s];
  if (chars.length <= width) return s;
  if (width <= 1) return chars.slice(0, Math.max(0, width)).join("");
  return `${chars.slice(0, width - 1).join("")}…`;
}
