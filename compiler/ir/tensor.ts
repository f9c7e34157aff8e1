/**
 * Dense tensors as the IR and the executors see them. Activations are NCHW; every shape is static.
 * Integer tensors (shapes, indices, quantized codes) use Int32Array: int64 values in model files are
 * narrowed on import, and the importer refuses values that do not fit.
 */
export type DType = "float32" | "int32" | "int8" | "uint8" | "bool";

export type TensorData = Float32Array | Int32Array;

export interface Tensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: TensorData;
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

export function isFloat(dtype: DType): boolean {
  return dtype === "float32";
}

export function allocData(dtype: DType, n: number): TensorData {
  return isFloat(dtype) ? new Float32Array(n) : new Int32Array(n);
}

export function tensor(
  dtype: DType,
  shape: readonly number[],
  data?: TensorData | ArrayLike<number>,
): Tensor {
  const n = sizeOf(shape);
  let out: TensorData;
  if (data === undefined) out = allocData(dtype, n);
  else if (isFloat(dtype)) out = data instanceof Float32Array ? data : Float32Array.from(data);
  else out = data instanceof Int32Array ? data : Int32Array.from(data);
  if (out.length !== n) {
    throw new Error(`tensor data has ${out.length} elements but shape [${shape.join(",")}] needs ${n}`);
  }
  return { dtype, shape: [...shape], data: out };
}

export function floatTensor(shape: readonly number[], data?: Float32Array | ArrayLike<number>): Tensor {
  return tensor("float32", shape, data);
}

export function intTensor(shape: readonly number[], data?: Int32Array | ArrayLike<number>): Tensor {
  return tensor("int32", shape, data);
}

export function shapeEquals(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join("×")}]`;
}

/** Numpy-style broadcast of two shapes; throws with both shapes named when they do not broadcast. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(`shapes ${formatShape(a)} and ${formatShape(b)} do not broadcast`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}
