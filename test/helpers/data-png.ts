import { deflateSync } from "node:zlib";

/** CRC-32 (IEEE) as PNG chunks use it; written out here so fixtures do not depend on the decoder under test. */
function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + body.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, body.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(body, 8);
  view.setUint32(8 + body.length, crc32(out.subarray(4, 8 + body.length)));
  return out;
}

export interface RawPngSpec {
  width: number;
  height: number;
  /** 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA */
  colorType: 0 | 2 | 3 | 4 | 6;
  bitDepth: 1 | 2 | 4 | 8 | 16;
  /** packed scanlines (no filter bytes), big-endian samples as the PNG spec stores them */
  rows: Uint8Array[];
  /** RGB triples for colour type 3 */
  palette?: number[][];
}

/** A minimal, unfiltered PNG for colour types and bit depths pngjs cannot write (palette, low depth, alpha). */
export function buildRawPng(spec: RawPngSpec): Uint8Array {
  const header = new Uint8Array(13);
  const hv = new DataView(header.buffer);
  hv.setUint32(0, spec.width);
  hv.setUint32(4, spec.height);
  header[8] = spec.bitDepth;
  header[9] = spec.colorType;
  const rowLength = spec.rows[0]!.length;
  const raw = new Uint8Array(spec.rows.length * (rowLength + 1));
  spec.rows.forEach((row, y) => {
    raw.set(row, y * (rowLength + 1) + 1);
  });
  const parts = [new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", header)];
  if (spec.palette) parts.push(chunk("PLTE", new Uint8Array(spec.palette.flat())));
  parts.push(chunk("IDAT", new Uint8Array(deflateSync(raw))), chunk("IEND", new Uint8Array(0)));
  const total = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
