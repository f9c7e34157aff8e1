/** Dense float64 linear algebra for the second-order quantizers (row-major n×n matrices). */

/** In-place Cholesky factor L (lower) of a symmetric positive-definite matrix; false if not SPD. */
export function choleskyInPlace(a: Float64Array, n: number): boolean {
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j]!;
    for (let k = 0; k < j; k++) d -= a[j * n + k]! * a[j * n + k]!;
    if (!(d > 0)) return false;
    const ljj = Math.sqrt(d);
    a[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j]!;
      const ri = i * n;
      const rj = j * n;
      for (let k = 0; k < j; k++) s -= a[ri + k]! * a[rj + k]!;
      a[ri + j] = s / ljj;
    }
    for (let k = j + 1; k < n; k++) a[j * n + k] = 0;
  }
  return true;
}

/** Inverse of a lower-triangular matrix (row-major), by row-wise forward substitution. */
export function lowerTriangularInverse(l: Float64Array, n: number): Float64Array {
  const x = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    x[ri + i] = 1;
    for (let k = 0; k < i; k++) {
      const lik = l[ri + k]!;
      if (lik === 0) continue;
      const rk = k * n;
      for (let j = 0; j <= k; j++) x[ri + j]! -= lik * x[rk + j]!;
    }
    const d = l[ri + i]!;
    for (let j = 0; j <= i; j++) x[ri + j]! /= d;
  }
  return x;
}

/**
 * Upper factor U of inv(A) with inv(A) = Uᵀ·U, the form GPTQ consumes. With P the index reversal and
 * P·A·P = L·Lᵀ, A = (P·L·P)(P·L·P)ᵀ where P·L·P is upper triangular, so U = P·inv(L)·P.
 */
export function upperCholeskyOfInverse(a: Float64Array, n: number): Float64Array {
  const r = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) r[i * n + j] = a[(n - 1 - i) * n + (n - 1 - j)]!;
  if (!choleskyInPlace(r, n)) throw new Error("matrix is not positive definite");
  const inv = lowerTriangularInverse(r, n);
  const u = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) u[i * n + j] = inv[(n - 1 - i) * n + (n - 1 - j)]!;
  return u;
}

/** Solves A·X = B for SPD A (n×n, overwritten by its Cholesky factor) and B (n×m, overwritten). */
export function choleskySolveInPlace(a: Float64Array, n: number, b: Float64Array, m: number): boolean {
  if (!choleskyInPlace(a, n)) return false;
  for (let i = 0; i < n; i++) {
    const ri = i * m;
    for (let j = 0; j < i; j++) {
      const lij = a[i * n + j]!;
      if (lij === 0) continue;
      const rj = j * m;
      for (let c = 0; c < m; c++) b[ri + c]! -= lij * b[rj + c]!;
    }
    const d = a[i * n + i]!;
    for (let c = 0; c < m; c++) b[ri + c]! /= d;
  }
  for (let i = n - 1; i >= 0; i--) {
    const ri = i * m;
    for (let j = i + 1; j < n; j++) {
      const lji = a[j * n + i]!;
      if (lji === 0) continue;
      const rj = j * m;
      for (let c = 0; c < m; c++) b[ri + c]! -= lji * b[rj + c]!;
    }
    const d = a[i * n + i]!;
    for (let c = 0; c < m; c++) b[ri + c]! /= d;
  }
  return true;
}

/** Adds λ to the diagonal, with λ = ratio · mean(diag). Returns λ. */
export function dampDiagonal(a: Float64Array, n: number, ratio: number): number {
  let mean = 0;
  for (let i = 0; i < n; i++) mean += a[i * n + i]!;
  mean /= n;
  const lambda = ratio * (mean > 0 ? mean : 1);
  for (let i = 0; i < n; i++) a[i * n + i]! += lambda;
  return lambda;
}

/** C = A·B for row-major A (m×k) and B (k×n), float64. */
export function matmul64(a: Float64Array, b: Float64Array, m: number, k: number, n: number): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const av = a[i * k + p]!;
      if (av === 0) continue;
      const rb = p * n;
      const rc = i * n;
      for (let j = 0; j < n; j++) c[rc + j]! += av * b[rb + j]!;
    }
  }
  return c;
}
