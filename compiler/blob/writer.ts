/** Serializes a lowered program into a blob (format in spec.ts) and writes it atomically. */
import { createHash } from "node:crypto";
import { crc32 } from "node:zlib";
import { Packr } from "msgpackr";
import { writeFileAtomic } from "../data/atomic-write.js";
import { encodeProgram } from "../isa/encode.js";
import { INSTR_BYTES, type Instr, ISA_HASH, ISA_VERSION } from "../isa/spec.js";
import type { IoDescriptor, LoweredProgram } from "../lower/index.js";
import {
  BLOB_FORMAT_VERSION,
  BLOB_MAGIC,
  HEADER_BYTES,
  SECTION_ENTRY_BYTES,
  SECTION_PLACEMENT,
  type SectionKind,
  TRAILER_BYTES,
} from "./spec.js";

export interface BlobIo {
  actBytes: number;
  input: IoDescriptor;
  output: IoDescriptor;
}

/** What a blob holds, decoded. */
export interface BlobContents {
  target: string;
  fused: boolean;
  program: Instr[];
  weights: Uint8Array;
  tables: Uint8Array;
  io: BlobIo;
  meta: Record<string, unknown>;
}

const packr = new Packr({ useRecords: false });

export function contentsFromLowered(l: LoweredProgram, meta: Record<string, unknown> = {}): BlobContents {
  return {
    target: l.target,
    fused: l.fuse,
    program: l.program,
    weights: l.weights,
    tables: l.tables,
    io: { actBytes: l.actBytes, input: l.input, output: l.output },
    meta: {
      model: l.model,
      modelMetadata: l.modelMetadata,
      ...meta,
      layers: l.layers,
      actUnsharedBytes: l.actUnsharedBytes,
    },
  };
}

const align = (n: number): number => Math.ceil(n / SECTION_PLACEMENT) * SECTION_PLACEMENT;

/** `withMeta: false` leaves the optional META section out. */
export function encodeBlob(c: BlobContents, opts: { withMeta?: boolean } = {}): Uint8Array {
  if (c.target.length > 16 || !/^[\x20-\x7e]*$/.test(c.target))
    throw new Error(`target name "${c.target}" must be ≤ 16 ASCII characters`);
  const sections: Array<[SectionKind, Uint8Array]> = [
    ["PROG", encodeProgram(c.program)],
    ["WGHT", c.weights],
    ["TABL", c.tables],
    ["IODS", packr.pack(c.io)],
    ...(opts.withMeta === false ? [] : ([["META", packr.pack(c.meta)]] as Array<[SectionKind, Uint8Array]>)),
  ];
  let at = align(HEADER_BYTES + SECTION_ENTRY_BYTES * sections.length);
  const placed = sections.map(([kind, bytes]) => {
    const offset = at;
    at = align(at + bytes.length);
    return { kind, bytes, offset };
  });
  const total = at + TRAILER_BYTES;
  if (total >= 2 ** 32) throw new Error("blob larger than 4 GiB");
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  out.set(new TextEncoder().encode(BLOB_MAGIC), 0);
  dv.setUint16(8, BLOB_FORMAT_VERSION, true);
  dv.setUint16(10, HEADER_BYTES, true);
  dv.setUint16(12, ISA_VERSION, true);
  dv.setUint16(14, sections.length, true);
  dv.setUint32(16, ISA_HASH, true);
  dv.setUint32(20, total, true);
  out.set(new TextEncoder().encode(c.target), 24);
  dv.setUint32(40, c.fused ? 1 : 0, true);
  dv.setUint32(44, c.io.actBytes, true);
  dv.setUint32(48, c.program.length, true);
  placed.forEach((s, i) => {
    const e = HEADER_BYTES + i * SECTION_ENTRY_BYTES;
    out.set(new TextEncoder().encode(s.kind), e);
    dv.setUint32(e + 4, s.offset, true);
    dv.setUint32(e + 8, s.bytes.length, true);
    dv.setUint32(e + 12, crc32(s.bytes) >>> 0, true);
    out.set(s.bytes, s.offset);
  });
  out.set(
    createHash("sha256")
      .update(out.subarray(0, total - TRAILER_BYTES))
      .digest(),
    total - TRAILER_BYTES,
  );
  if (c.program.length * INSTR_BYTES !== sections[0]![1].length)
    throw new Error("program encoding size mismatch");
  return out;
}

/**
 * What a device stores of a blob: the same program, weights, tables and I/O descriptors without META
 * (reports and the embedded quantized graph, read only by host tools — two thirds of a PyDNet blob).
 */
export function deviceImageOf(c: BlobContents): Uint8Array {
  return encodeBlob(c, { withMeta: false });
}

/** Writes the blob through a temporary file and a rename: readers never see half a blob. */
export function writeBlobFile(path: string, c: BlobContents): Uint8Array {
  const bytes = encodeBlob(c);
  writeFileAtomic(path, bytes);
  return bytes;
}
