/**
 * Reads and verifies a blob. Every check of spec.ts BLOB_CHECKS runs in order; the first failure
 * throws a BlobError naming it, so a truncated, corrupted or foreign blob is never half-used.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { crc32 } from "node:zlib";
import { Unpackr } from "msgpackr";
import { decodeProgram } from "../isa/encode.js";
import { INSTR_BYTES, ISA_HASH, ISA_VERSION } from "../isa/spec.js";
import { TARGETS } from "../isa/targets.js";
import {
  BLOB_CHECKS,
  BLOB_FORMAT_VERSION,
  BLOB_MAGIC,
  type BlobCheck,
  HEADER_BYTES,
  SECTION_ALIGN,
  SECTION_ENTRY_BYTES,
  SECTIONS,
  type SectionKind,
  TRAILER_BYTES,
} from "./spec.js";
import type { BlobContents, BlobIo } from "./writer.js";

export class BlobError extends Error {
  override name = "BlobError";

  constructor(
    readonly check: BlobCheck,
    detail: string,
  ) {
    super(`blob check "${check}" failed: ${detail}`);
  }
}

export interface BlobHeader {
  formatVersion: number;
  isaVersion: number;
  isaHash: number;
  totalBytes: number;
  target: string;
  flags: number;
  actBytes: number;
  programWords: number;
  sections: Array<{ kind: string; offset: number; size: number; crc32: number }>;
}

export interface Blob extends BlobContents {
  header: BlobHeader;
  /** The raw PROG section (what the device fetches). */
  programBytes: Uint8Array;
  sha256: string;
}

export interface ReadOptions {
  /** Defaults: this build's ISA_VERSION / ISA_HASH; `target`: any known target. */
  isaVersion?: number;
  isaHash?: number;
  target?: string;
}

const unpackr = new Unpackr({ useRecords: false });
const hex = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, "0")}`;

function fail(check: BlobCheck, detail: string): never {
  throw new BlobError(check, detail);
}

function ascii(bytes: Uint8Array): string {
  let end = bytes.indexOf(0);
  if (end < 0) end = bytes.length;
  return new TextDecoder("latin1").decode(bytes.subarray(0, end));
}

export function parseHeader(b: Uint8Array): BlobHeader {
  if (b.length < HEADER_BYTES + TRAILER_BYTES)
    fail("size", `${b.length} bytes is smaller than a header and a trailer`);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (ascii(b.subarray(0, 8)) !== BLOB_MAGIC)
    fail("magic", `not a quart blob (magic "${ascii(b.subarray(0, 8))}")`);
  const formatVersion = dv.getUint16(8, true);
  if (formatVersion !== BLOB_FORMAT_VERSION)
    fail("format-version", `format version ${formatVersion}, this reader reads ${BLOB_FORMAT_VERSION}`);
  if (dv.getUint16(10, true) !== HEADER_BYTES || b.subarray(52, 64).some((x) => x !== 0))
    fail("header-size", `header size ${dv.getUint16(10, true)} or reserved bytes are wrong`);
  const totalBytes = dv.getUint32(20, true);
  if (totalBytes > b.length)
    fail("total-size", `truncated: header says ${totalBytes} bytes, file has ${b.length}`);
  if (totalBytes < b.length) fail("total-size", `${b.length - totalBytes} trailing bytes after the blob`);
  const count = dv.getUint16(14, true);
  const tableEnd = HEADER_BYTES + count * SECTION_ENTRY_BYTES;
  if (tableEnd > totalBytes - TRAILER_BYTES) fail("section-table", `${count} sections do not fit the blob`);
  const sections: BlobHeader["sections"] = [];
  for (let i = 0; i < count; i++) {
    const e = HEADER_BYTES + i * SECTION_ENTRY_BYTES;
    const s = {
      kind: ascii(b.subarray(e, e + 4)),
      offset: dv.getUint32(e + 4, true),
      size: dv.getUint32(e + 8, true),
      crc32: dv.getUint32(e + 12, true),
    };
    if (!SECTIONS.some((d) => d.kind === s.kind)) fail("section-table", `unknown section "${s.kind}"`);
    if (
      s.offset % SECTION_ALIGN !== 0 ||
      s.offset < tableEnd ||
      s.offset + s.size > totalBytes - TRAILER_BYTES
    )
      fail("section-table", `section ${s.kind} (${s.offset}+${s.size}) lies outside the data area`);
    for (const o of sections)
      if (s.offset < o.offset + o.size && o.offset < s.offset + s.size)
        fail("section-table", `${s.kind} overlaps ${o.kind}`);
    sections.push(s);
  }
  return {
    formatVersion,
    isaVersion: dv.getUint16(12, true),
    isaHash: dv.getUint32(16, true),
    totalBytes,
    target: ascii(b.subarray(24, 40)),
    flags: dv.getUint32(40, true),
    actBytes: dv.getUint32(44, true),
    programWords: dv.getUint32(48, true),
    sections,
  };
}

export function readBlob(bytes: Uint8Array, opts: ReadOptions = {}): Blob {
  const h = parseHeader(bytes);
  const body = (s: { offset: number; size: number }): Uint8Array =>
    bytes.subarray(s.offset, s.offset + s.size);
  for (const s of h.sections) {
    const got = crc32(body(s)) >>> 0;
    if (got !== s.crc32)
      fail("section-crc", `section ${s.kind}: CRC-32 ${hex(got)}, expected ${hex(s.crc32)}`);
  }
  const digest = createHash("sha256")
    .update(bytes.subarray(0, h.totalBytes - TRAILER_BYTES))
    .digest();
  const trailer = bytes.subarray(h.totalBytes - TRAILER_BYTES, h.totalBytes);
  if (!digest.equals(trailer)) fail("sha256", "the SHA-256 trailer does not match the blob's bytes");
  const isaVersion = opts.isaVersion ?? ISA_VERSION;
  if (h.isaVersion !== isaVersion)
    fail("isa-version", `blob has ISA version ${h.isaVersion}, expected ${isaVersion}`);
  const isaHash = opts.isaHash ?? ISA_HASH;
  if (h.isaHash !== isaHash)
    fail("isa-hash", `blob has ISA hash ${hex(h.isaHash)}, expected ${hex(isaHash)}`);
  if (opts.target ? h.target !== opts.target : !TARGETS[h.target])
    fail("target", `blob is for target "${h.target}"${opts.target ? `, expected "${opts.target}"` : ""}`);
  const find = (kind: SectionKind): Uint8Array | undefined => {
    const all = h.sections.filter((s) => s.kind === kind);
    if (all.length > 1) fail("sections", `section ${kind} appears ${all.length} times`);
    return all[0] ? body(all[0]) : undefined;
  };
  for (const d of SECTIONS)
    if (d.required && !find(d.kind)) fail("sections", `required section ${d.kind} is missing`);
  const programBytes = find("PROG")!;
  if (programBytes.length !== h.programWords * INSTR_BYTES)
    fail("program", `PROG has ${programBytes.length} bytes, header says ${h.programWords} words`);
  let program: BlobContents["program"];
  try {
    program = decodeProgram(programBytes);
  } catch (e) {
    fail("program", (e as Error).message);
  }
  let io: BlobIo;
  try {
    io = unpackr.unpack(find("IODS")!) as BlobIo;
  } catch (e) {
    fail("io", (e as Error).message);
  }
  if (!io || typeof io !== "object" || !io.input?.layout || !io.output?.layout || io.actBytes !== h.actBytes)
    fail("io", "IODS lacks the input/output descriptors or disagrees with the header's actBytes");
  let meta: Record<string, unknown> = {};
  const metaBytes = find("META");
  if (metaBytes) {
    try {
      meta = unpackr.unpack(metaBytes) as Record<string, unknown>;
    } catch (e) {
      fail("meta", (e as Error).message);
    }
  }
  return {
    header: h,
    target: h.target,
    fused: (h.flags & 1) === 1,
    program,
    programBytes,
    weights: find("WGHT")!,
    tables: find("TABL")!,
    io,
    meta,
    sha256: digest.toString("hex"),
  };
}

export function readBlobFile(path: string, opts: ReadOptions = {}): Blob {
  return readBlob(new Uint8Array(readFileSync(path)), opts);
}

/** Check names in order (for docs and tests). */
export const CHECK_ORDER: readonly BlobCheck[] = BLOB_CHECKS.map((c) => c.name);
