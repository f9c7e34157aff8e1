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
