import type { Command } from "commander";
import { qgraphOfBlob } from "../../compiler/blob/pack.js";
import { readBlobFile } from "../../compiler/blob/reader.js";
import { loadModel } from "../../compiler/import/index.js";
import { graphStats, printGraph } from "../../compiler/ir/printer.js";
import { formatTable, printJson } from "../app/output.js";

function inspectBlob(path: string, json: boolean): void {
  const blob = readBlobFile(path);
  const q = qgraphOfBlob(blob);
  const { qgraph: _omit, layers: _layers, ...meta } = blob.meta;
  const summary = {
    model: path,
    header: blob.header,
    sha256: blob.sha256,
    instructions: blob.program.length,
    weights_bytes: blob.weights.length,
    tables_bytes: blob.tables.length,
    input: { name: q.input, shape: q.values.get(q.input)!.shape, encoding: q.values.get(q.input)!.enc.kind },
    output: {
      name: q.output,
      shape: q.values.get(q.output)!.shape,
      encoding: q.values.get(q.output)!.enc.kind,
    },
    layers: q.nodes.length,
    meta,
  };
  if (json) {
    printJson(summary);
    return;
  }
  const h = blob.header;
  process.stdout.write(
    `quart blob v${h.formatVersion}, ISA v${h.isaVersion} (hash ${h.isaHash.toString(16)}), target ${h.target}, ` +
      `${h.totalBytes} bytes, sha256 ${blob.sha256.slice(0, 16)}…\n` +
      `${formatTable(
        h.sections.map((s) => [s.kind, s.offset, s.size, s.crc32.toString(16).padStart(8, "0")]),
        ["section", "offset", "bytes", "crc32"],
      )}\n` +
      `${blob.program.length} instructions, ${q.nodes.length} layers, input ${q.input} ${JSON.stringify(summary.input.shape)} ${summary.input.encoding}, ` +
      `output ${q.output} ${JSON.stringify(summary.output.shape)} ${summary.output.encoding}\n` +
      `recipe ${String(meta.recipe ?? "?")}, method ${String(meta.method ?? "?")}, calibration images ${String(meta.calibration_images ?? "?")}\n`,
  );
}

export function registerInspect(program: Command): void {
  program
    .command("inspect <model>")
    .description(
      "print a model's graph (ops, shapes, weights, MACs) or a compiled blob's header and sections",
    )
    .option("--json", "print one JSON object")
    .action((modelPath: string, opts: { json?: boolean }) => {
      if (modelPath.endsWith(".bin")) return inspectBlob(modelPath, Boolean(opts.json));
      const graph = loadModel(modelPath);
      if (opts.json) printJson({ model: modelPath, ...graphStats(graph), metadata: graph.metadata });
      else process.stdout.write(`${printGraph(graph)}\n`);
    });
}
