/**
 * The accelerator core RTL (quart_accel under Verilator) against the instruction-level simulator:
 * random quantized graphs and layer sweeps lowered by the compiler, run on both, the whole ACT arena
 * compared bit for bit. Every program's RTL cycle count is compared with the performance model
 * (compiler/isa/perf.ts) and the ratios are reported.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { assemble } from "../../../compiler/isa/asm.js";
import { perfModel } from "../../../compiler/isa/perf.js";
import type { Instr } from "../../../compiler/isa/spec.js";
import { icebreaker, type Target } from "../../../compiler/isa/targets.js";
import { lowerQGraph } from "../../../compiler/lower/index.js";
import { writeTensor } from "../../../compiler/lower/tensor-io.js";
import type { QGraph } from "../../../compiler/ptq/qgraph.js";
import { ACCEL_CORE_SOURCES, ACCEL_INCLUDE_DIRS } from "../../../fpga/build/sources.js";
import { missingTools } from "../../../sim/device/tools.js";
import { IsaMachine } from "../../../sim/isa/machine.js";
import {
  ACCEL_SIM_TOOLS,
  type AccelParams,
  type AccelRun,
  harnessTarget,
  runAccel,
} from "../../../sim/rtl/accel.js";
import { ICE40_SIM_DEFINES, ice40SimLib, lintBlock } from "../../../sim/rtl/iverilog.js";
import { tinyTarget } from "../../compiler/lower/fixtures.js";
import { seededRandom } from "../../helpers/onnx-random.js";
import {
  QGraphBuilder,
  randomConvChoice,
  randomInputCodes,
  randomLin8,
  randomLut4,
  randomQGraph,
} from "../../helpers/random-qgraph.js";

const missing = missingTools(ACCEL_SIM_TOOLS);
const skip = missing.length > 0 ? `missing tools: ${missing.join(", ")}` : false;

interface CaseResult {
  name: string;
  rtlCycles: number;
  modelCycles: number;
  ratio: number;
  /** Simulated cycles per second of the Verilator model. */
  speed: number;
}

const results: CaseResult[] = [];

/** Lowers g for t, runs it on the simulator and on the RTL; asserts identical ACT arenas. */
async function check(
  g: QGraph,
  target: Target,
  name: string,
  input?: Uint8Array,
  fuse = true,
  params?: AccelParams,
  memory: "harness" | "target" = "harness",
): Promise<CaseResult> {
  const t = memory === "harness" ? harnessTarget(target) : target;
  const lowered = lowerQGraph(g, t, { fuse });
  const x = input ?? randomInputCodes(g, 7);
  const m = new IsaMachine(t, lowered);
  writeTensor(m.act, lowered.input.layout, x);
  const initial = m.act.slice();
  m.run();
  const r = await runAccel(t, lowered, initial, { params });
  assert.equal(r.error, undefined, `${name}: ${r.error}`);
  assert.equal(r.counters.bad_access, 0, `${name}: memory access outside a segment`);
  const diff = firstDiff(m.act, r.act);
  const outAt = lowered.output.layout;
  assert.equal(
    diff,
    -1,
    `${name}: ACT byte ${diff} differs (simulator ${m.act[diff]}, RTL ${r.act[diff]}); output layout ${JSON.stringify(outAt)}`,
  );
  assert.equal(r.counters.macs, m.counters.macs, `${name}: MAC counter`);
  assert.equal(
    r.counters.load_bytes + r.counters.loadt_bytes + r.counters.store_bytes,
    m.counters.dmaBytes.LOAD + m.counters.dmaBytes.LOADT + m.counters.dmaBytes.STORE,
    `${name}: DMA bytes`,
  );
  const res = timing(name, lowered.program, t, r);
  results.push(res);
  return res;
}

/** The first ACT byte where the simulator and the RTL differ, or -1. */
function firstDiff(sim: Uint8Array, rtl: Uint8Array): number {
  for (let i = 0; i < sim.length; i++) if (sim[i] !== rtl[i]) return i;
  return -1;
}

/** The run's cycles against the performance model of the same program and target. */
function timing(name: string, program: readonly Instr[], t: Target, run: AccelRun): CaseResult {
  const model = perfModel(program, t).cycles;
  return {
    name,
    rtlCycles: run.counters.cycles,
    modelCycles: model,
    ratio: run.counters.cycles / model,
    speed: run.cyclesPerSecond,
  };
}

/**
 * A hand-assembled program on random buffers (ACT, WGT, TBL bytes from `seed`, then `fix` sets what
 * the instructions need: requant shifts <= 47, sorted thresholds), on the simulator and on the RTL:
 * identical ACT, MAC and DMA counters; cycles recorded against the model.
 */
async function checkProgram(
  name: string,
  text: string,
  seed: number,
  fix: (tables: Uint8Array, weights: Uint8Array, act: Uint8Array) => void = () => {},
  params?: AccelParams,
  tblBytes = 2048,
  timed = true,
): Promise<CaseResult> {
  const base = harnessTarget(icebreaker);
  const t: Target =
    tblBytes === base.buffers.TBL ? base : { ...base, buffers: { ...base.buffers, TBL: tblBytes } };
  const r = seededRandom(seed);
  const act = Uint8Array.from({ length: 16384 }, () => Math.floor(r() * 256));
  const weights = Uint8Array.from({ length: 4096 }, () => Math.floor(r() * 256));
  const tables = Uint8Array.from({ length: tblBytes }, () => Math.floor(r() * 256));
  fix(tables, weights, act);
  const image = { program: assemble(text), weights, tables, actBytes: act.length };
  const m = new IsaMachine(t, image);
  m.act.set(act);
  m.run();
  const res = await runAccel(t, image, act, { params });
  assert.equal(res.error, undefined, `${name}: ${res.error}`);
  const diff = firstDiff(m.act, res.act);
  assert.equal(
    diff,
    -1,
    `${name}: ACT byte ${diff} differs (simulator ${m.act[diff]}, RTL ${res.act[diff]})`,
  );
  assert.ok(!m.act.every((v, k) => v === act[k]), `${name} wrote nothing`);
  assert.equal(res.counters.macs, m.counters.macs, `${name}: MAC counter`);
  const out = timing(name, image.program, t, res);
  if (timed) results.push(out);
  return out;
}

/** Stage tables at `ptab` for `n` channels: sorted thresholds (THRESH) or requant words with n <= 47. */
function stageTables(
  tables: Uint8Array,
  stage: "THRESH" | "REQUANT",
  ptab: number,
  n: number,
  seed: number,
  thr: [number, number] = [-2000, 2000],
): void {
  const r = seededRandom(seed);
  const dv = new DataView(tables.buffer, tables.byteOffset, tables.byteLength);
  for (let c = 0; c < n; c++) {
    if (stage === "THRESH") {
      const th = Array.from({ length: 15 }, () => Math.floor(thr[0] + r() * (thr[1] - thr[0]))).sort(
        (a, b) => a - b,
      );
      for (const [k, v] of th.entries()) dv.setInt32(ptab + 60 * c + 4 * k, v, true);
    } else {
      dv.setUint16(ptab + 8 * c, 1 + Math.floor(r() * 32767), true);
      dv.setUint8(ptab + 8 * c + 2, 4 + Math.floor(r() * 20));
      dv.setInt32(ptab + 8 * c + 4, Math.floor((r() - 0.5) * 60), true);
    }
  }
}

function report(): void {
  if (!results.length) return;
  const ratios = results.map((r) => r.ratio);
  const mean = ratios.reduce((a, b) => a + b, 0) / ratios.length;
  const total = results.reduce((a, r) => a + r.rtlCycles, 0);
  const secs = results.reduce((a, r) => a + (r.speed > 0 ? r.rtlCycles / r.speed : 0), 0);
  console.log(`accel core Verilator speed: ${Math.round(total / secs)} cycles/s over ${total} cycles`);
  const lines = results.map(
    (r) => `  ${r.name}: RTL ${r.rtlCycles} / model ${r.modelCycles} = ${r.ratio.toFixed(3)}`,
  );
  console.log(
    `accel core cycles vs perf model (${results.length} programs): mean ratio ${mean.toFixed(3)}, min ${Math.min(...ratios).toFixed(3)}, max ${Math.max(...ratios).toFixed(3)}\n${lines.join("\n")}`,
  );
}

describe("accelerator core RTL = instruction-level simulator", { skip, timeout: 1_800_000 }, () => {
  test("random graphs on the tiny target (splits, table slices, weight slots)", async () => {
    for (let seed = 1; seed <= 12; seed++) {
      const g = randomQGraph({ seed, acc32Output: seed % 4 === 0 });
      await check(g, tinyTarget(), `random-${seed} tiny`);
    }
  });

  test("random graphs unfused (ACC + VEC path)", async () => {
    for (const seed of [21, 22, 23, 24, 33]) {
      const g = randomQGraph({ seed });
      await check(g, tinyTarget(), `random-${seed} tiny unfused`, undefined, false);
    }
  });

  test("hand-written DMA programs: 4/8/16/32-bit elements at odd offsets, strided planes, neighbours kept", async () => {
    // Identity RESIZE (LIN8, f = 0: r = v·2^16) with REQUANT M = 2^14, n = 30, z = 0 gives the code back,
    // so OUT receives the INP bytes and the STOREs write them elsewhere with another element width.
    const tables = new Uint8Array(64);
    const dv = new DataView(tables.buffer);
    dv.setUint16(0, 16384, true);
    dv.setUint8(2, 30);
    const act = Uint8Array.from({ length: 512 }, (_, i) => (i * 37 + 11) & 255);
    const programs = [
      // 4-bit: odd source offset, odd length, odd destination; lut4 identity needs a table, so move as bytes
      `LOAD push_next buf=INP seg=ACT ebits=E4 ext=7 n0=13 n1=3 n2=2 pitch=40 rows=5
       LOADT buf=TBL seg=TBL ebits=E8 n0=64
       RCFG ienc=LIN8 in_h=6 in_w=7 out_h=6 out_w=7
       VCFG stage=REQUANT ptab=0
       RESIZE pop_prev push_next c_n=1 ny=6 ih_n=6
       STORE pop_prev push_prev buf=OUT seg=ACT ebits=E4 ext=801 n0=13 n1=3 n2=2 pitch=20 rows=4
       FINISH pop_next`,
      `LOAD push_next buf=INP seg=ACT ebits=E16 ext=3 n0=5 n1=4 pitch=9
       LOADT buf=TBL seg=TBL ebits=E8 n0=64
       RCFG ienc=LIN8 in_h=4 in_w=10 out_h=4 out_w=10
       VCFG stage=REQUANT ptab=0
       RESIZE pop_prev push_next c_n=1 ny=4 ih_n=4
       STORE pop_prev push_prev buf=OUT seg=ACT ebits=E16 ext=201 n0=5 n1=4 pitch=7
       FINISH pop_next`,
      `LOAD push_next buf=INP seg=ACT ebits=E32 ext=1 n0=3 n1=2 n2=2 pitch=5 rows=3
       LOADT buf=TBL seg=TBL ebits=E8 n0=64
       RCFG ienc=LIN8 in_h=4 in_w=12 out_h=4 out_w=12
       VCFG stage=REQUANT ptab=0
       RESIZE pop_prev push_next c_n=1 ny=4 ih_n=4
       STORE pop_prev push_prev buf=OUT seg=ACT ebits=E8 ext=301 n0=12 n1=4 pitch=13
       FINISH pop_next`,
    ];
    for (const [i, text] of programs.entries()) {
      const image = { program: assemble(text), weights: new Uint8Array(16), tables, actBytes: act.length };
      const m = new IsaMachine(icebreaker, image);
      m.act.set(act);
      m.run();
      const r = await runAccel(icebreaker, image, act);
      assert.equal(r.error, undefined, `program ${i}: ${r.error}`);
      assert.deepEqual(Array.from(r.act), Array.from(m.act), `program ${i}: ACT differs`);
      assert.ok(!Array.from(m.act).every((v, k) => v === act[k]), `program ${i} wrote nothing`);
    }
  });

  test("a batch of two images, fused and unfused", async () => {
    for (const seed of [101, 102, 103]) {
      const g = randomQGraph({ seed, input: [2, 3, 9, 11], layers: 3 });
      await check(g, tinyTarget(), `batch2-${seed} tiny`);
      await check(g, tinyTarget(), `batch2-${seed} tiny unfused`, undefined, false);
    }
  });

  test("random graphs on the icebreaker target", async () => {
    let ran = 0;
    for (let seed = 1; seed <= 30 && ran < 8; seed++) {
      const g = randomQGraph({ seed, acc32Output: seed % 4 === 0 });
      const fits =
        lowerQGraph(g, icebreaker, { ignoreArenaLimit: true }).actBytes <= icebreaker.segments.ACT.bytes;
      if (!fits) continue;
      await check(g, icebreaker, `random-${seed} icebreaker`);
      ran++;
    }
    assert.ok(ran >= 4);
  });

  test("the SoC's memory system (one PSRAM, the arbiter, the prefetcher): cycles within 5 % of the model", async () => {
    // runAccel gives the core one memory with the PSRAM's timing for the program and every segment,
    // arbitrated round-robin like soc_xmem.v; perf.ts replays the same transfers
    let ran = 0;
    for (let seed = 1; seed <= 30 && ran < 6; seed++) {
      const g = randomQGraph({ seed, acc32Output: seed % 4 === 0 });
      if (lowerQGraph(g, icebreaker, { ignoreArenaLimit: true }).actBytes > icebreaker.segments.ACT.bytes)
        continue;
      const r = await check(
        g,
        icebreaker,
        `random-${seed} icebreaker, SoC memory`,
        undefined,
        true,
        undefined,
        "target",
      );
      assert.ok(
        Math.abs(r.ratio - 1) <= 0.05,
        `${r.name}: RTL ${r.rtlCycles} / model ${r.modelCycles} = ${r.ratio}`,
      );
      ran++;
    }
    assert.equal(ran, 6);
  });

  test("layer sweep: shapes, strides, padding, W4/W8, lut4/lin8 inputs, every stage, resize", async () => {
    let n = 0;
    for (const inKind of ["lin8", "lut4"] as const) {
      for (const outKind of ["lut4", "lin8", "acc32"] as const) {
        for (const w of [4, 8] as const) {
          const r = seededRandom(1000 + n);
          const b = new QGraphBuilder(r);
          const c = 2 + (n % 5);
          const x = b.value(
            "input",
            [1, c, 9 + (n % 4), 11 + (n % 3)],
            inKind === "lut4" ? randomLut4(r, c) : randomLin8(r, c),
          );
          const y = b.conv(x, { ...randomConvChoice(r, c, outKind), weightBits: w });
          const g = b.graph(x, y, `sweep-${inKind}-${outKind}-w${w}`);
          const input =
            inKind === "lut4"
              ? Uint8Array.from({ length: x.shape.reduce((a, v) => a * v, 1) }, () => Math.floor(r() * 16))
              : undefined;
          await check(g, icebreaker, g.name, input);
          n++;
        }
      }
    }
    for (const seed of [201, 202]) {
      const r = seededRandom(seed);
      const b = new QGraphBuilder(r);
      const x = b.value("input", [1, 3, 7, 9], randomLut4(r, 3));
      let y = b.resize(x, [13, 17], "lut4");
      y = b.resize(y, [15, 18], "lin8");
      const g = b.graph(x, y, `resize-${seed}`);
      const input = Uint8Array.from({ length: 3 * 7 * 9 }, () => Math.floor(r() * 16));
      await check(g, icebreaker, g.name, input);
    }
  });

  test("PyDNet-mobile layers (their channels, kernels, strides; bands of rows) at the icebreaker tiling", async () => {
    // encoder convs of mobile_pydnet_pruned35: 3→16 /2, 16→16, 16→32 /2, 32→32, 64→64 (weight slots)
    const layers: Array<{
      inC: number;
      out: number;
      s: 1 | 2;
      h: number;
      w: number;
      inKind: "lin8" | "lut4";
    }> = [
      { inC: 3, out: 16, s: 2, h: 16, w: 80, inKind: "lin8" },
      { inC: 16, out: 16, s: 1, h: 14, w: 80, inKind: "lut4" },
      { inC: 16, out: 32, s: 2, h: 16, w: 48, inKind: "lut4" },
      { inC: 32, out: 32, s: 1, h: 8, w: 40, inKind: "lut4" },
      { inC: 64, out: 64, s: 1, h: 6, w: 24, inKind: "lut4" },
    ];
    for (const [i, L] of layers.entries()) {
      const r = seededRandom(300 + i);
      const b = new QGraphBuilder(r);
      const enc = L.inKind === "lut4" ? randomLut4(r, L.inC) : randomLin8(r, L.inC);
      const x = b.value("input", [1, L.inC, L.h, L.w], enc);
      const y = b.conv(x, {
        out: L.out,
        k: [3, 3],
        stride: [L.s, L.s],
        dil: [1, 1],
        pads: [1, 1, 1, 1],
        group: 1,
        weightBits: 4,
        act: { kind: "leaky", alpha: 0.2, alphaQ16: 13107 },
        outKind: "lut4",
      });
      const g = b.graph(x, y, `pydnet-conv${i} ${L.inC}→${L.out}/${L.s} ${L.h}×${L.w}`);
      const n = L.inC * L.h * L.w;
      const input =
        L.inKind === "lut4" ? Uint8Array.from({ length: n }, () => Math.floor(r() * 16)) : undefined;
      await check(g, icebreaker, g.name, input);
    }
  });

  test("all-LUT array (N_DSP = 0, W4 only): W4 layers, every stage", async () => {
    // The default configuration is the icebreaker's (8 DSPs, yosys SB_MAC16 model); W8 needs them.
    for (const [i, outKind] of (["lut4", "lin8", "acc32"] as const).entries()) {
      const r = seededRandom(400 + i);
      const b = new QGraphBuilder(r);
      const c = 3 + i;
      const x = b.value("input", [1, c, 10, 12], randomLin8(r, c));
      const y = b.conv(x, { ...randomConvChoice(r, c, outKind), weightBits: 4 });
      const g = b.graph(x, y, `lut-array-${outKind}`);
      await check(g, tinyTarget(), `${g.name} tiny, no DSP`, undefined, true, { N_DSP: 0 });
    }
  });

  test("activation operands (CCFG wt, wofs, ishared), W4 and W8, lut4 and lin8; the TABLE activation", async () => {
    // Q·Kᵀ / P·V as the lowering emits them: 1×1 CONVs whose weights are activation codes stored
    // [ic][oc] in offset binary, the input decoded through one shared table.
    const cases = [
      { w: "W4", ienc: "LUT4", ic: 16, oc: 16, ow: 16, stage: "THRESH", act: "NONE" },
      { w: "W4", ienc: "LUT4", ic: 9, oc: 6, ow: 13, stage: "REQUANT", act: "TABLE" },
      { w: "W8", ienc: "LIN8", ic: 16, oc: 5, ow: 16, stage: "REQUANT", act: "NONE" },
      { w: "W8", ienc: "LUT4", ic: 12, oc: 3, ow: 10, stage: "THRESH", act: "NONE" },
      { w: "W4", ienc: "LIN8", ic: 32, oc: 16, ow: 16, stage: "REQUANT", act: "TABLE" },
    ] as const;
    for (const [i, c] of cases.entries()) {
      for (const wt of [1, 0]) {
        const ib = c.ienc === "LUT4" ? 4 : 8;
        const ob = c.stage === "THRESH" ? 4 : 8;
        const irb = Math.ceil((c.ow * ib) / 8);
        const orb = Math.ceil((c.ow * ob) / 8);
        const ptab = 512;
        const text = `LOAD buf=INP seg=ACT ebits=E8 ext=${64 + i} n0=${irb} n1=${c.ic} pitch=${irb + 3}
          LOAD push_next buf=WGT seg=WGT ebits=E8 ext=${17 * i} n0=${Math.ceil((c.ic * c.oc * (c.w === "W8" ? 8 : 4)) / 8)}
          LOADT buf=TBL seg=TBL ebits=E8 n0=2048
          CCFG wbits=${c.w} ienc=${c.ienc} kh=1 kw=1 sy=1 sx=1 dy=1 dx=1 itab=${40 + 16 * i} oc_n=${c.oc} oh_n=1 ow_n=${c.ow} ic_n=${c.ic} wt=${wt} wofs=1 ishared=1
          VCFG stage=${c.stage} act=${c.act} ptab=${ptab} ttab=1280 bias=1 btab=${300 + 4 * i}
          CONV pop_prev push_next fuse=1 inp=0 wgt=0 dst=0 oc0=${i}
          STORE pop_prev push_prev buf=OUT seg=ACT ebits=E8 ext=${8192 + 31 * i} n0=${orb} n1=${c.oc}
          FINISH pop_next`;
        await checkProgram(
          `attention operands ${i} wt=${wt} ${c.w} ${c.ienc} ${c.stage} ${c.act}`,
          text,
          600 + i,
          (tb) => stageTables(tb, c.stage, ptab, c.oc + i, 700 + i),
        );
      }
    }
  });

  test("kernels and strides past 15 and 7 (patch embedding)", async () => {
    const cases = [
      { k: 16, s: 16, ic: 3, h: 32, w: 48, oc: 8, ienc: "LIN8", w8: false },
      { k: 17, s: 9, ic: 2, h: 26, w: 35, oc: 5, ienc: "LUT4", w8: false },
      { k: 31, s: 31, ic: 1, h: 31, w: 62, oc: 3, ienc: "LIN8", w8: true },
    ] as const;
    for (const [i, c] of cases.entries()) {
      const ib = c.ienc === "LUT4" ? 4 : 8;
      const irb = Math.ceil((c.w * ib) / 8);
      const oh = Math.floor((c.h - c.k) / c.s) + 1;
      const ow = Math.floor((c.w - c.k) / c.s) + 1;
      const ptab = 256;
      const text = `LOAD buf=INP seg=ACT ebits=E8 ext=${i} n0=${irb} n1=${c.h} n2=${c.ic} pitch=${irb} rows=${c.h}
        LOAD push_next buf=WGT seg=WGT ebits=E8 ext=0 n0=1024 n1=${Math.ceil((c.oc * c.ic * c.k * c.k * (c.w8 ? 8 : 4)) / 8 / 1024)} pitch=1024
        LOADT buf=TBL seg=TBL ebits=E8 n0=2048
        CCFG wbits=${c.w8 ? "W8" : "W4"} ienc=${c.ienc} kh=${c.k} kw=${c.k} sy=${c.s} sx=${c.s} dy=1 dx=1 itab=0 oc_n=${c.oc} oh_n=${oh} ow_n=${ow} ic_n=${c.ic}
        VCFG stage=REQUANT ptab=${ptab}
        CONV pop_prev push_next fuse=1 inp=0 wgt=0 dst=0
        STORE pop_prev push_prev buf=OUT seg=ACT ebits=E8 ext=${8192 + i} n0=${ow} n1=${oh} n2=${c.oc} pitch=${ow} rows=${oh}
        FINISH pop_next`;
      await checkProgram(`patch kernel ${c.k}/${c.s} ${c.ienc}${c.w8 ? " W8" : ""}`, text, 650 + i, (tb) =>
        stageTables(tb, "REQUANT", ptab, c.oc, 750 + i),
      );
    }
  });

  test("NORM: lut4 and lin8 inputs, every stage, odd widths, one channel to 64", async () => {
    const cases = [
      { ienc: "LUT4", cn: 24, rows: 2, cols: 5, stage: "THRESH", eps: 1 },
      { ienc: "LIN8", cn: 32, rows: 1, cols: 16, stage: "REQUANT", eps: 977 },
      { ienc: "LIN8", cn: 7, rows: 3, cols: 3, stage: "ACC32", eps: 5 },
      { ienc: "LUT4", cn: 1, rows: 2, cols: 3, stage: "REQUANT", eps: 100 },
      { ienc: "LIN8", cn: 64, rows: 1, cols: 2, stage: "REQUANT", eps: 1 << 19 },
      { ienc: "LIN8", cn: 16, rows: 2, cols: 3, stage: "REQUANT", eps: 9, act: "TABLE" },
      { ienc: "LUT4", cn: 12, rows: 1, cols: 5, stage: "REQUANT", eps: 2, act: "LEAKY" },
    ] as const;
    for (const [i, c] of cases.entries()) {
      const ib = c.ienc === "LUT4" ? 4 : 8;
      const ob = c.stage === "THRESH" ? 4 : c.stage === "REQUANT" ? 8 : 32;
      const irb = Math.ceil((c.cols * ib) / 8);
      const orb = Math.ceil((c.cols * ob) / 8);
      const itab = 8;
      const ptab = itab + c.cn * (c.ienc === "LUT4" ? 16 : 1) + 4;
      const text = `LOAD push_next buf=INP seg=ACT ebits=E8 ext=${100 + i} n0=${irb} n1=${c.rows * c.cn} pitch=${irb}
        LOADT buf=TBL seg=TBL ebits=E8 n0=2048
        VCFG stage=${c.stage} ptab=${ptab} bias=${i % 2} btab=${2048 - 4 * c.cn} ${"act" in c ? `act=${c.act} alpha=16384 ttab=1024` : ""}
        NORM pop_prev push_next ienc=${c.ienc} inp=0 dst=${i} itab=${itab} c_n=${c.cn} rows=${c.rows} cols=${c.cols} eps=${c.eps}
        STORE pop_prev push_prev buf=OUT seg=ACT ebits=E8 ext=${8192 + i} n0=${orb} n1=${c.rows * c.cn} addr=${i}
        FINISH pop_next`;
      await checkProgram(`NORM ${c.ienc} c_n ${c.cn} ${c.rows}×${c.cols} ${c.stage}`, text, 800 + i, (tb) => {
        if (c.stage !== "ACC32") stageTables(tb, c.stage, ptab, c.cn, 900 + i, [-12000, 12000]);
      });
    }
  });

  test("SMAX into OUT and into INP (then read by a CONV), 4- and 8-bit probabilities", async () => {
    const cases = [
      { cn: 16, cols: 16, stage: "THRESH", m: 700, n: 10, dbuf: 0 },
      { cn: 9, cols: 5, stage: "REQUANT", m: 40000, n: 16, dbuf: 0 },
      { cn: 16, cols: 16, stage: "THRESH", m: 700, n: 10, dbuf: 1 },
      { cn: 12, cols: 7, stage: "REQUANT", m: 3000, n: 12, dbuf: 1 },
      { cn: 1, cols: 3, stage: "REQUANT", m: 1, n: 0, dbuf: 0 },
      // a 12 KB LOAD into INP runs meanwhile: the probabilities wait for INP's write port
      { cn: 16, cols: 16, stage: "THRESH", m: 700, n: 10, dbuf: 1, busy: true },
      { cn: 12, cols: 7, stage: "REQUANT", m: 3000, n: 12, dbuf: 1, busy: true },
    ] as const;
    for (const [i, c] of cases.entries()) {
      const ob = c.stage === "THRESH" ? 4 : 8;
      const orb = Math.ceil((c.cols * ob) / 8);
      const ptab = 64;
      const oc = 4;
      const conv =
        c.dbuf === 0
          ? `SMAX push_next src=0 dst=${3 * i} dbuf=0 c_n=${c.cn} cols=${c.cols} m=${c.m} n=${c.n}
             STORE pop_prev push_prev buf=OUT seg=ACT ebits=E8 ext=${8192 + i} addr=${3 * i} n0=${orb} n1=${c.cn}`
          : `SMAX src=0 dst=${5 + i} dbuf=1 c_n=${c.cn} cols=${c.cols} m=${c.m} n=${c.n}
             CCFG wbits=W4 ienc=${ob === 4 ? "LUT4" : "LIN8"} kh=1 kw=1 sy=1 sx=1 dy=1 dx=1 itab=8 ishared=1 oc_n=${oc} oh_n=1 ow_n=${c.cols} ic_n=${c.cn}
             VCFG stage=ACC32
             CONV pop_prev push_next fuse=1 inp=${5 + i} wgt=0 dst=0
             STORE pop_prev push_prev buf=OUT seg=ACT ebits=E8 ext=${8192 + i} n0=${4 * c.cols} n1=${oc}`;
      const busy = "busy" in c;
      const text = `${busy ? "LOAD buf=INP seg=ACT ebits=E8 addr=4096 n0=2000 n1=6 pitch=2000" : ""}
        LOAD ${c.dbuf ? "push_next " : ""}buf=WGT seg=WGT ebits=E8 n0=256
        LOADT buf=TBL seg=TBL ebits=E8 n0=2048
        LOADT buf=ACC seg=ACT ebits=E32 ext=1024 n0=${c.cols} n1=${c.cn}
        VCFG stage=${c.stage} ptab=${ptab} bias=${i % 2} btab=1024
        ${conv}
        FINISH pop_next`;
      const res = await checkProgram(
        `SMAX ${c.cn}×${c.cols} ${c.stage} into ${c.dbuf ? "INP" : "OUT"}${busy ? " during a LOAD into INP" : ""}`,
        text,
        820 + i,
        (tb, _w, act) => {
          stageTables(tb, c.stage, ptab, 1, 920 + i, [0, 32768]);
          const dv = new DataView(act.buffer);
          const r = seededRandom(940 + i);
          for (let k = 0; k < c.cn * c.cols; k++)
            dv.setInt32(4096 + 4 * k, Math.floor((r() - 0.5) * 6000), true);
        },
        undefined,
        2048,
        // the model does not see the write port shared with the LOAD
        !busy,
      );
      if (busy)
        console.log(`${res.name}: RTL ${res.rtlCycles} / model ${res.modelCycles} = ${res.ratio.toFixed(3)}`);
    }
  });

  test("without the transformer units (HAS_TRANSFORMER = 0) NORM and SMAX stop the core with error 9", async () => {
    const t = harnessTarget(icebreaker);
    const programs = [
      `VCFG stage=REQUANT
       NORM ienc=LIN8 c_n=4 cols=4 eps=1
       FINISH`,
      `VCFG stage=REQUANT
       SMAX c_n=4 cols=4 n=8
       FINISH`,
    ];
    for (const text of programs) {
      const image = {
        program: assemble(text),
        weights: new Uint8Array(16),
        tables: new Uint8Array(64),
        actBytes: 64,
      };
      const r = await runAccel(t, image, new Uint8Array(64), { params: { HAS_TRANSFORMER: 0 } });
      assert.equal(r.error, "error source 3 code 9", text);
    }
  });

  test("verilator -Wall lint with the DSP products (yosys cell library waived)", {
    skip: ice40SimLib() ? false : "yosys iCE40 cell library not found",
  }, async () => {
    await lintBlock({
      top: "quart_accel",
      files: [...ACCEL_CORE_SOURCES, "fpga/rtl/accel/quart_mac2_dsp.v"],
      includeDirs: ACCEL_INCLUDE_DIRS,
      libs: [ice40SimLib()!],
      defines: ICE40_SIM_DEFINES,
      params: { N_DSP: 8 },
    });
  });

  test("report: RTL cycles within 5 % of the performance model on every program", () => {
    report();
    assert.ok(results.length >= 30);
    const off = results.filter((r) => Math.abs(r.ratio - 1) > 0.05);
    assert.deepEqual(
      off.map((r) => `${r.name} ${r.ratio.toFixed(3)}`),
      [],
      "programs whose RTL cycles differ from the model by more than 5 %",
    );
  });
});
