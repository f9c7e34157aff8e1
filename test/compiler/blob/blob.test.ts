import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { perfOfBlob } from "../../../compiler/blob/perf.js";
import { BlobError, CHECK_ORDER, readBlob, readBlobFile } from "../../../compiler/blob/reader.js";
import { BLOB_CHECKS, HEADER_BYTES, TRAILER_BYTES } from "../../../compiler/blob/spec.js";
import {
  contentsFromLowered,
  deviceImageOf,
  encodeBlob,
  writeBlobFile,
} from "../../../compiler/blob/writer.js";
import { normalizeInstr } from "../../../compiler/isa/encode.js";
import { ISA_HASH, ISA_VERSION } from "../../../compiler/isa/spec.js";
import { asic28 } from "../../../compiler/isa/targets.js";
import { lowerQGraph } from "../../../compiler/lower/index.js";
import { randomQGraph } from "../../helpers/random-qgraph.js";

function sampleBlob(): Uint8Array {
  const lowered = lowerQGraph(randomQGraph({ seed: 4 }), asic28);
  return encodeBlob(contentsFromLowered(lowered, { model: "random-4" }));
}

/** Rewrites the SHA-256 trailer so only the intended check can fail. */
function reseal(b: Uint8Array): Uint8Array {
  const end = b.length - TRAILER_BYTES;
  b.set(createHash("sha256").update(b.subarray(0, end)).digest(), end);
  return b;
}

function failsAt(bytes: Uint8Array, check: string, opts = {}): void {
  assert.throws(
    () => readBlob(bytes, opts),
    (e: unknown) => e instanceof BlobError && e.check === check && e.message.includes(`"${check}"`),
    `expected check ${check}`,
  );
}

test("a blob round-trips: program, segments, descriptors and metadata", () => {
  const lowered = lowerQGraph(randomQGraph({ seed: 4 }), asic28);
  const blob = readBlob(encodeBlob(contentsFromLowered(lowered, { model: "random-4" })));
  assert.equal(blob.target, "asic28");
  assert.equal(blob.header.isaVersion, ISA_VERSION);
  assert.equal(blob.header.isaHash, ISA_HASH);
  assert.deepEqual(blob.program, lowered.program.map(normalizeInstr));
  assert.deepEqual(blob.weights, lowered.weights);
  assert.deepEqual(blob.tables, lowered.tables);
  assert.deepEqual(blob.io.input, lowered.input);
  assert.deepEqual(blob.io.output, lowered.output);
  assert.equal(blob.io.actBytes, lowered.actBytes);
  assert.equal(blob.meta.model, "random-4");
  assert.equal((blob.meta.layers as unknown[]).length, lowered.layers.length);
  assert.equal(blob.fused, true);
  assert.match(blob.sha256, /^[0-9a-f]{64}$/);
  for (const s of blob.header.sections) assert.equal(s.offset % 16, 0);
});

test("a device image is the same blob without META: everything the device reads is identical", () => {
  const full = readBlob(sampleBlob());
  const image = deviceImageOf(full);
  const dev = readBlob(image);
  assert.deepEqual(
    dev.header.sections.map((s) => s.kind),
    ["PROG", "WGHT", "TABL", "IODS"],
  );
  assert.ok(image.length < sampleBlob().length);
  assert.deepEqual(dev.programBytes, full.programBytes);
  assert.deepEqual(dev.weights, full.weights);
  assert.deepEqual(dev.tables, full.tables);
  assert.deepEqual(dev.io, full.io);
  assert.deepEqual(dev.meta, {});
  assert.equal(dev.header.actBytes, full.header.actBytes);
  // the image of an image is itself: uploads of either compare equal on the device
  assert.deepEqual(deviceImageOf(dev), image);
});

test("the writer writes atomically and leaves no temporary file", () => {
  const dir = mkdtempSync(join(tmpdir(), "quart-blob-"));
  try {
    const path = join(dir, "model.bin");
    const lowered = lowerQGraph(randomQGraph({ seed: 5 }), asic28);
    const bytes = writeBlobFile(path, contentsFromLowered(lowered));
    assert.deepEqual(new Uint8Array(readFileSync(path)), bytes);
    assert.deepEqual(readdirSync(dir), ["model.bin"]);
    assert.equal(readBlobFile(path).program.length, lowered.program.length);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("truncated or extended blobs fail the size checks", () => {
  const b = sampleBlob();
  failsAt(b.subarray(0, 40), "size");
  failsAt(b.subarray(0, b.length - 1), "total-size");
  failsAt(b.subarray(0, HEADER_BYTES + TRAILER_BYTES + 10), "total-size");
  const longer = new Uint8Array(b.length + 3);
  longer.set(b);
  failsAt(longer, "total-size");
});

test("a flipped bit is caught by the section CRC naming the section, or by the SHA-256", () => {
  const b = sampleBlob();
  const blob = readBlob(b);
  for (const s of blob.header.sections) {
    if (s.size === 0) continue;
    const c = b.slice();
    c[s.offset + Math.floor(s.size / 2)]! ^= 0x10;
    assert.throws(() => readBlob(c), new RegExp(`check "section-crc" failed: section ${s.kind}`));
  }
  const c = b.slice();
  c[44]! ^= 1; // actBytes in the header: not covered by any section CRC
  failsAt(c, "sha256");
  const d = b.slice();
  d[d.length - 1]! ^= 1;
  failsAt(d, "sha256");
});

test("foreign, future and mismatched blobs are refused by name", () => {
  const b = sampleBlob();
  const magic = b.slice();
  magic[0] = 0x58;
  failsAt(magic, "magic");
  const fmt = b.slice();
  fmt[8] = 9;
  failsAt(fmt, "format-version");
  const isa = b.slice();
  isa[12] = ISA_VERSION + 1;
  failsAt(reseal(isa), "isa-version");
  const hash = b.slice();
  hash[16]! ^= 0xff;
  failsAt(reseal(hash), "isa-hash");
  failsAt(b, "isa-hash", { isaHash: (ISA_HASH ^ 1) >>> 0 });
  failsAt(b, "target", { target: "icebreaker" });
  const tgt = b.slice();
  tgt.set(new TextEncoder().encode("nosuch\0\0"), 24);
  failsAt(reseal(tgt), "target");
  const table = b.slice();
  new DataView(table.buffer).setUint32(HEADER_BYTES + 4, 3, true); // misaligned PROG offset
  failsAt(reseal(table), "section-table");
});

test("the documented check order is the reader's", () => {
  assert.deepEqual(
    CHECK_ORDER,
    BLOB_CHECKS.map((c) => c.name),
  );
});

test("the performance model reads a blob's program and layer records", () => {
  const lowered = lowerQGraph(randomQGraph({ seed: 6 }), asic28);
  const blob = readBlob(encodeBlob(contentsFromLowered(lowered)));
  const p = perfOfBlob(blob);
  assert.equal(p.target, "asic28");
  assert.equal(p.layers.length, lowered.layers.length);
  assert.equal(
    p.macs,
    lowered.layers.reduce((s, l) => s + l.macs, 0),
  );
  assert.ok(p.cycles > 0 && p.fps > 0);
});
