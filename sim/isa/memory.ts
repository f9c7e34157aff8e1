/**
 * Element access in buffers and segments, following spec.ts: 4-bit elements two per byte (low nibble
 * first), wider ones little-endian; buffer rows start on a byte.
 */

export class SimError extends Error {
  override name = "SimError";
}

export function need(cond: boolean, msg: string): void {
  if (!cond) throw new SimError(msg);
}

/** Checks bytes [start, start + length) lie in `buf` (once per instruction, before any element access). */
export function inRange(buf: Uint8Array, start: number, length: number, what: string): void {
  need(
    start >= 0 && start + length <= buf.length,
    `${what}: bytes ${start}..${start + length} outside ${buf.length}`,
  );
}

/** Element `x` of a buffer row starting at byte `row`. */
export function readRowElem(mem: Uint8Array, row: number, x: number, bits: number): number {
  if (bits === 4) return (mem[row + (x >> 1)]! >> ((x & 1) * 4)) & 15;
  if (bits === 8) return mem[row + x]!;
  const at = row + (x * bits) / 8;
  if (bits === 16) return mem[at]! | (mem[at + 1]! << 8);
  return mem[at]! | (mem[at + 1]! << 8) | (mem[at + 2]! << 16) | (mem[at + 3]! << 24);
}

export function writeRowElem(mem: Uint8Array, row: number, x: number, bits: number, v: number): void {
  if (bits === 4) {
    const at = row + (x >> 1);
    const sh = (x & 1) * 4;
    mem[at] = (mem[at]! & ~(15 << sh)) | ((v & 15) << sh);
  } else if (bits === 8) {
    mem[row + x] = v & 255;
  } else {
    const at = row + (x * bits) / 8;
    for (let i = 0; i < bits / 8; i++) mem[at + i] = (v >>> (8 * i)) & 255;
  }
}

/** Copies n elements from a segment (element index e) into a buffer row (byte b). */
export function copyInRow(
  seg: Uint8Array,
  e: number,
  buf: Uint8Array,
  b: number,
  n: number,
  bits: number,
): void {
  if (bits >= 8) {
    const k = bits / 8;
    buf.set(seg.subarray(e * k, (e + n) * k), b);
    return;
  }
  if ((e & 1) === 0) {
    const whole = n >> 1;
    buf.set(seg.subarray(e >> 1, (e >> 1) + whole), b);
    // A trailing odd element fills the low nibble; the row's pad nibble is 0.
    if (n & 1) buf[b + whole] = seg[(e + n - 1) >> 1]! & 15;
    return;
  }
  // An odd start: each row byte is the high nibble of one segment byte and the low nibble of the next.
  const s = e >> 1;
  const whole = n >> 1;
  for (let k = 0; k < whole; k++) buf[b + k] = (seg[s + k]! >> 4) | ((seg[s + k + 1]! & 15) << 4);
  if (n & 1) buf[b + whole] = seg[s + whole]! >> 4;
}

/** 4-bit element `el` of a segment, the other nibble of its byte kept. */
function setNibble(seg: Uint8Array, el: number, v: number): void {
  const at = el >> 1;
  const sh = (el & 1) * 4;
  seg[at] = (seg[at]! & ~(15 << sh)) | (v << sh);
}

/** Copies n elements from a buffer row (byte b) into a segment at element e (other nibbles kept). */
export function copyOutRow(
  buf: Uint8Array,
  b: number,
  seg: Uint8Array,
  e: number,
  n: number,
  bits: number,
): void {
  if (bits >= 8) {
    const k = bits / 8;
    seg.set(buf.subarray(b, b + n * k), e * k);
    return;
  }
  if (n <= 0) return;
  // Whole segment bytes where both nibbles come from the row; the ends keep their other nibble.
  let x = 0;
  if (e & 1) {
    setNibble(seg, e, buf[b]! & 15);
    x = 1;
  }
  const whole = (n - x) >> 1;
  const at = (e + x) >> 1;
  if (x === 0) {
    seg.set(buf.subarray(b, b + whole), at);
  } else {
    // Row element x (odd) is the high nibble of row byte x >> 1.
    for (let k = 0; k < whole; k++) {
      const r = b + ((x + 2 * k) >> 1);
      seg[at + k] = (buf[r]! >> 4) | ((buf[r + 1]! & 15) << 4);
    }
  }
  x += 2 * whole;
  if (x < n) setNibble(seg, e + x, (buf[b + (x >> 1)]! >> ((x & 1) * 4)) & 15);
}

export class TableView {
  private readonly dv: DataView;

  constructor(readonly bytes: Uint8Array) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  check(start: number, length: number, what: string): void {
    if (start < 0 || start + length > this.bytes.length)
      throw new SimError(
        `${what}: TBL bytes ${start}..${start + length} outside the ${this.bytes.length}-byte buffer`,
      );
  }

  i8(at: number): number {
    return this.dv.getInt8(at);
  }

  u8(at: number): number {
    return this.dv.getUint8(at);
  }

  u16(at: number): number {
    return this.dv.getUint16(at, true);
  }

  i32(at: number): number {
    return this.dv.getInt32(at, true);
  }
}
