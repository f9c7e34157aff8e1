import type { Command } from "commander";
import { loadModel } from "../../compiler/import/index.js";
import { graphStats, printGraph } from "../../compiler/ir/printer.js";
import { printJson } from "../app/output.js";

export function registerInspect(program: Command): void {
  program
    .command("inspect <model>")
    .description("print a model's graph: operators, shapes, weight count, MACs")
    .option("--json", "print one JSON object")
    .action((modelPath: string, opts: { json?: boolean }) => {
      const graph = loadModel(modelPath);
      if (opts.json) printJson({ model: modelPath, ...graphStats(graph), metadata: graph.metadata });
      else process.stdout.write(`${printGraph(graph)}\n`);
    });
}
