/**
 * One 192×640 PyDNet-mobile frame through the float executor, pooled (all cores) and single-thread.
 *
 *   npm run build && node dist/bench/float-executor.js [--repeat N]
 *
 * Prints the median wall time per frame and the effective G MAC/s of each backend as JSON.
 */
import { readFileSync } from "node:fs";
import { readNpy } from "../compiler/data/npy.js";
import { type GemmBackend, pooledBackend, runGraph, syncBackend } from "../compiler/exec/float.js";
import { KernelPool } from "../compiler/exec/kernels/pool.js";
import { importTflite } from "../compiler/import/tflite.js";
import { graphStats } from "../compiler/ir/printer.js";
import { missingShared, pydnetModelPath, sharedPath } from "../compiler/paths.js";

const repeat = Number(process.argv[process.argv.indexOf("--repeat") + 1]) || 5;
const inputs = sharedPath("models", "pydnet-mobile", "reference_inputs.npy");
const missing = missingShared([pydnetModelPath(), inputs]);
if (missing) {
  process.stderr.write(`${missing}\n`);
  process.exit(1);
}
const graph = importTflite(new Uint8Array(readFileSync(pydnetModelPath())));
const macs = graphStats(graph).macs;
const x = readNpy(inputs);
const feed = {
  [graph.inputs[0]!]: {
    dtype: "float32" as const,
    shape: [1, 3, 192, 640],
    data: Float32Array.from(x.data.subarray(0, 3 * 192 * 640)),
  },
};

async function time(backend: GemmBackend): Promise<number> {
  const times: number[] = [];
  await runGraph(graph, feed, { backend });
  for (let i = 0; i < repeat; i++) {
    const t = performance.now();
    await runGraph(graph, feed, { backend });
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]! / 1000;
}

const pooled = await time(pooledBackend());
const sync = await time(syncBackend);
KernelPool.shared().close();
const row = (s: number) => ({
  seconds_per_frame: Number(s.toFixed(3)),
  gmac_per_s: Number((macs / s / 1e9).toFixed(2)),
});
process.stdout.write(
  `${JSON.stringify({ model: graph.name, macs, repeat, pooled: row(pooled), single_thread: row(sync) }, null, 2)}\n`,
);
