import assert from "node:assert/strict";
import { test } from "node:test";
import { SECTION_PLACEMENT } from "../../../compiler/blob/spec.js";
import { assemble } from "../../../compiler/isa/asm.js";
import { normalizeInstr } from "../../../compiler/isa/encode.js";
import { instrCycles, perfModel } from "../../../compiler/isa/perf.js";
import { asic28, icebreaker } from "../../../compiler/isa/targets.js";
import { lowerQGraph } from "../../../compiler/lower/index.js";
import { randomQGraph } from "../../helpers/random-qgraph.js";

const LOAD = "LOAD buf=INP seg=ACT ebits=E8 n0=2048 n1=4 pitch=2048 rows=4";

test("a DMA costs latency, row overhead and bytes over the bandwidth", () => {
  const [load] = assemble(LOAD);
  const m = asic28.segments.ACT;
  assert.equal(m.burst, undefined);
  const c = instrCycles(asic28, load!, {});
  assert.equal(c.cycles, m.latencyCycles + 4 * m.rowOverheadCycles + Math.ceil(8192 / m.bytesPerCycle));
});

test("on the SoC's PSRAM every DMA row is one transfer, paying the latency again at each 64-byte boundary", () => {
  const b = icebreaker.segments.ACT.burst!;
  assert.deepEqual(
    [b.bytes, b.readLatency, b.writeLatency, b.byteCycles, b.engineCycles],
    [64, 16, 10, 2, 2],
    "fpga/soc/map.ts XMEM_* timing",
  );
  assert.equal(SECTION_PLACEMENT % b.bytes, 0, "blob sections start on a burst boundary");
  const cycles = (text: string) => instrCycles(icebreaker, assemble(text)[0]!, {}).cycles;
  // 4 rows of 2048 aligned bytes: 32 pieces each; after each of the 31 boundaries the next byte comes
  // 16 + 1 cycles after the last one instead of 2
  assert.equal(cycles(LOAD), 4 * (2 + 16 + 2 * 2048 + 31 * 15));
  // 8 bytes from byte 60: two pieces; the same row written pays the write latency
  assert.equal(cycles("LOAD buf=INP seg=ACT ebits=E8 ext=60 n0=8"), 2 + 16 + 16 + 15);
  assert.equal(cycles("STORE buf=OUT seg=ACT ebits=E8 ext=60 n0=8"), 2 + 10 + 16 + 9);
  assert.equal(cycles("LOAD buf=INP seg=ACT ebits=E8 ext=64 n0=8"), 2 + 16 + 16);
  // 4-bit rows: 5 elements from element 3 are bytes 1..3; a load at an odd element with an odd count
  // writes its last nibble in one more cycle
  assert.equal(cycles("LOAD buf=INP seg=ACT ebits=E4 ext=3 n0=5"), 2 + 16 + 2 * 3 + 1);
  assert.equal(cycles("STORE buf=OUT seg=ACT ebits=E4 ext=3 n0=5"), 2 + 10 + 2 * 3);
  // rows from ext + (p * rows + r) * pitch: 2 planes × 2 rows of 16 bytes at 0, 40, 120, 160 (the row at
  // 120 crosses 128)
  assert.equal(
    cycles("LOAD buf=INP seg=ACT ebits=E8 ext=0 n0=16 n1=2 n2=2 pitch=40 rows=3"),
    4 * (2 + 16 + 32) + 15,
  );
});

test("a CONV costs passes × (reduction steps + overhead), the drain and the setup on the array", () => {
  const [ccfg] = assemble("CCFG kh=3 kw=3 sy=1 sx=1 dy=1 dx=1 oc_n=8 oh_n=2 ow_n=8 ic_n=16 wbits=W4");
  const [conv] = assemble("CONV");
  const c = instrCycles(icebreaker, conv!, {
    ccfg: normalizeInstr(ccfg!) as unknown as Record<string, number>,
  });
  // 8 channels on 4 rows × 16 pixels on 8 columns = 2 output-channel blocks, 4 passes of 144 steps;
  // 128 outputs drained (unfused: no output stage), then the drain pipeline's tail.
  const t = icebreaker;
  assert.equal(
    c.cycles,
    4 * (16 * 9 + t.passOverheadCycles) +
      2 * (t.blockOverheadCycles ?? 0) +
      128 * t.drainCyclesPerOutput +
      (t.vector.stage?.tailCycles ?? 0) +
      t.vector.latencyCycles,
  );
  assert.equal(c.arrayMacs, 8 * 16 * 16 * 9);
});

test("tokens order the queues: with a token compute waits for the load, without one they overlap", () => {
  const conv = "CCFG kh=3 kw=3 sy=1 sx=1 dy=1 dx=1 oc_n=8 oh_n=2 ow_n=8 ic_n=16\nCONV";
  const chained = perfModel(assemble(`${LOAD} push_next\nNOP pop_prev\n${conv}\nFINISH`), icebreaker);
  const free = perfModel(assemble(`${LOAD}\nNOP\n${conv}\nFINISH`), icebreaker);
  const { load, compute } = chained.busy;
  assert.ok(chained.cycles >= load + compute, `serial: ${chained.cycles} ≥ ${load} + ${compute}`);
  assert.ok(free.cycles < load + compute - 100, `overlapped: ${free.cycles}`);
  assert.ok(free.cycles >= Math.max(load, compute));
  const two = perfModel(assemble(`${LOAD}\n${LOAD}\nFINISH`), icebreaker);
  // a LOAD alone on the memory; the program fetch sharing it only adds
  const alone = instrCycles(icebreaker, assemble(LOAD)[0]!, {}).cycles;
  assert.ok(two.cycles >= 2 * alone, "one queue runs its instructions in order");
});

test("fused kernels beat the unfused round trip, and the report is consistent", () => {
  const g = randomQGraph({ seed: 11, input: [1, 3, 24, 24], layers: 4 });
  for (const t of [icebreaker, asic28]) {
    const fused = lowerQGraph(g, t, { ignoreArenaLimit: true });
    const unfused = lowerQGraph(g, t, { fuse: false, ignoreArenaLimit: true });
    const a = perfModel(fused.program, t, fused.layers);
    const b = perfModel(unfused.program, t, unfused.layers);
    assert.ok(a.cycles < b.cycles, `${t.name}: fused ${a.cycles} < unfused ${b.cycles}`);
    assert.ok(a.bytes.actRead + a.bytes.actWrite < b.bytes.actRead + b.bytes.actWrite);
    assert.equal(a.macs, b.macs);
    assert.ok(a.mac_utilization > 0 && a.mac_utilization <= 1);
    assert.equal(a.fps, t.clockHz / a.cycles);
    assert.equal(
      a.layers.reduce((s, l) => s + l.macs, 0),
      a.macs,
    );
    assert.ok(a.arrayMacs >= a.macs, "padding taps make the array do at least the model's MACs");
    for (const l of a.layers) assert.ok(l.cycles > 0 && l.endCycle <= a.cycles, l.name);
    // Overlap: with many tiles the queues' busy time exceeds the wall time.
    if (t === icebreaker) assert.ok(a.busy.load + a.busy.compute + a.busy.store > a.cycles);
  }
});

test("a shared external memory (icebreaker's XMEM): DMAs of two queues take turns, separate memories overlap", () => {
  const text = `${LOAD}\nLOADT buf=TBL seg=TBL ebits=E8 n0=1024 n1=2 pitch=1024 rows=2\nFINISH`;
  const program = assemble(text);
  const [load, loadt] = program.map((i) => instrCycles(icebreaker, i, {}).cycles);
  const shared = perfModel(program, icebreaker).cycles;
  const separate = perfModel(program, { ...icebreaker, sharedMemory: undefined }).cycles;
  assert.ok(separate < load! + loadt!, `separate memories overlap the two: ${separate}`);
  // round-robin: the shorter DMA waits for the other's transfers, the longer one for the shorter's
  const rows = 4 + 2;
  const memory = load! + loadt! - rows * icebreaker.sharedMemory!.engineCyclesPerRow;
  assert.ok(shared >= memory, `shared: ${shared} ≥ the memory time of both, ${memory}`);
  assert.ok(shared > separate);
});
