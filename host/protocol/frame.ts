/**
 * Frames: header (type, flags, seq, len) + payload + CRC-32, COBS-encoded and terminated by 0x00.
 *
 * Why one CRC-32 over header and payload rather than CRC-16 for the header plus CRC-32 for the payload:
 * with COBS the delimiter, not the length field, finds the frame end, so the header never has to be
 * trusted before the payload arrives. CRC-32 detects every error burst up to 32 bits (so every single
 * corrupted byte after decoding) and leaves 2^-32 of other corruptions undetected; CRC-16 would let
 * 1 in 65 536 corrupted frames through — at a 1e-3 byte error rate that is about one silent error per
 * hundred megabytes. The decoded length must also equal `len + 10`, which catches dropped and
 * duplicated bytes before the CRC is even computed.
 */
import { cobsDecode, cobsEncode } from "./cobs.js";
import { crc32 } from "./crc32.js";
import { ChecksumError, FramingError, type ProtocolError } from "./errors.js";
import { type ByteField, cobsMaxLength, DERIVED, FRAME, LIMITS, layoutBytes } from "./spec.js";

export interface Frame {
  type: number;
  flags: number;
  seq: number;
  payload: Uint8Array;
}

const HDR = FRAME.headerBytes;

/** Header + payload + CRC, before COBS. */
export function frameBytes(f: Frame): Uint8Array {
  if (f.payload.length > 0xffff)
    throw new FramingError(`payload of ${f.payload.length} bytes does not fit a frame`);
  const raw = new Uint8Array(HDR + f.payload.length + FRAME.crcBytes);
  const dv = new DataView(raw.buffer);
  dv.setUint8(0, f.type);
  dv.setUint8(1, f.flags);
  dv.setUint16(2, f.seq & 0xffff, true);
  dv.setUint16(4, f.payload.length, true);
  raw.set(f.payload, HDR);
  dv.setUint32(HDR + f.payload.length, crc32(raw.subarray(0, HDR + f.payload.length)), true);
  return raw;
}

/** The bytes to put on the wire for one frame: COBS(frame) followed by the delimiter. */
export function encodeFrame(f: Frame): Uint8Array {
  const enc = cobsEncode(frameBytes(f));
  const out = new Uint8Array(enc.length + 1);
  out.set(enc);
  out[enc.length] = FRAME.delimiter;
  return out;
}

/** Decodes one frame's COBS bytes (delimiter removed). Throws FramingError or ChecksumError. */
export function decodeFrame(enc: Uint8Array, maxPayload: number = LIMITS.maxPayload): Frame {
  const raw = cobsDecode(enc);
  if (raw.length < DERIVED.frameMin)
    throw new FramingError(`frame of ${raw.length} bytes is shorter than a header`);
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.length);
  const len = dv.getUint16(4, true);
  if (raw.length !== DERIVED.frameMin + len)
    throw new FramingError(`frame length ${raw.length} does not match its header (payload ${len})`);
  if (len > maxPayload) throw new FramingError(`payload of ${len} bytes exceeds the limit of ${maxPayload}`);
  const want = dv.getUint32(HDR + len, true);
  const got = crc32(raw.subarray(0, HDR + len));
  if (want !== got) throw new ChecksumError("frame", want, got);
  return { type: raw[0]!, flags: raw[1]!, seq: dv.getUint16(2, true), payload: raw.slice(HDR, HDR + len) };
}

export type ParseEvent = { frame: Frame; error?: undefined } | { frame?: undefined; error: ProtocolError };

/**
 * Streaming receiver: collects bytes up to each delimiter and decodes them. A corrupt frame yields an
 * error event and parsing resumes at the next delimiter; oversize input is discarded up to it.
 */
export class FrameParser {
  private buf: Uint8Array;
  private n = 0;
  private overflow = false;

  constructor(private readonly maxPayload: number = LIMITS.maxPayload) {
    this.buf = new Uint8Array(cobsMaxLength(DERIVED.frameMin + maxPayload));
  }

  push(bytes: Uint8Array): ParseEvent[] {
    const events: ParseEvent[] = [];
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      if (b !== FRAME.delimiter) {
        if (this.n < this.buf.length) this.buf[this.n++] = b;
        else this.overflow = true;
        continue;
      }
      if (this.overflow)
        events.push({ error: new FramingError("frame longer than the largest allowed; dropped") });
      else if (this.n > 0) {
        try {
          events.push({ frame: decodeFrame(this.buf.subarray(0, this.n), this.maxPayload) });
        } catch (e) {
          events.push({ error: e as ProtocolError });
        }
      }
      this.n = 0;
      this.overflow = false;
    }
    return events;
  }

  /** Forget any partial frame (the input flush before SYNC). */
  reset(): void {
    this.n = 0;
    this.overflow = false;
  }
}

type LayoutValues<F extends readonly ByteField[]> = { [K in F[number]["name"]]: number };

/** Packs a fixed little-endian layout from spec.ts (link-control payloads). */
export function packLayout<F extends readonly ByteField[]>(fields: F, values: LayoutValues<F>): Uint8Array {
  const out = new Uint8Array(layoutBytes(fields));
  const dv = new DataView(out.buffer);
  for (const f of fields) {
    const v = (values as Record<string, number>)[f.name]!;
    if (f.bytes === 1) dv.setUint8(f.offset, v);
    else if (f.bytes === 2) dv.setUint16(f.offset, v, true);
    else dv.setUint32(f.offset, v >>> 0, true);
  }
  return out;
}

/** Unpacks a fixed layout; undefined when the payload is too short. Extra bytes are ignored. */
export function unpackLayout<F extends readonly ByteField[]>(
  fields: F,
  bytes: Uint8Array,
): LayoutValues<F> | undefined {
  if (bytes.length < layoutBytes(fields)) return undefined;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const out: Record<string, number> = {};
  for (const f of fields)
    out[f.name] =
      f.bytes === 1
        ? dv.getUint8(f.offset)
        : f.bytes === 2
          ? dv.getUint16(f.offset, true)
          : dv.getUint32(f.offset, true);
  return out as LayoutValues<F>;
}
