import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { encodePng } from "../../../compiler/data/image.js";
import { encodeNpy } from "../../../compiler/data/npy.js";
import { projectRoot } from "../../../compiler/paths.js";
import { decodeDepthMap } from "../../../host/mesh/depth-map.js";
import { serializeStl } from "../../../host/mesh/stl.js";
import { depthToSurface, gridPositions } from "../../../host/mesh/surface.js";
import { distinctVertices, parseStl } from "./stl-reader.js";

const run = promisify(execFile);
const cli = join(projectRoot(), "dist", "host", "cli.js");

async function quart(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const r = await run(process.execPath, [cli, ...args]);
    return { ...r, code: 0 };
  } catch (e) {
    const err = e as { stdout: string; stderr: string; code: number };
    return { stdout: err.stdout, stderr: err.stderr, code: err.code };
  }
}

/** A 16-bit depth PNG (millimetres) from a function of the pixel position. */
function depthPng(
  dir: string,
  name: string,
  w: number,
  h: number,
  mm: (u: number, v: number) => number,
): string {
  const data = new Uint16Array(w * h);
  for (let v = 0; v < h; v++) for (let u = 0; u < w; u++) data[v * w + u] = mm(u, v);
  const path = join(dir, name);
  writeFileSync(path, encodePng({ width: w, height: h, channels: 1, bitDepth: 16, data }));
  return path;
}

const close = (a: number, b: number, eps = 1e-5) => Math.abs(a - b) <= eps;

test("a plane at 2 m with known intrinsics back-projects to the expected vertices and facets", async () => {
  const dir = mkdtempSync(join(tmpdir(), "quart-mesh-"));
  const depth = depthPng(dir, "plane.png", 5, 4, () => 2000);
  const out = join(dir, "plane.stl");
  const r = await quart("mesh", depth, "-o", out, "--intrinsics", "100,100,2,1.5", "--json");
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as Record<string, number | string>;
  assert.equal(j.vertices, 20);
  assert.equal(j.triangles, 2 * 4 * 3);
  assert.equal(j.mode, "camera");
  const bytes = readFileSync(out);
  assert.equal(j.bytes, bytes.length);
  assert.equal(bytes.length, 84 + 50 * 24);
  const stl = parseStl(new Uint8Array(bytes));
  assert.equal(stl.format, "binary");
  assert.equal(stl.triangles.length, 24);
  const expected = new Set<string>();
  for (let v = 0; v < 4; v++)
    for (let u = 0; u < 5; u++)
      expected.add([((u - 2) * 2) / 100, ((v - 1.5) * 2) / 100, 2].map((x) => x.toFixed(5)).join(","));
  const got = new Set(distinctVertices(stl).map((p) => p.map((x) => x.toFixed(5)).join(",")));
  assert.deepEqual(got, expected);
  for (const t of stl.triangles) {
    assert.ok(
      close(t.normal[0], 0) && close(t.normal[1], 0) && close(t.normal[2], -1),
      `facet faces the camera: ${t.normal}`,
    );
  }
  assert.deepEqual(readdirSync(dir).sort(), ["plane.png", "plane.stl"], "no temporary files left");
});

test("--step samples every n-th pixel and keeps the last row and column", async () => {
  assert.deepEqual(gridPositions(9, 3), [0, 3, 6, 8]);
  assert.deepEqual(gridPositions(7, 3), [0, 3, 6]);
  const dir = mkdtempSync(join(tmpdir(), "quart-mesh-"));
  const depth = depthPng(dir, "plane.png", 9, 5, () => 1000);
  const out = join(dir, "step.stl");
  const r = await quart("mesh", depth, "-o", out, "--step", "3", "--intrinsics", "10,10,4,2", "--json");
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as Record<string, number>;
  assert.equal(j.vertices, 4 * 3);
  assert.equal(j.triangles, 2 * 3 * 2);
  const xs = [...new Set(distinctVertices(parseStl(new Uint8Array(readFileSync(out)))).map((p) => p[0]))];
  assert.deepEqual(
    xs.sort((a, b) => a - b).map((x) => x.toFixed(4)),
    [0, 3, 6, 8].map((u) => ((u - 4) / 10).toFixed(4)),
  );
});

test("triangles touching missing depth or crossing a depth jump are dropped", () => {
  const w = 5;
  const h = 4;
  const flat = new Float32Array(w * h).fill(2);
  flat[1 * w + 2] = Number.NaN; // an interior vertex belongs to 6 triangles
  const holed = depthToSurface(
    { width: w, height: h, data: flat },
    { intrinsics: { fx: 1, fy: 1, cx: 0, cy: 0 } },
  );
  assert.equal(holed.triangles, 24 - 6);
  assert.equal(holed.skippedInvalid, 6);
  assert.equal(holed.vertices, 19);

  const step = new Float32Array(w * h);
  for (let i = 0; i < step.length; i++) step[i] = i % w < 3 ? 1 : 3; // a 1 m → 3 m edge between columns 2 and 3
  const map = { width: w, height: h, data: step };
  const cut = depthToSurface(map, {});
  assert.equal(cut.skippedJumps, 2 * 3, "the column of cells across the edge");
  assert.equal(cut.triangles, 24 - 6);
  const kept = depthToSurface(map, { maxJump: Number.POSITIVE_INFINITY });
  assert.equal(kept.triangles, 24);
  const clipped = depthToSurface(map, { maxDepth: 2 });
  assert.equal(clipped.triangles, 2 * 3 * 2, "depths beyond --max-depth count as missing");
});

test("a float .npy makes a height field; near pixels stand up, NaN is a hole", () => {
  const data = new Float32Array([1, 1, 1, 3, 3, Number.NaN]);
  const bytes = encodeNpy({ dtype: "float32", shape: [1, 2, 3], data });
  const map = decodeDepthMap(bytes, "d.npy");
  assert.equal(map.width, 3);
  assert.equal(map.height, 2);
  const s = depthToSurface(map, { scale: 1, maxJump: Number.POSITIVE_INFINITY });
  assert.equal(s.mode, "heightfield");
  assert.equal(s.triangles, 3, "one triangle of the right cell touches the NaN corner");
  assert.equal(s.skippedInvalid, 1);
  const stl = parseStl(serializeStl(s.geometry));
  const byPixel = new Map(distinctVertices(stl).map((p) => [`${p[0]},${p[1]}`, p[2]]));
  // X = u, Y = H − 1 − v, Z = (far − z)·scale with far = 3
  assert.equal(byPixel.get("0,1"), 2);
  assert.equal(byPixel.get("1,0"), 0);
  for (const t of stl.triangles) assert.ok(t.normal[2] > 0, "height-field facets face up");
});

test("ASCII STL and facet colours from --image", async () => {
  const dir = mkdtempSync(join(tmpdir(), "quart-mesh-"));
  const depth = depthPng(dir, "d.png", 4, 3, () => 1500);
  const red = new Uint8Array(8 * 6 * 3);
  for (let i = 0; i < red.length; i += 3) red[i] = 255;
  const rgb = join(dir, "rgb.png");
  writeFileSync(rgb, encodePng({ width: 8, height: 6, channels: 3, bitDepth: 8, data: red }));
  const bin = join(dir, "c.stl");
  const r1 = await quart("mesh", depth, "-o", bin, "--image", rgb, "--json");
  assert.equal(r1.code, 0, r1.stderr);
  const coloured = parseStl(new Uint8Array(readFileSync(bin)));
  assert.equal(coloured.triangles.length, 12);
  for (const t of coloured.triangles) assert.equal(t.attribute, 0x8000 | (31 << 10));
  const ascii = join(dir, "a.stl");
  const r2 = await quart("mesh", depth, "-o", ascii, "--ascii", "--intrinsics", "50,50,1.5,1", "--json");
  assert.equal(r2.code, 0, r2.stderr);
  const text = parseStl(new Uint8Array(readFileSync(ascii)));
  assert.equal(text.format, "ascii");
  assert.equal(text.triangles.length, 12);
  assert.equal(distinctVertices(text).length, 12);
  for (const t of text.triangles) for (const v of t.vertices) assert.ok(close(v[2], 1.5));
});

test("bad inputs end with a one-line reason and no output file", async () => {
  const dir = mkdtempSync(join(tmpdir(), "quart-mesh-bad-"));
  const good = depthPng(dir, "good.png", 4, 4, () => 1000);
  const empty = depthPng(dir, "empty.png", 4, 4, () => 0);
  const rgb = join(dir, "rgb.png");
  writeFileSync(rgb, encodePng({ width: 2, height: 2, channels: 3, bitDepth: 8, data: new Uint8Array(12) }));
  const junk = join(dir, "junk.npy");
  writeFileSync(junk, "not an array");
  const cube = join(dir, "cube.npy");
  writeFileSync(cube, encodeNpy({ dtype: "float32", shape: [2, 2, 2], data: new Float32Array(8).fill(1) }));
  const out = join(dir, "out.stl");
  const cases: [string[], RegExp][] = [
    [["mesh", rgb, "-o", out], /colour PNG.*single-channel/],
    [["mesh", join(dir, "absent.png"), "-o", out], /absent\.png: depth map not found/],
    [["mesh", junk, "-o", out], /not a depth map/],
    [["mesh", cube, "-o", out], /one H×W plane/],
    [["mesh", empty, "-o", out], /no valid pixels/],
    [["mesh", good, "-o", join(dir, "out.obj")], /must be an \.stl file/],
    [["mesh", good, "-o", out, "--intrinsics", "1,2,3"], /four numbers fx,fy,cx,cy/],
    [["mesh", good, "-o", out, "--step", "0"], /--step must be a positive integer/],
    [["mesh", good, "-o", out, "--max-jump", "-1"], /--max-jump/],
    [["mesh", good, "-o", out, "--max-depth", "0.5"], /no valid pixels within --max-depth/],
  ];
  for (const [args, pattern] of cases) {
    const r = await quart(...args);
    assert.notEqual(r.code, 0, `${args.join(" ")} should fail`);
    assert.match(r.stderr, pattern, args.join(" "));
    assert.equal(r.stderr.trim().split("\n").length, 1, `one line: ${r.stderr}`);
  }
  assert.ok(!readdirSync(dir).some((f) => f.endsWith(".stl") || f.endsWith(".tmp")), "no output written");
});
