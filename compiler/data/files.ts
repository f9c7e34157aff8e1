import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { DataError, describeError } from "./errors.js";

/** Reads a file's bytes, turning file system errors into messages that name the file. */
export function readFileBytes(path: string, what = "file"): Uint8Array {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new DataError(`${path}: ${what} not found`);
    if (code === "EISDIR") throw new DataError(`${path}: is a directory, expected a ${what}`);
    throw new DataError(`${path}: cannot read ${what} (${describeError(error)})`);
  }
}

export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Throws a clear error unless `path` is an existing directory. */
export function requireDirectory(path: string, what: string): void {
  if (!isDirectory(path)) {
    throw new DataError(isFile(path) ? `${path}: is a file, expected ${what}` : `${path}: ${what} not found`);
  }
}

/**
 * Compares names so that embedded numbers sort by value ("frame2" before "frame10"), which keeps
 * frame order for sets named without zero padding.
 */
export function naturalCompare(a: string, b: string): number {
  const chunk = /(\d+|\D+)/g;
  const pa = a.match(chunk) ?? [];
  const pb = b.match(chunk) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i]!;
    const y = pb[i]!;
    if (x === y) continue;
    const xNum = /^\d/.test(x);
    const yNum = /^\d/.test(y);
    if (xNum && yNum) {
      const diff = Number(x) - Number(y);
      if (diff !== 0) return diff;
      return x.length - y.length;
    }
    return x < y ? -1 : 1;
  }
  return pa.length - pb.length;
}

/**
 * Files below `root` (relative paths with '/' separators), at most `maxDepth` directory levels
 * down, hidden entries skipped, in natural order. The depth bound keeps layout detection cheap and
 * stops symlink loops.
 */
export function listFilesRecursive(root: string, maxDepth: number): string[] {
  const out: string[] = [];
  const visit = (dir: string, rel: string, depth: number) => {
    let entries: import("node:fs").Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (entry.name.startsWith(".")) continue;
      const childRel = rel === "" ? entry.name : `${rel}/${entry.name}`;
      const full = join(dir, entry.name);
      const isDir = entry.isDirectory() || (entry.isSymbolicLink() && isDirectory(full));
      if (isDir) {
        if (depth < maxDepth) visit(full, childRel, depth + 1);
      } else {
        out.push(childRel);
      }
    }
  };
  visit(root, "", 0);
  return out.sort(naturalCompare);
}

/**
 * Directories named `name` below `root` (absolute paths), searching at most `maxDepth` levels
 * down and not descending into matches. Only directories are visited, so big image folders
 * beside them cost little.
 */
export function findDirectoriesNamed(root: string, name: string, maxDepth: number): string[] {
  const out: string[] = [];
  const visit = (dir: string, depth: number) => {
    let entries: import("node:fs").Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (entry.name.startsWith(".")) continue;
      const full = join(dir, entry.name);
      if (!(entry.isDirectory() || (entry.isSymbolicLink() && isDirectory(full)))) continue;
      if (entry.name === name) out.push(full);
      else if (depth < maxDepth) visit(full, depth + 1);
    }
  };
  visit(root, 1);
  return out.sort(naturalCompare);
}
