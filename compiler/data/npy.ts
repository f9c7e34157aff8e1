import { endianness } from "node:os";
import { writeFileAtomic } from "./atomic-write.js";
import { DataError } from "./errors.js";
import { readFileBytes } from "./files.js";

/** Element types we read and write; the .npy descr of each is little-endian (or byte-sized). */
export type NpyDtype = "float32" | "float64" | "int32" | "uint8" | "int8" | "int16" | "uint16";

export type NpyData =
  | Float32Array
  | Float64Array
  | Int32Array
  | Uint8Array
  | Int8Array
  | Int16Array
  | Uint16Array;

/** An n-dimensional array in C (row-major) order. */
export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  data: NpyData;
}

interface DtypeInfo {
  dtype: NpyDtype;
  descr: string;
  bytes: number;
  make: (buffer: ArrayBuffer) => NpyData;
  matches: (data: NpyData) => boolean;
}

const DTYPES: readonly DtypeInfo[] = [
  {
    dtype: "float32",
    descr: "<f4",
    bytes: 4,
    make: (b) => new Float32Array(b),
    matches: (d) => d instanceof Float32Array,
  },
  {
    dtype: "float64",
    descr: "<f8",
    bytes: 8,
    make: (b) => new Float64Array(b),
    matches: (d) => d instanceof Float64Array,
  },
  {
    dtype: "int32",
    descr: "<i4",
    bytes: 4,
    make: (b) => new Int32Array(b),
    matches: (d) => d instanceof Int32Array,
  },
  {
    dtype: "uint8",
    descr: "|u1",
    bytes: 1,
    make: (b) => new Uint8Array(b),
    matches: (d) => d instanceof Uint8Array,
  },
  {
    dtype: "int8",
    descr: "|i1",
    bytes: 1,
    make: (b) => new Int8Array(b),
    matches: (d) => d instanceof Int8Array,
  },
  {
    dtype: "int16",
    descr: "<i2",
    bytes: 2,
    make: (b) => new Int16Array(b),
    matches: (d) => d instanceof Int16Array,
  },
  {
    dtype: "uint16",
    descr: "<u2",
    bytes: 2,
    make: (b) => new Uint16Array(b),
    matches: (d) => d instanceof Uint16Array,
  },
];

/** numpy spells byte-sized types with '|' but also accepts '<' / '=' for them; bool is read as uint8. */
function dtypeFromDescr(descr: string): DtypeInfo | undefined {
  const aliases: Record<string, string> = {
    "<u1": "|u1",
    "=u1": "|u1",
    "<i1": "|i1",
    "=i1": "|i1",
    "|b1": "|u1",
  };
  const canonical = aliases[descr] ?? descr;
  return DTYPES.find((d) => d.descr === canonical);
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

type PyValue = string | number | boolean | null | PyValue[] | { [key: string]: PyValue };

/**
 * Parser for the Python literal subset numpy writes in .npy headers: dicts, tuples/lists,
 * quoted strings, integers, True/False/None.
 */
class HeaderParser {
  private pos = 0;
  constructor(
    private readonly text: string,
    private readonly name: string,
  ) {}

  parseAll(): PyValue {
    const value = this.value();
    this.skipSpace();
    if (this.pos !== this.text.length) this.fail(`unexpected text after the header dict`);
    return value;
  }

  private fail(problem: string): never {
    throw new DataError(
      `${this.name}: malformed .npy header (${problem} at column ${this.pos}): ${this.text}`,
    );
  }

  private skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos++;
  }

  private value(): PyValue {
    this.skipSpace();
    const ch = this.text[this.pos];
    if (ch === "{") return this.dict();
    if (ch === "(" || ch === "[") return this.sequence(ch === "(" ? ")" : "]");
    if (ch === "'" || ch === '"') return this.string();
    const word = /^(True|False|None|-?\d+L?)/.exec(this.text.slice(this.pos));
    if (!word) this.fail("expected a value");
    this.pos += word[0].length;
    if (word[0] === "True") return true;
    if (word[0] === "False") return false;
    if (word[0] === "None") return null;
    return Number.parseInt(word[0], 10);
  }

  private string(): string {
    const quote = this.text[this.pos]!;
    const end = this.text.indexOf(quote, this.pos + 1);
    if (end < 0) this.fail("unterminated string");
    const s = this.text.slice(this.pos + 1, end);
    this.pos = end + 1;
    return s;
  }

  private sequence(close: string): PyValue[] {
    this.pos++;
    const items: PyValue[] = [];
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] === close) {
        this.pos++;
        return items;
      }
      items.push(this.value());
      this.skipSpace();
      if (this.text[this.pos] === ",") this.pos++;
      else if (this.text[this.pos] !== close) this.fail(`expected ',' or '${close}'`);
    }
  }

  private dict(): { [key: string]: PyValue } {
    this.pos++;
    const out: { [key: string]: PyValue } = {};
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] === "}") {
        this.pos++;
        return out;
      }
      const key = this.value();
      if (typeof key !== "string") this.fail("dict keys must be strings");
      this.skipSpace();
      if (this.text[this.pos] !== ":") this.fail("expected ':'");
      this.pos++;
      out[key] = this.value();
      this.skipSpace();
      if (this.text[this.pos] === ",") this.pos++;
      else if (this.text[this.pos] !== "}") this.fail("expected ',' or '}'");
    }
  }
}

function requireLittleEndianHost(): void {
  // typed arrays use host byte order and .npy data here is little-endian
  if (endianness() !== "LE") throw new DataError("npy: only little-endian hosts are supported");
}

/** Decodes .npy bytes (format versions 1, 2 and 3). Fortran order, big-endian and structured dtypes are rejected. */
export function parseNpy(bytes: Uint8Array, nameForErrors: string): NpyArray {
  requireLittleEndianHost();
  const name = nameForErrors;
  if (bytes.length < 10 || !MAGIC.every((b, i) => bytes[i] === b)) {
    throw new DataError(`${name}: not a .npy file (missing the \\x93NUMPY magic)`);
  }
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new DataError(`${name}: truncated .npy header`);
    headerLen = view.getUint32(8, true);
    headerStart = 12;
  } else {
    throw new DataError(`${name}: unsupported .npy format version ${major}.${bytes[7]} (supported: 1, 2, 3)`);
  }
  const dataStart = headerStart + headerLen;
  if (dataStart > bytes.length) {
    throw new DataError(
      `${name}: truncated .npy header (needs ${dataStart} bytes, file has ${bytes.length})`,
    );
  }
  const headerText = new TextDecoder(major === 3 ? "utf-8" : "latin1")
    .decode(bytes.subarray(headerStart, dataStart))
    .trim();
  const header = new HeaderParser(headerText, name).parseAll();
  if (header === null || typeof header !== "object" || Array.isArray(header)) {
    throw new DataError(`${name}: .npy header is not a dict: ${headerText}`);
  }
  const { descr, fortran_order: fortranOrder, shape } = header;
  if (typeof descr !== "string") {
    throw new DataError(
      `${name}: structured or missing dtype in .npy header (descr = ${JSON.stringify(descr)})`,
    );
  }
  const info = dtypeFromDescr(descr);
  if (!info) {
    const hint = descr.startsWith(">") ? " (big-endian data is not supported)" : "";
    throw new DataError(
      `${name}: unsupported .npy dtype '${descr}'${hint}; supported: ${DTYPES.map((d) => `${d.dtype} (${d.descr})`).join(", ")}`,
    );
  }
  if (fortranOrder !== false) {
    throw new DataError(
      `${name}: Fortran-ordered .npy arrays are not supported (save with np.ascontiguousarray)`,
    );
  }
  if (!Array.isArray(shape) || !shape.every((d) => typeof d === "number" && Number.isInteger(d) && d >= 0)) {
    throw new DataError(`${name}: bad shape in .npy header: ${JSON.stringify(shape)}`);
  }
  const dims = shape as number[];
  const count = dims.reduce((a, b) => a * b, 1);
  const byteCount = count * info.bytes;
  const available = bytes.length - dataStart;
  if (available !== byteCount) {
    const problem = available < byteCount ? "truncated" : "has trailing bytes";
    throw new DataError(
      `${name}: .npy data ${problem}: shape (${dims.join(", ")}) of ${info.dtype} needs ${byteCount} bytes, file has ${available}`,
    );
  }
  // copy so the typed array is aligned and does not pin the file buffer
  // (Buffer#slice would return a view into Node's shared pool, hence the explicit copy)
  const copy = new Uint8Array(bytes.subarray(dataStart, dataStart + byteCount));
  return { dtype: info.dtype, shape: dims, data: info.make(copy.buffer) };
}

export function readNpy(path: string): NpyArray {
  return parseNpy(readFileBytes(path, ".npy file"), path);
}

/** The .npy bytes of an array: version 1 header unless it needs more than 65535 bytes, 64-byte aligned data. */
export function encodeNpy(array: NpyArray): Uint8Array {
  requireLittleEndianHost();
  const info = DTYPES.find((d) => d.dtype === array.dtype);
  if (!info) throw new DataError(`encodeNpy: unsupported dtype ${String(array.dtype)}`);
  if (!info.matches(array.data)) {
    throw new DataError(
      `encodeNpy: dtype ${array.dtype} does not match data of type ${array.data.constructor.name}`,
    );
  }
  if (!array.shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new DataError(`encodeNpy: bad shape [${array.shape.join(", ")}]`);
  }
  const count = array.shape.reduce((a, b) => a * b, 1);
  if (count !== array.data.length) {
    throw new DataError(
      `encodeNpy: shape [${array.shape.join(", ")}] holds ${count} values, data has ${array.data.length}`,
    );
  }
  const shapeText = array.shape.length === 1 ? `(${array.shape[0]},)` : `(${array.shape.join(", ")})`;
  const dict = `{'descr': '${info.descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const paddedSize = (prefix: number) => Math.ceil((prefix + dict.length + 1) / 64) * 64;
  const version = paddedSize(10) - 10 > 0xffff ? 2 : 1;
  const prefix = version === 1 ? 10 : 12;
  const padded = paddedSize(prefix);
  const headerLen = padded - prefix;
  const header = `${dict}${" ".repeat(headerLen - dict.length - 1)}\n`;
  const dataBytes = new Uint8Array(array.data.buffer, array.data.byteOffset, array.data.byteLength);
  const out = new Uint8Array(padded + dataBytes.length);
  out.set(MAGIC, 0);
  out[6] = version;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, headerLen, true);
  else view.setUint32(8, headerLen, true);
  for (let i = 0; i < header.length; i++) out[prefix + i] = header.charCodeAt(i);
  out.set(dataBytes, padded);
  return out;
}

/** Writes a .npy file so that no half-written file is ever visible at `path`. */
export function writeNpyAtomic(path: string, array: NpyArray): void {
  writeFileAtomic(path, encodeNpy(array));
}
