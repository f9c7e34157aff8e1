import assert from "node:assert/strict";
import { test } from "node:test";
import {
  canonicalSpec,
  DEP_FLAGS,
  EV,
  HEADER_BITS,
  INSTR_BITS,
  ISA_HASH,
  ISA_SPEC_SHA256,
  OPCODES,
  validateSpec,
} from "../../../compiler/isa/spec.js";
import {
  addressableBufferBytes,
  asic28,
  icebreaker,
  peakMacsPerCycle,
  TARGETS,
  validateTarget,
} from "../../../compiler/isa/targets.js";
import { constant } from "../../../fpga/soc/map.js";

test("the spec is self-consistent: unique opcodes, fields inside 128 bits, no overlaps", () => {
  validateSpec();
  for (const o of OPCODES) {
    let next = HEADER_BITS;
    for (const f of o.fields) {
      assert.equal(f.lsb, next, `${o.name}.${f.name} starts right after the previous field`);
      next += f.width;
    }
    assert.ok(next <= INSTR_BITS, `${o.name} fits ${INSTR_BITS} bits`);
  }
  assert.equal(new Set(OPCODES.map((o) => o.code)).size, OPCODES.length);
  assert.equal(DEP_FLAGS.length, 4);
});

test("validateSpec rejects a field that runs past bit 127", () => {
  const conv = OPCODES.find((o) => o.name === "CONV")!;
  const broken = {
    ...conv,
    fields: [...conv.fields, { ...conv.fields[0]!, name: "extra", lsb: 120, width: 16 }],
  };
  assert.throws(() => validateSpec([broken]), /uses 136 bits/);
});

test("the ISA hash is the first word of the SHA-256 of the canonical spec", () => {
  assert.match(ISA_SPEC_SHA256, /^[0-9a-f]{64}$/);
  assert.equal(ISA_HASH, Number.parseInt(ISA_SPEC_SHA256.slice(0, 8), 16));
  assert.ok(canonicalSpec().includes('"CONV"'));
  assert.ok(
    !canonicalSpec().includes("reference loop") && !canonicalSpec().includes("DMA of a 3-D"),
    "docs are not hashed",
  );
});

test("enum values are reachable by name", () => {
  assert.equal(EV.buf.OUT, 4);
  assert.equal(EV.stage.REQUANT, 2);
  assert.equal(EV.pmode.TOGGLE, 1);
});

test("targets: icebreaker gives ≥ 32 MACs per cycle, asic28 is the paper's 1 GHz / 19.2 GB/s design", () => {
  for (const t of Object.values(TARGETS)) validateTarget(t);
  assert.ok(peakMacsPerCycle(icebreaker) >= 32);
  assert.equal(asic28.clockHz, 1e9);
  assert.equal(asic28.segments.ACT.bytesPerCycle * asic28.clockHz, 19.2e9);
  assert.ok(asic28.modes.includes("W4A4") && asic28.modes.includes("FP32"));
  // The UP5K has 128 KiB of SPRAM; the SoC takes 64 KiB, the accelerator's buffers the rest plus EBRs.
  const spram = icebreaker.buffers.INP + icebreaker.buffers.OUT + icebreaker.buffers.ACC;
  assert.ok(spram <= 64 * 1024);
  assert.ok(icebreaker.buffers.WGT + icebreaker.buffers.TBL <= 30 * 512 - 8 * 1024);
  // Activations live in the ACT arena the SoC's XMEM layout leaves, model sections in a model slot.
  assert.equal(icebreaker.segments.ACT.bytes, constant("XMEM_ACT_SIZE"));
  assert.equal(icebreaker.segments.WGT.bytes, constant("XMEM_SLOT_SIZE"));
  assert.equal(icebreaker.clockHz, constant("CLOCK_HZ"));
});

test("validateTarget refuses buffers the address fields cannot reach", () => {
  const big = { ...asic28, buffers: { ...asic28.buffers, INP: addressableBufferBytes() * 2 } };
  assert.throws(() => validateTarget(big), /exceeds/);
});
