/**
 * quart_out_stage against outputStage of the golden executor (compiler/ptq/golden.ts), element by
 * element: thresholds with ties and duplicates (read through the stage's threshold port from a
 * registered table), requantization over the whole shift range with every activation, saturation at
 * both ends, acc32 pass-through; and the cycles per element of each mode, back to back.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { applyActivation, outputStage } from "../../../compiler/ptq/golden.js";
import type { Activation, OutputStage } from "../../../compiler/ptq/qgraph.js";
import { ACCEL_OUT_STAGE_SOURCES, ACCEL_TB_VECTORS } from "../../../fpga/build/sources.js";
import { missingTools } from "../../../sim/device/tools.js";
import {
  buildTb,
  IVERILOG_TOOLS,
  lintBlock,
  removeVectors,
  runTb,
  writeVectors,
} from "../../../sim/rtl/iverilog.js";
import { rng } from "./prng.js";

const FILES = ACCEL_OUT_STAGE_SOURCES;

function skipMsg(tools: readonly string[]): string | false {
  const missing = missingTools(tools);
  return missing.length > 0 ? `missing tools: ${missing.join(", ")}` : false;
}

interface Case {
  readonly mode: 0 | 1 | 2;
  readonly act: Activation;
  readonly mult: number;
  readonly shift: number;
  readonly zero: number;
  readonly acc: number;
  readonly thr: Int32Array;
  readonly idle: boolean;
}

const ACT_CODE = { none: 0, relu: 1, leaky: 2 } as const;
const I32_MIN = -(2 ** 31);
const I32_MAX = 2 ** 31 - 1;

function expected(c: Case): number {
  const stage: OutputStage =
    c.mode === 0
      ? { kind: "threshold", thresholds: c.thr }
      : c.mode === 1
        ? {
            kind: "requant",
            multiplier: Int32Array.of(c.mult),
            shift: Int32Array.of(c.shift),
            zeros: Int32Array.of(c.zero),
          }
        : { kind: "acc32" };
  const out = c.mode === 2 ? new Int32Array(1) : new Uint8Array(1);
  outputStage(Float64Array.of(c.acc), 0, c.act, stage, out, 0);
  return out[0]!;
}

function makeCases(n: number): Case[] {
  const rand = rng(77);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const anyI32 = () =>
    rand() < 0.1
      ? rand() < 0.5
        ? I32_MIN
        : I32_MAX
      : rand() < 0.5
        ? int(I32_MIN, I32_MAX)
        : int(-5000, 5000);
  const acts = (): Activation => {
    const r = rand();
    if (r < 0.3) return { kind: "none" };
    if (r < 0.5) return { kind: "relu" };
    const alphaQ16 = rand() < 0.1 ? (rand() < 0.5 ? 0 : 65536) : int(0, 65536);
    return { kind: "leaky", alpha: alphaQ16 / 65536, alphaQ16 };
  };
  const cases: Case[] = [];
  for (let i = 0; i < n; i++) {
    const mode = (i % 3) as 0 | 1 | 2;
    const thr = new Int32Array(15);
    let acc = anyI32();
    if (mode === 0) {
      const span = rand() < 0.3 ? 2 ** 31 : rand() < 0.5 ? 4000 : 30;
      for (let k = 0; k < 15; k++)
        thr[k] = Math.max(I32_MIN, Math.min(I32_MAX, Math.round((rand() * 2 - 1) * span)));
      if (rand() < 0.2) thr[int(0, 13)] = thr[int(0, 14)]!; // duplicates
      thr.sort();
      const r = rand();
      if (r < 0.5)
        acc = thr[int(0, 14)]! + int(-1, 1); // ties and neighbours
      else if (r < 0.7) acc = int(thr[0]! - 3, thr[14]! + 3);
      acc = Math.max(I32_MIN, Math.min(I32_MAX, acc));
    }
    const shift = rand() < 0.15 ? (rand() < 0.5 ? 0 : 47) : int(0, 47);
    let act = acts();
    if (mode === 1 && rand() < 0.3) {
      // near a rounding tie or saturation: small shifts with small accumulators
      acc = int(-2000, 2000);
    }
    if (mode !== 1) act = rand() < 0.5 ? act : { kind: "none" };
    cases.push({
      mode,
      act,
      mult: rand() < 0.1 ? (rand() < 0.5 ? 2 ** 14 : 2 ** 15 - 1) : int(2 ** 14, 2 ** 15 - 1),
      shift: mode === 1 && rand() < 0.4 ? int(10, 30) : shift,
      zero: int(-200, 200),
      acc,
      thr,
      idle: rand() < 0.05,
    });
  }
  return cases;
}

/** Cycles the stage spends on one element (docs in quart_out_stage.v). */
export function outStageCycles(c: Pick<Case, "mode" | "act" | "shift" | "acc">): number {
  if (c.mode === 2) return 1;
  if (c.mode === 0) return 4;
  const leaky = c.act.kind === "leaky" && c.acc < 0 && c.act.alphaQ16 !== 65536;
  return 17 + Math.floor(c.shift / 8) + (c.shift % 8) + (leaky ? 17 : 0);
}

interface TbRun {
  readonly got: number[];
  readonly tags: number[];
  readonly inCycle: number[];
  readonly outCycle: number[];
}

/** Cycles per element with CONST_REQUANT: requant padded to its longest shift, LeakyReLU by act alone. */
function constOutStageCycles(c: Case): number {
  if (c.mode !== 1) return outStageCycles(c);
  const leaky = c.act.kind === "leaky" && c.act.alphaQ16 !== 65536;
  return 29 + (leaky ? 17 : 0);
}

async function runStage(cases: readonly Case[], constRequant = false): Promise<TbRun> {
  const vvp = await buildTb({
    top: "quart_out_stage_tb",
    files: ["fpga/rtl/accel/quart_out_stage_tb.v", ...FILES],
    includeDirs: ["fpga/rtl/accel"],
    includes: [ACCEL_TB_VECTORS],
    ...(constRequant ? { params: { CONST_REQUANT: 1 } } : {}),
  });
  const words: number[] = [cases.length];
  for (const c of cases) {
    const flags = c.mode | (ACT_CODE[c.act.kind] << 2) | (c.idle ? 16 : 0);
    const alpha = c.act.kind === "leaky" ? c.act.alphaQ16 : 0;
    words.push(
      flags,
      alpha,
      c.mult,
      c.shift,
      c.zero & 0xffff,
      c.acc >>> 0,
      ...Array.from(c.thr, (t) => t >>> 0),
    );
  }
  const vec = writeVectors(vvp, "out", words);
  let out: string;
  try {
    out = await runTb(vvp, [`+vec=${vec}`, `+nw=${words.length}`]);
  } finally {
    removeVectors(vec);
  }
  const outs = [...out.matchAll(/^OUT (\d+) (-?\d+) (\d+)$/gm)];
  const ins = [...out.matchAll(/^IN (\d+) (\d+)$/gm)];
  assert.equal(outs.length, cases.length, out.slice(-2000));
  assert.equal(ins.length, cases.length, out.slice(-2000));
  assert.match(out, /^DONE \d+$/m);
  return {
    got: outs.map((m) => Number(m[2])),
    tags: outs.map((m) => Number(m[1])),
    outCycle: outs.map((m) => Number(m[3])),
    inCycle: ins.map((m) => Number(m[2])),
  };
}

describe("quart_out_stage (iverilog) vs outputStage", { skip: skipMsg(IVERILOG_TOOLS) }, () => {
  test("random elements are bit-exact", async () => {
    const cases = makeCases(6000);
    const run = await runStage(cases);
    let sat0 = 0;
    let sat255 = 0;
    for (const [i, c] of cases.entries()) {
      const want = expected(c);
      if (c.mode === 1 && want === 0) sat0++;
      if (c.mode === 1 && want === 255) sat255++;
      assert.equal(run.tags[i], i % 256, `element ${i}: tag`);
      assert.equal(
        run.got[i],
        want,
        `element ${i}: mode ${c.mode} act ${c.act.kind} acc ${c.acc} M ${c.mult} n ${c.shift} zero ${c.zero} u ${applyActivation(c.acc, c.act)}`,
      );
    }
    // the vectors reach both clamps and plenty of in-range codes
    assert.ok(sat0 > 50 && sat255 > 50, `saturation coverage ${sat0}/${sat255}`);
  });

  test("cycles per element, back to back: acc32 1, threshold 4, requant 17 + n/8 + n%8 (+17 LeakyReLU)", async () => {
    const cases = makeCases(600).map((c) => ({ ...c, idle: false }));
    const run = await runStage(cases);
    for (let i = 0; i + 1 < cases.length; i++) {
      assert.equal(
        run.inCycle[i + 1]! - run.inCycle[i]!,
        outStageCycles(cases[i]!),
        `element ${i} mode ${cases[i]!.mode}`,
      );
      assert.equal(run.got[i], expected(cases[i]!), `element ${i}`);
    }
    // latency: the result comes in the cycle after the element's last one
    for (let i = 0; i < cases.length; i++)
      assert.equal(
        run.outCycle[i]! - run.inCycle[i]!,
        outStageCycles(cases[i]!) + 1,
        `latency of element ${i}`,
      );
  });

  test("CONST_REQUANT: bit-exact, requant 29 cycles (+17 LeakyReLU) whatever n and the sign of acc", async () => {
    const cases = makeCases(1500).map((c) => ({ ...c, idle: false }));
    const run = await runStage(cases, true);
    for (let i = 0; i < cases.length; i++) {
      assert.equal(run.got[i], expected(cases[i]!), `element ${i}`);
      if (i + 1 < cases.length)
        assert.equal(
          run.inCycle[i + 1]! - run.inCycle[i]!,
          constOutStageCycles(cases[i]!),
          `element ${i} mode ${cases[i]!.mode} act ${cases[i]!.act.kind} acc ${cases[i]!.acc}`,
        );
    }
  });

  test("verilator -Wall lint", { skip: skipMsg(["verilator"]) }, async () => {
    await lintBlock({ top: "quart_out_stage", files: FILES });
  });
});
