/**
 * Typed read access to the TFLite flatbuffer (schema "TFL3"). Only the tables the importer needs are
 * described; field slots follow tensorflow/lite/schema/schema.fbs (a union field takes two slots:
 * its type, then its value).
 */
import { ByteBuffer } from "flatbuffers";

export class TfliteFormatError extends Error {
  constructor(message: string) {
    super(`not a valid TFLite model: ${message}`);
    this.name = "TfliteFormatError";
  }
}

/** A table at `pos` in `bb`; field accessors take the field's slot index from the schema. */
class Table {
  constructor(
    readonly bb: ByteBuffer,
    readonly pos: number,
    readonly what: string,
  ) {}

  private offset(slot: number): number {
    return this.bb.__offset(this.pos, 4 + 2 * slot);
  }

  has(slot: number): boolean {
    return this.offset(slot) !== 0;
  }

  int8(slot: number, dflt = 0): number {
    const o = this.offset(slot);
    return o ? this.bb.readInt8(this.pos + o) : dflt;
  }

  uint8(slot: number, dflt = 0): number {
    const o = this.offset(slot);
    return o ? this.bb.readUint8(this.pos + o) : dflt;
  }

  int32(slot: number, dflt = 0): number {
    const o = this.offset(slot);
    return o ? this.bb.readInt32(this.pos + o) : dflt;
  }

  uint32(slot: number, dflt = 0): number {
    const o = this.offset(slot);
    return o ? this.bb.readUint32(this.pos + o) : dflt;
  }

  float32(slot: number, dflt = 0): number {
    const o = this.offset(slot);
    return o ? this.bb.readFloat32(this.pos + o) : dflt;
  }

  bool(slot: number, dflt = false): boolean {
    const o = this.offset(slot);
    return o ? this.bb.readInt8(this.pos + o) !== 0 : dflt;
  }

  uint64(slot: number, dflt = 0n): bigint {
    const o = this.offset(slot);
    return o ? this.bb.readUint64(this.pos + o) : dflt;
  }

  string(slot: number): string | undefined {
    const o = this.offset(slot);
    return o ? (this.bb.__string(this.pos + o) as string) : undefined;
  }

  table(slot: number, what: string): Table | undefined {
    const o = this.offset(slot);
    return o ? new Table(this.bb, this.bb.__indirect(this.pos + o), what) : undefined;
  }

  private vector(slot: number, elemSize: number): { start: number; length: number } | undefined {
    const o = this.offset(slot);
    if (!o) return undefined;
    const start = this.bb.__vector(this.pos + o);
    const length = this.bb.__vector_len(this.pos + o);
    if (start + length * elemSize > this.bb.capacity()) {
      throw new TfliteFormatError(`${this.what}: vector at slot ${slot} runs past the end of the file`);
    }
    return { start, length };
  }

  tables(slot: number, what: string): Table[] {
    const v = this.vector(slot, 4);
    if (!v) return [];
    const out: Table[] = [];
    for (let i = 0; i < v.length; i++)
      out.push(new Table(this.bb, this.bb.__indirect(v.start + 4 * i), `${what}[${i}]`));
    return out;
  }

  int32s(slot: number): number[] {
    const v = this.vector(slot, 4);
    if (!v) return [];
    return Array.from({ length: v.length }, (_, i) => this.bb.readInt32(v.start + 4 * i));
  }

  float32s(slot: number): number[] {
    const v = this.vector(slot, 4);
    if (!v) return [];
    return Array.from({ length: v.length }, (_, i) => this.bb.readFloat32(v.start + 4 * i));
  }

  int64s(slot: number): number[] {
    const v = this.vector(slot, 8);
    if (!v) return [];
    return Array.from({ length: v.length }, (_, i) => Number(this.bb.readInt64(v.start + 8 * i)));
  }

  bytes(slot: number): Uint8Array | undefined {
    const v = this.vector(slot, 1);
    if (!v) return undefined;
    return this.bb.bytes().subarray(v.start, v.start + v.length);
  }
}

/** TensorType enum values. */
export const TensorType = {
  FLOAT32: 0,
  FLOAT16: 1,
  INT32: 2,
  UINT8: 3,
  INT64: 4,
  STRING: 5,
  BOOL: 6,
  INT16: 7,
  COMPLEX64: 8,
  INT8: 9,
  FLOAT64: 10,
} as const;

export const TENSOR_TYPE_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(TensorType).map(([k, v]) => [v, k]),
);

export interface TfliteQuantization {
  scale: number[];
  zeroPoint: number[];
  quantizedDimension: number;
}

export interface TfliteTensor {
  index: number;
  name: string;
  shape: number[];
  type: number;
  buffer: number;
  quantization?: TfliteQuantization;
}

export interface TfliteOperator {
  index: number;
  opcodeIndex: number;
  inputs: number[];
  outputs: number[];
  optionsType: number;
  options?: Table;
}

export interface TfliteOperatorCode {
  builtinCode: number;
  customCode?: string;
  version: number;
}

export interface TfliteSubgraph {
  name?: string;
  tensors: TfliteTensor[];
  inputs: number[];
  outputs: number[];
  operators: TfliteOperator[];
}

export interface TfliteModel {
  version: number;
  description?: string;
  operatorCodes: TfliteOperatorCode[];
  subgraphs: TfliteSubgraph[];
  /** Buffer contents by index; empty for buffer 0 and for tensors without data. */
  buffer(index: number): Uint8Array | undefined;
}

export type { Table as TfliteTable };

function readTensor(t: Table, index: number): TfliteTensor {
  const q = t.table(4, `tensor ${index} quantization`);
  const scale = q ? q.float32s(2) : [];
  return {
    index,
    shape: t.int32s(0),
    type: t.int8(1),
    buffer: t.uint32(2),
    name: t.string(3) ?? `tensor_${index}`,
    ...(q && scale.length
      ? { quantization: { scale, zeroPoint: q.int64s(3), quantizedDimension: q.int32(6) } }
      : {}),
  };
}

export function readTflite(bytes: Uint8Array): TfliteModel {
  if (bytes.length < 8) throw new TfliteFormatError(`file is only ${bytes.length} bytes`);
  const bb = new ByteBuffer(bytes);
  const ident = String.fromCharCode(...bytes.subarray(4, 8));
  if (ident !== "TFL3") throw new TfliteFormatError(`file identifier is "${ident}", expected "TFL3"`);
  const rootOffset = bb.readUint32(0);
  if (rootOffset >= bytes.length)
    throw new TfliteFormatError("root table offset points past the end of the file");
  try {
    const model = new Table(bb, rootOffset, "model");
    const operatorCodes = model.tables(1, "operator_codes").map((oc) => {
      const deprecated = oc.int8(0);
      const builtin = oc.int32(3, 0);
      return {
        builtinCode: Math.max(deprecated, builtin),
        customCode: oc.string(1),
        version: oc.int32(2, 1),
      };
    });
    const buffers = model.tables(4, "buffers");
    const subgraphs = model.tables(2, "subgraphs").map((sg) => ({
      name: sg.string(4),
      tensors: sg.tables(0, "tensors").map((t, index) => {
        const tensor = readTensor(t, index);
        // Buffer 0 is the empty sentinel, valid even in a file without a buffers vector.
        if (tensor.buffer !== 0 && tensor.buffer >= buffers.length) {
          throw new TfliteFormatError(
            `tensor ${index} "${tensor.name}" refers to buffer ${tensor.buffer}, the model has ${buffers.length} buffers`,
          );
        }
        return tensor;
      }),
      inputs: sg.int32s(1),
      outputs: sg.int32s(2),
      operators: sg.tables(3, "operators").map((op, index) => ({
        index,
        opcodeIndex: op.uint32(0),
        inputs: op.int32s(1),
        outputs: op.int32s(2),
        optionsType: op.uint8(3),
        options: op.table(4, `operator ${index} options`),
      })),
    }));
    return {
      version: model.uint32(0),
      description: model.string(3),
      operatorCodes: operatorCodes.map((o) => ({ ...o, customCode: o.customCode ?? undefined })),
      subgraphs,
      buffer(index: number): Uint8Array | undefined {
        const b = buffers[index];
        if (!b) return undefined;
        const data = b.bytes(0);
        if (data?.length) return data;
        // Models over 2 GB keep buffers outside the flatbuffer at (offset, size).
        const offset = Number(b.uint64(1));
        const size = Number(b.uint64(2));
        if (offset > 1 && size > 0) {
          if (offset + size > bytes.length)
            throw new TfliteFormatError(`buffer ${index} lies past the end of the file`);
          return bytes.subarray(offset, offset + size);
        }
        return undefined;
      },
    };
  } catch (e) {
    if (e instanceof TfliteFormatError) throw e;
    throw new TfliteFormatError(`flatbuffer is corrupt or truncated (${(e as Error).message})`);
  }
}
