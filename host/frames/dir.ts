/** Frames from a folder of PNG/JPEG images, in natural file-name order ("f2" before "f10"). */
import { readdirSync } from "node:fs";
import { extname, join } from "node:path";
import { describeError } from "../../compiler/data/errors.js";
import { isDirectory, isFile, naturalCompare } from "../../compiler/data/files.js";
import { readImage } from "../../compiler/data/image.js";
import { type Frame, type FrameSource, FrameSourceError, toRgb8 } from "./source.js";

const IMAGE_EXTENSIONS = new Set([".png", ".jpg", ".jpeg"]);

/** The image files directly inside `dir` (hidden files skipped), sorted naturally. */
export function listImageFiles(dir: string): string[] {
  if (!isDirectory(dir))
    throw new FrameSourceError(
      isFile(dir) ? `${dir}: is a file, expected a folder of images` : `${dir}: folder not found`,
    );
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    throw new FrameSourceError(`${dir}: cannot list the folder (${describeError(error)})`);
  }
  return names
    .filter(
      (n) => !n.startsWith(".") && IMAGE_EXTENSIONS.has(extname(n).toLowerCase()) && isFile(join(dir, n)),
    )
    .sort(naturalCompare);
}

export function framesFromDir(dir: string): FrameSource {
  const files = listImageFiles(dir);
  if (files.length === 0) throw new FrameSourceError(`${dir}: no PNG or JPEG images in this folder`);
  const opened = performance.now();
  let closed = false;
  let started = false;
  return {
    description: `folder ${dir} (${files.length} images)`,
    length: files.length,
    dropped: () => 0,
    async close() {
      closed = true;
    },
    async *[Symbol.asyncIterator](): AsyncGenerator<Frame> {
      if (started) throw new FrameSourceError(`${dir}: a frame source can be iterated only once`);
      started = true;
      for (const [index, name] of files.entries()) {
        if (closed) return;
        const image = toRgb8(readImage(join(dir, name)));
        yield { index, image, timestamp: performance.now() - opened, name };
      }
    },
  };
}
