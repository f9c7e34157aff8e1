/**
 * Frame sources: image folders, video files and cameras behind one async-iterator interface, so the
 * live loop does not care where frames come from. Every source must be closed (the ffmpeg-backed
 * ones own a child process); closing ends a running iteration.
 */
import type { Image } from "../../compiler/data/image.js";

export interface Frame {
  /** 0, 1, 2, … in the order frames are yielded. */
  index: number;
  /** 8-bit RGB. */
  image: Image;
  /** Milliseconds since the source was opened, when the frame became available. */
  timestamp: number;
  /** Where the frame came from, when it has a name (the file name for folders). */
  name?: string;
}

export interface FrameSource extends AsyncIterable<Frame> {
  /** e.g. "folder rgb/ (40 images)", "video clip.mp4 at 320×240", "camera /dev/video0". */
  readonly description: string;
  /** Frames the source will yield, when known in advance. */
  readonly length?: number;
  /** Frames skipped so that the consumer always gets the newest one (cameras), so far. */
  dropped(): number;
  /** Stops the source and releases what it holds (kills ffmpeg); safe to call more than once. */
  close(): Promise<void>;
}

/** A frame source could not be opened or failed while reading; the message says what to do. */
export class FrameSourceError extends Error {
  override readonly name = "FrameSourceError";
}

/** An 8-bit RGB copy of an image (grey is replicated, 16-bit is scaled down); RGB8 is returned as is. */
export function toRgb8(image: Image): Image {
  if (image.channels === 3 && image.bitDepth === 8) return image;
  const n = image.width * image.height;
  const data = new Uint8Array(n * 3);
  const shift = image.bitDepth === 16 ? 257 : 1;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) {
      const v = image.data[i * image.channels + (image.channels === 3 ? c : 0)]!;
      data[i * 3 + c] = shift === 1 ? v : Math.round(v / shift);
    }
  }
  return { width: image.width, height: image.height, channels: 3, bitDepth: 8, data };
}
