import { basename } from "node:path";
import type { Command } from "commander";
import { qgraphOfBlob } from "../../compiler/blob/pack.js";
import { readBlobFile } from "../../compiler/blob/reader.js";
import { openDataset } from "../../compiler/data/datasets.js";
import { readFileBytes } from "../../compiler/data/files.js";
import { type DepthExecutor, evaluateModel, floatExecutor } from "../../compiler/eval/evaluate-model.js";
import { fakeQuantExecutor, goldenExecutor } from "../../compiler/eval/quantized-executors.js";
import { decodeQGraphFile } from "../../compiler/ptq/qgraph-codec.js";
import { isaExecutor } from "../../sim/isa/executor.js";
import { openDeviceExecutor } from "../app/device-executor.js";
import { formatTable, printJson, UserError } from "../app/output.js";
import { progress } from "../app/progress.js";
import { openSimForCommand } from "../device/sim.js";
import { loadFloatModel } from "./compile.js";
import { checkDeviceIsa, readBlobFile as readDeviceBlobFile } from "./device.js";

const EXECUTORS = ["float", "golden", "fakequant", "isa", "rtl", "sim"] as const;

/**
 * `--exec sim`: the blob on the whole simulated device through the host protocol (the running `quart sim`
 * if there is one, else a fresh SoC), flashed when not already active.
 */
async function simExecutor(modelPath: string): Promise<DepthExecutor> {
  const { bytes, blob } = readDeviceBlobFile(modelPath);
  const dev = await openDeviceExecutor({
    name: basename(modelPath),
    bytes,
    blob,
    open: () => openSimForCommand(),
    prepare: async (session) => checkDeviceIsa(session.info, blob, modelPath),
  });
  return { ...dev.executor, name: "sim", close: () => dev.close() };
}

async function executorFor(modelPath: string, exec: string, inputSize?: string): Promise<DepthExecutor> {
  const isFloat = !modelPath.endsWith(".bin") && !modelPath.endsWith(".qgraph");
  if (inputSize !== undefined && !isFloat)
    throw new UserError(
      "--input-size applies to float models; a compiled model keeps the size it was compiled at",
    );
  if (!(EXECUTORS as readonly string[]).includes(exec)) {
    throw new UserError(`unknown executor "${exec}" (one of ${EXECUTORS.join(", ")})`);
  }
  if (modelPath.endsWith(".bin")) {
    const blob = readBlobFile(modelPath);
    if (exec === "golden") return goldenExecutor(qgraphOfBlob(blob));
    if (exec === "fakequant") return fakeQuantExecutor(qgraphOfBlob(blob));
    if (exec === "isa") return isaExecutor(blob);
    if (exec === "sim") return simExecutor(modelPath);
    throw new UserError(
      `executor "${exec}" is not available in this build (golden, fakequant, isa and sim run a .bin)`,
    );
  }
  if (modelPath.endsWith(".qgraph")) {
    const g = decodeQGraphFile(readFileBytes(modelPath, "quantized model"), basename(modelPath));
    if (exec === "golden") return goldenExecutor(g);
    if (exec === "fakequant") return fakeQuantExecutor(g);
    throw new UserError(
      `executor "${exec}" needs a model blob (.bin); ${basename(modelPath)} runs on golden or fakequant`,
    );
  }
  if (exec !== "float")
    throw new UserError(`executor "${exec}" needs a compiled model; ${basename(modelPath)} is a float model`);
  return floatExecutor(loadFloatModel(modelPath, inputSize));
}

export function registerEval(program: Command): void {
  program
    .command("eval <model>")
    .description("score a depth model on an RGB-D data set (AbsRel, δ1–δ3, RMSE, ...)")
    .requiredOption("--data <folder>", "data set folder (rgbd-folder v1, NYUv2 BTS, KITTI Eigen, DIODE)")
    .option("--exec <executor>", `executor: ${EXECUTORS.join(" | ")}`, "float")
    .option("--limit <n>", "evaluate only the first n frames", (v) => Number.parseInt(v, 10))
    .option(
      "--input-size <HxW>",
      "run a float model at another input resolution (as quart compile --input-size)",
    )
    .option("--json", "print one JSON object")
    .option("--per-image", "include per-image rows in the table")
    .action(
      async (
        modelPath: string,
        opts: {
          data: string;
          exec: string;
          limit?: number;
          inputSize?: string;
          json?: boolean;
          perImage?: boolean;
        },
      ) => {
        if (opts.limit !== undefined && !(opts.limit > 0))
          throw new UserError("--limit must be a positive integer");
        const dataset = openDataset(opts.data);
        const exec = await executorFor(modelPath, opts.exec, opts.inputSize);
        const total = Math.min(opts.limit ?? dataset.samples.length, dataset.samples.length);
        const bar = progress(`eval ${exec.name}`, total);
        let report: Awaited<ReturnType<typeof evaluateModel>>;
        try {
          report = await evaluateModel(exec, dataset, {
            ...(opts.limit ? { limit: opts.limit } : {}),
            onProgress: (done, _t, m) =>
              bar.update(done, `AbsRel ${m.absRel.toFixed(3)} δ1 ${m.delta1.toFixed(3)}`),
          });
        } finally {
          // A device executor holds a port (and a sim) open until closed.
          await exec.close?.();
        }
        bar.done();
        if (opts.json) {
          printJson({ model: modelPath, ...report });
          return;
        }
        const rows: (string | number)[][] = opts.perImage
          ? report.per_image.map((r) => [r.id, r.absrel, r.delta1, r.rmse])
          : [];
        rows.push([`mean (${report.n})`, report.absrel, report.delta1, report.rmse]);
        process.stdout.write(
          `${formatTable(rows, ["frame", "AbsRel", "δ1", "RMSE"])}\n` +
            `δ2 ${report.delta2.toFixed(4)}  δ3 ${report.delta3.toFixed(4)}  SqRel ${report.sqrel.toFixed(4)}  ` +
            `RMSE-log ${report.rmse_log.toFixed(4)}  SILog ${report.silog.toFixed(2)}  ` +
            `(${report.exec} executor, ${report.dataset}, ${report.seconds.toFixed(1)} s)\n`,
        );
      },
    );
}
