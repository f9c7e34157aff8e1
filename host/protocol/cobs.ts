/**
 * Consistent Overhead Byte Stuffing: removes every 0x00 so that 0x00 can delimit frames.
 *
 * Overhead is at most one byte per 254 (plus the delimiter), whatever the data — unlike SLIP, whose
 * escaping doubles a payload made of its two special bytes. A receiver that loses sync simply waits for
 * the next 0x00. A full 254-byte block at the very end of the data is not followed by an empty block.
 */
import { FramingError } from "./errors.js";
import { FRAME } from "./spec.js";

const MAX_CODE = FRAME.cobsMaxCode;

export function cobsEncode(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length + Math.max(1, Math.ceil(data.length / 254)));
  let o = 1;
  let codeAt = 0;
  let code = 1;
  for (let i = 0; i < data.length; i++) {
    const b = data[i]!;
    if (b === 0) {
      out[codeAt] = code;
      codeAt = o++;
      code = 1;
      continue;
    }
    out[o++] = b;
    if (++code === MAX_CODE) {
      out[codeAt] = code;
      code = 1;
      if (i + 1 === data.length) return out.subarray(0, o);
      codeAt = o++;
    }
  }
  out[codeAt] = code;
  return out.subarray(0, o);
}

/** Decodes one frame's COBS bytes (without the delimiter); throws FramingError on truncation or a zero byte. */
export function cobsDecode(enc: Uint8Array): Uint8Array {
  const out = new Uint8Array(enc.length);
  let o = 0;
  let i = 0;
  while (i < enc.length) {
    const code = enc[i++]!;
    if (code === 0) throw new FramingError("COBS: zero byte inside a frame");
    const end = i + code - 1;
    if (end > enc.length) throw new FramingError("COBS: block runs past the end of the frame");
    for (; i < end; i++) {
      const b = enc[i]!;
      if (b === 0) throw new FramingError("COBS: zero byte inside a frame");
      out[o++] = b;
    }
    if (code !== MAX_CODE && i < enc.length) out[o++] = 0;
  }
  return out.subarray(0, o);
}
