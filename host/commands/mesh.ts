import { basename } from "node:path";
import type { Command } from "commander";
import { writeFileAtomic } from "../../compiler/data/atomic-write.js";
import { readImage } from "../../compiler/data/image.js";
import { printJson, UserError } from "../app/output.js";
import { countValid, readDepthMap } from "../mesh/depth-map.js";
import { serializeStl } from "../mesh/stl.js";
import { DEFAULT_MAX_JUMP, depthToSurface, parseIntrinsics } from "../mesh/surface.js";

interface MeshOptions {
  output: string;
  intrinsics?: string;
  image?: string;
  step: string;
  scale?: string;
  maxDepth?: string;
  maxJump: string;
  unit?: string;
  ascii?: boolean;
  json?: boolean;
}

function positive(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (!(Number.isFinite(v) && v > 0)) throw new UserError(`${name} must be a positive number, got "${text}"`);
  return v;
}

export function registerMesh(program: Command): void {
  program
    .command("mesh <depth>")
    .description("turn a depth map (16-bit grey PNG or .npy) into a 3D surface mesh (STL)")
    .requiredOption("-o, --output <stl>", "STL file to write")
    .option(
      "--intrinsics <fx,fy,cx,cy>",
      "camera intrinsics in pixels: back-project to 3D (else a height field)",
    )
    .option("--image <rgb>", "colour the facets from this image (binary STL colour attribute)")
    .option("--step <n>", "sample every n-th pixel", "1")
    .option("--scale <s>", "output units per depth unit (height field: relief per depth unit; default auto)")
    .option("--max-depth <m>", "treat depths beyond m as invalid")
    .option(
      "--max-jump <r>",
      "drop triangles whose depths spread more than r × the nearest ('off' keeps all)",
      String(DEFAULT_MAX_JUMP),
    )
    .option("--unit <u>", "depth per stored value (default 0.001 for PNG: mm → m; 1 for .npy)")
    .option("--ascii", "write ASCII STL instead of binary")
    .option("--json", "print one JSON object")
    .action((depthPath: string, opts: MeshOptions) => {
      if (!opts.output.toLowerCase().endsWith(".stl"))
        throw new UserError(`--output must be an .stl file, got ${basename(opts.output)}`);
      const step = Number(opts.step);
      if (!(Number.isInteger(step) && step >= 1))
        throw new UserError(`--step must be a positive integer, got "${opts.step}"`);
      const maxJump = opts.maxJump === "off" ? Number.POSITIVE_INFINITY : Number(opts.maxJump);
      if (!(maxJump >= 0))
        throw new UserError(`--max-jump must be a number ≥ 0 or "off", got "${opts.maxJump}"`);
      const unit = positive("--unit", opts.unit);
      const scale = positive("--scale", opts.scale);
      const maxDepth = positive("--max-depth", opts.maxDepth);
      const depth = readDepthMap(depthPath, unit === undefined ? {} : { unit });
      const start = Date.now();
      const surface = depthToSurface(depth, {
        step,
        maxJump,
        ...(opts.intrinsics ? { intrinsics: parseIntrinsics(opts.intrinsics) } : {}),
        ...(scale === undefined ? {} : { scale }),
        ...(maxDepth === undefined ? {} : { maxDepth }),
        ...(opts.image ? { image: readImage(opts.image) } : {}),
      });
      if (surface.triangles === 0)
        throw new UserError(
          `no triangles to write: ${surface.skippedInvalid} touch pixels without depth, ${surface.skippedJumps} cross depth jumps (try --max-jump off or a smaller --step)`,
        );
      const format = opts.ascii ? "ascii" : "binary";
      const bytes = serializeStl(surface.geometry, { format, name: `quart ${basename(depthPath)}` });
      writeFileAtomic(opts.output, bytes);
      const summary = {
        output: opts.output,
        vertices: surface.vertices,
        triangles: surface.triangles,
        bytes: bytes.length,
        format,
        mode: surface.mode,
        width: depth.width,
        height: depth.height,
        valid_pixels: countValid(depth),
        step,
        scale: surface.scale,
        skipped_invalid: surface.skippedInvalid,
        skipped_jumps: surface.skippedJumps,
        seconds: (Date.now() - start) / 1000,
      };
      if (opts.json) printJson(summary);
      else
        process.stderr.write(
          `wrote ${opts.output}: ${surface.triangles} triangles, ${surface.vertices} vertices (${surface.mode}, ${bytes.length} bytes); ` +
            `dropped ${surface.skippedInvalid} at missing depth, ${surface.skippedJumps} at depth jumps\n`,
        );
    });
}
