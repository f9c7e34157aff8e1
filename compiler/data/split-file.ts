import { DataError } from "./errors.js";
import { readFileBytes } from "./files.js";

/** One line of a BTS/Monodepth-style split file: "<rgb> <depth|None> [focal]". */
export interface SplitEntry {
  rgb: string;
  /** null when the line says "None" (frame without ground truth) */
  depth: string | null;
  focal?: number;
  line: number;
}

/** Parses a split file; blank lines and lines starting with '#' are ignored. */
export function readSplitFile(path: string): SplitEntry[] {
  const text = new TextDecoder().decode(readFileBytes(path, "split file"));
  const entries: SplitEntry[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const fields = line.split(/\s+/);
    if (fields.length < 2 || fields.length > 3) {
      throw new DataError(
        `${path}:${index + 1}: expected "<rgb path> <depth path|None> [focal]", got ${JSON.stringify(line)}`,
      );
    }
    const entry: SplitEntry = {
      rgb: fields[0]!,
      depth: fields[1] === "None" ? null : fields[1]!,
      line: index + 1,
    };
    if (fields[2] !== undefined) {
      const focal = Number(fields[2]);
      if (!Number.isFinite(focal) || focal <= 0) {
        throw new DataError(`${path}:${index + 1}: focal length must be a positive number, got ${fields[2]}`);
      }
      entry.focal = focal;
    }
    entries.push(entry);
  });
  if (entries.length === 0) throw new DataError(`${path}: split file lists no frames`);
  return entries;
}

/** True when a split file's entries look like NYUv2 (BTS names) rather than KITTI. */
export function splitLooksLikeNyu(entries: readonly SplitEntry[]): boolean {
  return entries.some((e) => /sync_depth_\d+\.png$/.test(e.depth ?? "") || /(^|\/)rgb_\d+\.jpg$/.test(e.rgb));
}
