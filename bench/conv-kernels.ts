/**
 * Throughput of the float conv kernels on the PyDNet-mobile layer shapes (192×640 input).
 *
 *   npx tsc -p bench && node dist/bench/conv-kernels.js [--repeat N] [--threads T] [--engine wasm|js]
 *                                                       [--shapes 4x2,4x3,...] [--model]
 *
 * Prints G MAC/s for the three largest layers, a transposed conv and a 1024³ matmul, sync (--engine) and
 * pooled (always wasm); --model also times all 37 non-trivial
 * convolutions of the model back to back (one frame's convolution time). --shapes compares micro-kernel
 * shapes (rows × f32x4 vectors) on the sync path.
 */
import { conv2d, conv2dMacs, conv2dRowsInto } from "../compiler/exec/kernels/conv.js";
import type { Conv2dGeometry } from "../compiler/exec/kernels/conv-params.js";
import {
  convTranspose2d,
  convTranspose2dMacs,
  convTransposeGeometry,
} from "../compiler/exec/kernels/conv-transpose.js";
import { type EngineName, gemmEngine } from "../compiler/exec/kernels/gemm-engine.js";
import { matmul } from "../compiler/exec/kernels/matmul.js";
import { KernelPool } from "../compiler/exec/kernels/pool.js";

interface Layer {
  name: string;
  c: number;
  o: number;
  /** Output size; the input is stride × this, padded by 1 on every side (PyDNet pads explicitly). */
  oh: number;
  ow: number;
  stride: number;
}

/** Every 3×3 convolution of mobile_pydnet_pruned35 at 192×640, in graph order (the five 2×2 convs after
 * the bilinear upsamplings are left out: together under 1 M MAC). */
const PYDNET: Layer[] = [
  ...[
    [3, 16, 96, 320, 2],
    [16, 16, 96, 320, 1],
    [16, 32, 48, 160, 2],
    [32, 32, 48, 160, 1],
    [32, 64, 24, 80, 2],
    [64, 64, 24, 80, 1],
    [64, 96, 12, 40, 2],
    [96, 96, 12, 40, 1],
    [96, 128, 6, 20, 2],
    [128, 128, 6, 20, 1],
    [128, 192, 3, 10, 2],
    [192, 192, 3, 10, 1],
    [192, 96, 3, 10, 1],
    [96, 64, 3, 10, 1],
    [64, 32, 3, 10, 1],
    [32, 8, 3, 10, 1],
    [136, 96, 6, 20, 1],
    [96, 64, 6, 20, 1],
    [64, 32, 6, 20, 1],
    [32, 8, 6, 20, 1],
    [104, 96, 12, 40, 1],
    [96, 64, 12, 40, 1],
    [64, 32, 12, 40, 1],
    [32, 8, 12, 40, 1],
    [72, 96, 24, 80, 1],
    [96, 64, 24, 80, 1],
    [64, 32, 24, 80, 1],
    [32, 8, 24, 80, 1],
    [40, 96, 48, 160, 1],
    [96, 64, 48, 160, 1],
    [64, 32, 48, 160, 1],
    [32, 8, 48, 160, 1],
    [24, 96, 96, 320, 1],
    [96, 64, 96, 320, 1],
    [64, 32, 96, 320, 1],
    [32, 8, 96, 320, 1],
    [8, 1, 96, 320, 1],
  ].map(([c, o, oh, ow, stride]) => ({
    name: `${c}→${o} @${oh}×${ow}${stride === 2 ? " s2" : ""}`,
    c: c!,
    o: o!,
    oh: oh!,
    ow: ow!,
    stride: stride!,
  })),
];

function geometry(l: Layer): Conv2dGeometry {
  return {
    n: 1,
    c: l.c,
    h: l.oh * l.stride,
    w: l.ow * l.stride,
    o: l.o,
    kh: 3,
    kw: 3,
    strideH: l.stride,
    strideW: l.stride,
    padTop: 1,
    padLeft: 1,
    dilationH: 1,
    dilationW: 1,
    group: 1,
    oh: l.oh,
    ow: l.ow,
  };
}

function operands(g: Conv2dGeometry) {
  const x = new Float32Array(g.n * g.c * g.h * g.w).map((_, i) => Math.sin(i * 0.37));
  const w = new Float32Array(g.o * g.c * g.kh * g.kw).map((_, i) => Math.cos(i * 0.11) * 0.1);
  const bias = new Float32Array(g.o).map((_, i) => i * 0.01);
  return { x, w, bias };
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** Best of `repeat` runs after one warm-up, in seconds. */
async function best(repeat: number, run: () => unknown): Promise<number> {
  await run();
  let fastest = Number.POSITIVE_INFINITY;
  for (let i = 0; i < repeat; i++) {
    const t0 = performance.now();
    await run();
    fastest = Math.min(fastest, (performance.now() - t0) / 1000);
  }
  return fastest;
}

const gmacs = (macs: number, seconds: number) => (macs / seconds / 1e9).toFixed(2);

async function main(): Promise<void> {
  const repeat = Number(arg("repeat") ?? 3);
  const threads = Number(arg("threads") ?? 2);
  const engine = (arg("engine") ?? "wasm") as EngineName;
  const largest = [...PYDNET].sort((a, b) => conv2dMacs(geometry(b)) - conv2dMacs(geometry(a))).slice(0, 3);

  const shapes = arg("shapes");
  if (shapes !== undefined) {
    for (const shape of shapes.split(",")) {
      const [rows, vectors] = shape.split("x").map(Number) as [number, number];
      const e = gemmEngine(engine, rows, vectors);
      const cells: string[] = [];
      for (const l of largest) {
        const g = geometry(l);
        const { x, w, bias } = operands(g);
        const out = new Float32Array(g.n * g.o * g.oh * g.ow);
        const s = await best(repeat, () => conv2dRowsInto(x, w, bias, g, 0, g.oh, out, e));
        cells.push(`${l.name}: ${gmacs(conv2dMacs(g), s)}`);
      }
      console.log(`${engine} ${rows}x${vectors * 4}  ${cells.join("  ")}  (G MAC/s)`);
    }
    return;
  }

  const pool = KernelPool.shared(threads);
  console.log(
    `engine ${gemmEngine(engine).name}, pool of ${threads} threads (caller + ${threads - 1} workers), best of ${repeat}`,
  );
  console.log("layer | G MAC | sync ms | sync G MAC/s | pool ms | pool G MAC/s");
  for (const l of largest) {
    const g = geometry(l);
    const { x, w, bias } = operands(g);
    const macs = conv2dMacs(g);
    const sync = await best(repeat, () => conv2d(x, w, bias, g, { engine }));
    const pooled = await best(repeat, () => pool.conv2d(x, w, bias, g));
    console.log(
      `${l.name} | ${(macs / 1e9).toFixed(3)} | ${(sync * 1e3).toFixed(1)} | ${gmacs(macs, sync)} | ${(pooled * 1e3).toFixed(1)} | ${gmacs(macs, pooled)}`,
    );
  }

  // Not in PyDNet, but in the executor's repertoire: a decoder-style upsampling and a square GEMM.
  const t = convTransposeGeometry({
    n: 1,
    c: 64,
    h: 48,
    w: 160,
    o: 32,
    kh: 4,
    kw: 4,
    strides: [2, 2],
    pads: [1, 1, 1, 1],
  });
  const tx = new Float32Array(t.c * t.h * t.w).map((_, i) => Math.sin(i));
  const tw = new Float32Array(t.c * t.o * 16).map((_, i) => Math.cos(i) * 0.1);
  const tMacs = convTranspose2dMacs(t);
  const tSync = await best(repeat, () => convTranspose2d(tx, tw, undefined, t, { engine }));
  const tPool = await best(repeat, () => pool.convTranspose2d(tx, tw, undefined, t));
  console.log(
    `convT 64→32 4×4 s2 @96×320 | ${(tMacs / 1e9).toFixed(3)} | ${(tSync * 1e3).toFixed(1)} | ${gmacs(tMacs, tSync)} | ${(tPool * 1e3).toFixed(1)} | ${gmacs(tMacs, tPool)}`,
  );
  const size = 1024;
  const a = new Float32Array(size * size).map((_, i) => Math.sin(i));
  const mMacs = size ** 3;
  const mSync = await best(repeat, () => matmul(a, a, size, size, size, { engine }));
  const mPool = await best(repeat, () => pool.matmul(a, a, size, size, size));
  console.log(
    `matmul ${size}³ | ${(mMacs / 1e9).toFixed(3)} | ${(mSync * 1e3).toFixed(1)} | ${gmacs(mMacs, mSync)} | ${(mPool * 1e3).toFixed(1)} | ${gmacs(mMacs, mPool)}`,
  );

  if (process.argv.includes("--model")) {
    const layers = PYDNET.map((l) => ({ g: geometry(l), ...operands(geometry(l)) }));
    const macs = layers.reduce((sum, l) => sum + conv2dMacs(l.g), 0);
    const sync = await best(repeat, () => {
      for (const l of layers) conv2d(l.x, l.w, l.bias, l.g, { engine });
    });
    const pooled = await best(repeat, async () => {
      for (const l of layers) await pool.conv2d(l.x, l.w, l.bias, l.g);
    });
    console.log(
      `all ${layers.length} convs (${(macs / 1e9).toFixed(2)} G MAC): sync ${(sync * 1e3).toFixed(0)} ms (${gmacs(macs, sync)} G MAC/s), pool ${(pooled * 1e3).toFixed(0)} ms (${gmacs(macs, pooled)} G MAC/s)`,
    );
  }
  pool.close();
}

await main();
