/**
 * CRC-32/ISO-HDLC (zlib, Ethernet), the protocol's frame and blob checksum. The host uses zlib's native
 * implementation (as compiler/blob does); the firmware uses a 16-entry table derived here from the
 * polynomial, so the shared vectors check the two against each other.
 */
import { crc32 as zlibCrc32 } from "node:zlib";
import { FRAME } from "./spec.js";

/** Continues a CRC: `crc32(b, crc32(a)) === crc32(a ++ b)`. */
export function crc32(bytes: Uint8Array, previous = 0): number {
  return zlibCrc32(bytes, previous) >>> 0;
}

/** Register update for each value of the low nibble (emitted into the C header). */
export function crc32NibbleTable(): Uint32Array {
  const t = new Uint32Array(16);
  for (let i = 0; i < 16; i++) {
    let c = i;
    for (let k = 0; k < 4; k++) c = c & 1 ? (c >>> 1) ^ FRAME.crc.polyReflected : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
}
