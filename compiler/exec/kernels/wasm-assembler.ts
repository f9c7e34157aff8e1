/**
 * A minimal WebAssembly binary writer: just enough of the format (types, one memory, functions, exports,
 * structured control flow, i32 and f32x4 SIMD instructions) to assemble the GEMM micro-kernels at load
 * time, so the project needs no wasm toolchain and the kernel source stays readable TypeScript.
 */

export const ValType = { i32: 0x7f, f32: 0x7d, v128: 0x7b } as const;
export type ValType = (typeof ValType)[keyof typeof ValType];

/** Unsigned LEB128, the variable-length integer encoding used throughout the format. */
export function uleb128(value: number): number[] {
  if (!Number.isInteger(value) || value < 0)
    throw new Error(`uleb128: ${value} is not a non-negative integer`);
  const bytes: number[] = [];
  do {
    let byte = value & 0x7f;
    value = Math.floor(value / 128);
    if (value !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (value !== 0);
  return bytes;
}

/** Signed LEB128 for i32.const immediates. */
export function sleb128(value: number): number[] {
  if (!Number.isInteger(value) || value < -(2 ** 31) || value >= 2 ** 31) {
    throw new Error(`sleb128: ${value} is not a 32-bit integer`);
  }
  const bytes: number[] = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    const done = (value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0);
    bytes.push(done ? byte : byte | 0x80);
    if (done) return bytes;
  }
}

function utf8Name(name: string): number[] {
  const bytes = [...new TextEncoder().encode(name)];
  return [...uleb128(bytes.length), ...bytes];
}

function vector(items: number[][]): number[] {
  return [...uleb128(items.length), ...items.flat()];
}

function section(id: number, payload: number[]): number[] {
  return [id, ...uleb128(payload.length), ...payload];
}

/** Instruction stream for one function body; each method appends one instruction and returns `this`. */
export class CodeWriter {
  readonly bytes: number[] = [];

  private op(...bytes: number[]): this {
    this.bytes.push(...bytes);
    return this;
  }

  private simd(opcode: number, ...immediates: number[]): this {
    return this.op(0xfd, ...uleb128(opcode), ...immediates);
  }

  private memarg(alignLog2: number, offset: number): number[] {
    return [...uleb128(alignLog2), ...uleb128(offset)];
  }

  block(): this {
    return this.op(0x02, 0x40);
  }
  loop(): this {
    return this.op(0x03, 0x40);
  }
  if(): this {
    return this.op(0x04, 0x40);
  }
  else(): this {
    return this.op(0x05);
  }
  end(): this {
    return this.op(0x0b);
  }
  /** Branch to the enclosing label `depth` levels out (0 = innermost). */
  br(depth: number): this {
    return this.op(0x0c, ...uleb128(depth));
  }
  brIf(depth: number): this {
    return this.op(0x0d, ...uleb128(depth));
  }

  localGet(index: number): this {
    return this.op(0x20, ...uleb128(index));
  }
  localSet(index: number): this {
    return this.op(0x21, ...uleb128(index));
  }
  localTee(index: number): this {
    return this.op(0x22, ...uleb128(index));
  }

  i32Const(value: number): this {
    return this.op(0x41, ...sleb128(value));
  }
  i32Load(offset = 0): this {
    return this.op(0x28, ...this.memarg(2, offset));
  }
  i32Eqz(): this {
    return this.op(0x45);
  }
  i32Add(): this {
    return this.op(0x6a);
  }
  i32Sub(): this {
    return this.op(0x6b);
  }
  i32Mul(): this {
    return this.op(0x6c);
  }

  /** Addresses are only guaranteed 4-byte aligned, so every vector access declares 4-byte alignment. */
  v128Load(offset = 0): this {
    return this.simd(0x00, ...this.memarg(2, offset));
  }
  v128Load32Splat(offset = 0): this {
    return this.simd(0x09, ...this.memarg(2, offset));
  }
  v128Store(offset = 0): this {
    return this.simd(0x0b, ...this.memarg(2, offset));
  }
  f32x4Add(): this {
    return this.simd(0xe4);
  }
  f32x4Mul(): this {
    return this.simd(0xe6);
  }
}

export interface WasmFunction {
  name: string;
  params: ValType[];
  results: ValType[];
  /** Extra locals after the parameters, in declaration order. */
  locals: ValType[];
  body: CodeWriter;
}

/** Groups consecutive locals of one type, as the code section's local declarations require. */
function localDeclarations(locals: ValType[]): number[][] {
  const runs: number[][] = [];
  let i = 0;
  while (i < locals.length) {
    let j = i;
    while (j < locals.length && locals[j] === locals[i]) j++;
    runs.push([...uleb128(j - i), locals[i]!]);
    i = j;
  }
  return runs;
}

/** Assembles a module that defines one exported linear memory ("memory") and exports every function. */
export function assembleModule(functions: WasmFunction[], initialMemoryPages: number): Uint8Array {
  const types = functions.map((f) => [
    0x60,
    ...vector(f.params.map((t) => [t])),
    ...vector(f.results.map((t) => [t])),
  ]);
  const functionTypes = functions.map((_, i) => uleb128(i));
  const memory = [[0x00, ...uleb128(initialMemoryPages)]];
  const exports = [
    [...utf8Name("memory"), 0x02, 0x00],
    ...functions.map((f, i) => [...utf8Name(f.name), 0x00, ...uleb128(i)]),
  ];
  const bodies = functions.map((f) => {
    const body = [...vector(localDeclarations(f.locals)), ...f.body.bytes, 0x0b];
    return [...uleb128(body.length), ...body];
  });
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vector(types)),
    ...section(3, vector(functionTypes)),
    ...section(5, vector(memory)),
    ...section(7, vector(exports)),
    ...section(10, vector(bodies)),
  ]);
}
