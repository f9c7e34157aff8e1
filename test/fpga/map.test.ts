/** The memory map: validity, derived values, and the drift check of the generated files. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { generatedFiles, renderVerilogHeader, staleFiles } from "../../fpga/soc/gen-map.js";
import {
  constant,
  regAddr,
  region,
  SOC_CLOCK_HZ,
  type SocMap,
  socMap,
  socMapHash,
  UART_RESET_DIVISOR,
  validateMap,
  XMEM_LAYOUT,
} from "../../fpga/soc/map.js";
import { fromRoot } from "../../sim/device/paths.js";

test("generated files match fpga/soc/map.ts (run node dist/fpga/soc/gen-map.js after editing the map)", () => {
  assert.deepEqual(staleFiles(), []);
});

test("the map is valid and the reset vector is the ROM base", () => {
  validateMap(socMap);
  assert.equal(region("ROM").base, 0);
  assert.equal(regAddr("UART", "TXDATA"), 0x1000_0000);
  assert.equal(UART_RESET_DIVISOR, Math.round(SOC_CLOCK_HZ / constant("UART_RESET_BAUD")));
});

test("validateMap rejects overlaps, misalignment and bad registers", () => {
  const base = socMap.regions[0]!;
  const bad = (m: Partial<SocMap>): SocMap => ({ ...socMap, ...m });
  assert.throws(() => validateMap(bad({ regions: [base, { ...base, name: "ROM2" }] })), /overlap/);
  assert.throws(() => validateMap(bad({ regions: [{ ...base, size: 3000 }] })), /power of two/);
  assert.throws(() => validateMap(bad({ regions: [{ ...base, base: 0x100 }] })), /aligned/);
  const io = region("UART");
  assert.throws(
    () =>
      validateMap(
        bad({ regions: [{ ...io, registers: [{ name: "A", offset: 2, access: "rw", doc: "" }] }] }),
      ),
    /word aligned/,
  );
  assert.throws(
    () =>
      validateMap(
        bad({
          regions: [
            {
              ...io,
              registers: [
                {
                  name: "A",
                  offset: 0,
                  access: "rw",
                  doc: "",
                  fields: [
                    { name: "X", lsb: 0, width: 4, doc: "" },
                    { name: "Y", lsb: 3, width: 2, doc: "" },
                  ],
                },
              ],
            },
          ],
        }),
      ),
    /overlaps/,
  );
});

test("the map hash changes with the map and reaches every generated file", () => {
  const hash = socMapHash().toString(16).padStart(8, "0");
  for (const f of generatedFiles()) assert.ok(f.content.includes(hash), `${f.path} lacks the map hash`);
  const moved: SocMap = { ...socMap, constants: [...socMap.constants, { name: "EXTRA", value: 1, doc: "" }] };
  assert.notEqual(socMapHash(moved), socMapHash());
  assert.notEqual(renderVerilogHeader(moved), renderVerilogHeader(socMap));
});

test("the linker memory regions are the ROM and RAM regions", () => {
  const ld = readFileSync(fromRoot("firmware/link/memory.ld"), "utf8");
  const hex = (n: number): string => `0x${n.toString(16).padStart(8, "0")}`;
  for (const [name, r] of [
    ["rom (rx)", region("ROM")],
    ["ram (rwx)", region("RAM")],
  ] as const)
    assert.ok(
      ld.includes(`${name} : ORIGIN = ${hex(r.base)}, LENGTH = ${hex(r.size)}`),
      `${name} in memory.ld`,
    );
});

test("the XMEM layout: two model slots, input, output and the ACT arena tile the region without overlap", () => {
  const parts = [
    { name: "slot 0", offset: 0, size: constant("XMEM_SLOT_SIZE") },
    { name: "slot 1", offset: constant("XMEM_SLOT_SIZE"), size: constant("XMEM_SLOT_SIZE") },
    { name: "input", offset: constant("XMEM_INPUT_OFFSET"), size: constant("XMEM_INPUT_SIZE") },
    { name: "output", offset: constant("XMEM_OUTPUT_OFFSET"), size: constant("XMEM_OUTPUT_SIZE") },
    { name: "act", offset: constant("XMEM_ACT_OFFSET"), size: constant("XMEM_ACT_SIZE") },
  ];
  let at = 0;
  for (const p of parts) {
    assert.equal(p.offset, at, `${p.name} starts where the previous part ends`);
    // the firmware moves words into XMEM and the DMA bases are word addresses
    assert.equal(p.offset % 4, 0, `${p.name} is word aligned`);
    assert.ok(p.size > 0);
    at += p.size;
  }
  assert.equal(at, region("XMEM").size);
  assert.deepEqual(
    [XMEM_LAYOUT.slotSize, XMEM_LAYOUT.act.offset, XMEM_LAYOUT.act.size],
    [constant("XMEM_SLOT_SIZE"), constant("XMEM_ACT_OFFSET"), constant("XMEM_ACT_SIZE")],
  );
});
