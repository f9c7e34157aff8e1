/**
 * STL from a geom3's polygons (convex polygons are fanned into triangles). Binary STL is the
 * default: an 80-byte header, a little-endian uint32 triangle count, then 50 bytes per triangle
 * (normal, three vertices as float32, a uint16 attribute). A facet colour is stored in the attribute
 * as VisCAM/SolidView do: bit 15 set, red in bits 10–14, green 5–9, blue 0–4. ASCII STL has no
 * colours.
 */
import jscad from "@jscad/modeling";
import type { Geom3 } from "./surface.js";

export type StlFormat = "binary" | "ascii";

export interface StlOptions {
  format?: StlFormat;
  /** Solid name (ASCII) or header text (binary). */
  name?: string;
}

type Vec = readonly number[];

/** Unit normal of triangle (a, b, c) by the right-hand rule; zeros for a degenerate triangle. */
export function triangleNormal(a: Vec, b: Vec, c: Vec): [number, number, number] {
  const ux = b[0]! - a[0]!;
  const uy = b[1]! - a[1]!;
  const uz = b[2]! - a[2]!;
  const vx = c[0]! - a[0]!;
  const vy = c[1]! - a[1]!;
  const vz = c[2]! - a[2]!;
  const nx = uy * vz - uz * vy;
  const ny = uz * vx - ux * vz;
  const nz = ux * vy - uy * vx;
  const len = Math.hypot(nx, ny, nz);
  return len > 0 ? [nx / len, ny / len, nz / len] : [0, 0, 0];
}

interface Facet {
  a: Vec;
  b: Vec;
  c: Vec;
  color: Vec | undefined;
}

function* facets(geometry: Geom3): Generator<Facet> {
  for (const polygon of jscad.geometries.geom3.toPolygons(geometry)) {
    const v = polygon.vertices;
    for (let i = 1; i + 1 < v.length; i++) yield { a: v[0]!, b: v[i]!, c: v[i + 1]!, color: polygon.color };
  }
}

/** Triangles the STL of this geometry holds. */
export function stlTriangleCount(geometry: Geom3): number {
  let n = 0;
  for (const polygon of jscad.geometries.geom3.toPolygons(geometry))
    n += Math.max(0, polygon.vertices.length - 2);
  return n;
}

function colourAttribute(color: Vec | undefined): number {
  if (!color) return 0;
  const q = (x: number) => Math.max(0, Math.min(31, Math.round((x ?? 0) * 31)));
  return 0x8000 | (q(color[0]!) << 10) | (q(color[1]!) << 5) | q(color[2]!);
}

export function binaryStl(geometry: Geom3, name = "quart mesh"): Uint8Array {
  const count = stlTriangleCount(geometry);
  const out = new Uint8Array(84 + 50 * count);
  const view = new DataView(out.buffer);
  // a binary header must not begin with "solid", or readers take the file for ASCII
  const header = name.toLowerCase().startsWith("solid") ? `mesh ${name}` : name;
  for (let i = 0; i < Math.min(80, header.length); i++) out[i] = header.charCodeAt(i) & 0x7f;
  view.setUint32(80, count, true);
  let o = 84;
  for (const f of facets(geometry)) {
    for (const x of [...triangleNormal(f.a, f.b, f.c), ...f.a, ...f.b, ...f.c]) {
      view.setFloat32(o, x, true);
      o += 4;
    }
    view.setUint16(o, colourAttribute(f.color), true);
    o += 2;
  }
  return out;
}

export function asciiStl(geometry: Geom3, name = "quart_mesh"): Uint8Array {
  const solid = name.replace(/\s+/g, "_");
  const num = (x: number) => Math.fround(x).toExponential(6);
  const vec = (v: Vec) => `${num(v[0]!)} ${num(v[1]!)} ${num(v[2]!)}`;
  const parts: string[] = [`solid ${solid}\n`];
  for (const f of facets(geometry)) {
    parts.push(
      `  facet normal ${vec(triangleNormal(f.a, f.b, f.c))}\n    outer loop\n` +
        `      vertex ${vec(f.a)}\n      vertex ${vec(f.b)}\n      vertex ${vec(f.c)}\n` +
        "    endloop\n  endfacet\n",
    );
  }
  parts.push(`endsolid ${solid}\n`);
  return new TextEncoder().encode(parts.join(""));
}

export function serializeStl(geometry: Geom3, options: StlOptions = {}): Uint8Array {
  return options.format === "ascii" ? asciiStl(geometry, options.name) : binaryStl(geometry, options.name);
}
