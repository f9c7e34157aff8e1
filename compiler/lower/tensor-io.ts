/**
 * Codes ↔ bytes of a tensor in the activation arena (layout.ts): what the host writes before a run
 * and reads after it. Codes are one per element (Uint8Array; acc32: Int32Array), NCHW.
 */
import type { Codes } from "../ptq/qgraph.js";
import type { TensorLayout } from "./layout.js";

function elements(l: TensorLayout): number {
  return l.n * l.c * l.h * l.w;
}

/** Writes codes into `arena` (the whole ACT segment) at the layout's place. */
export function writeTensor(arena: Uint8Array, l: TensorLayout, codes: Codes): void {
  if (codes.length !== elements(l))
    throw new Error(`tensor has ${codes.length} codes, layout wants ${elements(l)}`);
  const dv = new DataView(arena.buffer, arena.byteOffset, arena.byteLength);
  let i = 0;
  for (let b = 0; b < l.n; b++)
    for (let c = 0; c < l.c; c++)
      for (let y = 0; y < l.h; y++) {
        const row = l.base + b * l.batchBytes + c * l.planeBytes + y * l.rowBytes;
        if (row + l.rowBytes > arena.length) throw new Error("tensor lies outside the arena");
        for (let x = 0; x < l.w; x++) {
          const v = codes[i++]!;
          if (l.ebits === 4) {
            if (v < 0 || v > 15) throw new Error(`code ${v} is not 4-bit`);
            const at = row + (x >> 1);
            const sh = (x & 1) * 4;
            arena[at] = (arena[at]! & ~(15 << sh)) | (v << sh);
          } else if (l.ebits === 8) {
            if (v < 0 || v > 255) throw new Error(`code ${v} is not 8-bit`);
            arena[row + x] = v;
          } else {
            dv.setInt32(row + 4 * x, v, true);
          }
        }
      }
}

export function readTensor(arena: Uint8Array, l: TensorLayout): Codes {
  const out = l.ebits === 32 ? new Int32Array(elements(l)) : new Uint8Array(elements(l));
  const dv = new DataView(arena.buffer, arena.byteOffset, arena.byteLength);
  let i = 0;
  for (let b = 0; b < l.n; b++)
    for (let c = 0; c < l.c; c++)
      for (let y = 0; y < l.h; y++) {
        const row = l.base + b * l.batchBytes + c * l.planeBytes + y * l.rowBytes;
        if (row + l.rowBytes > arena.length) throw new Error("tensor lies outside the arena");
        for (let x = 0; x < l.w; x++) {
          if (l.ebits === 4) out[i++] = (arena[row + (x >> 1)]! >> ((x & 1) * 4)) & 15;
          else if (l.ebits === 8) out[i++] = arena[row + x]!;
          else out[i++] = dv.getInt32(row + 4 * x, true);
        }
      }
  return out;
}
