/** A small STL reader for tests, written independently of the writer under test (binary and ASCII). */

export interface StlTriangle {
  normal: [number, number, number];
  vertices: [number, number, number][];
  attribute: number;
}

export interface ParsedStl {
  format: "binary" | "ascii";
  header: string;
  triangles: StlTriangle[];
}

export function parseStl(bytes: Uint8Array): ParsedStl {
  const head = new TextDecoder().decode(bytes.subarray(0, 6));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const binarySize = bytes.length >= 84 ? 84 + 50 * view.getUint32(80, true) : -1;
  if (head.startsWith("solid") && binarySize !== bytes.length)
    return parseAscii(new TextDecoder().decode(bytes));
  if (binarySize !== bytes.length)
    throw new Error(`binary STL size ${bytes.length} does not match its triangle count (${binarySize})`);
  const triangles: StlTriangle[] = [];
  const count = view.getUint32(80, true);
  for (let t = 0; t < count; t++) {
    const o = 84 + 50 * t;
    const f = (k: number) => view.getFloat32(o + 4 * k, true);
    triangles.push({
      normal: [f(0), f(1), f(2)],
      vertices: [
        [f(3), f(4), f(5)],
        [f(6), f(7), f(8)],
        [f(9), f(10), f(11)],
      ],
      attribute: view.getUint16(o + 48, true),
    });
  }
  const header = new TextDecoder().decode(bytes.subarray(0, 80)).replace(/\0+$/, "");
  return { format: "binary", header, triangles };
}

function parseAscii(text: string): ParsedStl {
  const tokens = text.split(/\s+/).filter(Boolean);
  let i = 0;
  const expect = (word: string) => {
    if (tokens[i] !== word)
      throw new Error(`ASCII STL: expected "${word}" at token ${i}, got "${tokens[i]}"`);
    i++;
  };
  const num = () => {
    const v = Number(tokens[i++]);
    if (!Number.isFinite(v)) throw new Error(`ASCII STL: bad number "${tokens[i - 1]}"`);
    return v;
  };
  expect("solid");
  const header = tokens[i++] ?? "";
  const triangles: StlTriangle[] = [];
  while (tokens[i] === "facet") {
    i++;
    expect("normal");
    const normal: [number, number, number] = [num(), num(), num()];
    expect("outer");
    expect("loop");
    const vertices: [number, number, number][] = [];
    for (let k = 0; k < 3; k++) {
      expect("vertex");
      vertices.push([num(), num(), num()]);
    }
    expect("endloop");
    expect("endfacet");
    triangles.push({ normal, vertices, attribute: 0 });
  }
  expect("endsolid");
  return { format: "ascii", header, triangles };
}

/** Distinct vertices (rounded to `digits` decimals) of a parsed STL. */
export function distinctVertices(stl: ParsedStl, digits = 5): [number, number, number][] {
  const seen = new Map<string, [number, number, number]>();
  for (const t of stl.triangles)
    for (const v of t.vertices) seen.set(v.map((x) => x.toFixed(digits)).join(","), v);
  return [...seen.values()];
}
