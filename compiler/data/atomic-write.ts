import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { DataError, describeError } from "./errors.js";

/**
 * Writes `bytes` to `path` so that readers see either the old file or the complete new one:
 * the bytes go to a temporary file in the same directory (rename is only atomic within one
 * file system) which is flushed and then renamed over the target.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  let fd: number;
  try {
    fd = openSync(tmp, "wx");
  } catch (error) {
    throw new DataError(`cannot write ${path}: ${describeError(error)}`);
  }
  let open = true;
  try {
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
    fsyncSync(fd);
    open = false;
    closeSync(fd);
    renameSync(tmp, path);
  } catch (error) {
    if (open) closeSync(fd);
    rmSync(tmp, { force: true });
    throw new DataError(`cannot write ${path}: ${describeError(error)}`);
  }
}
