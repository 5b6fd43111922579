// Small, allocation-light 3-D linear algebra for the head fit: 3×3 rotations, a Jacobi SVD and the weighted
// similarity Procrustes solution (Umeyama 1991). Pure functions over plain arrays.

export type Mat3 = [number, number, number, number, number, number, number, number, number]; // row-major
export type V3 = [number, number, number];

export const IDENTITY3: Mat3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];

export function mul3(a: Mat3, b: Mat3): Mat3 {
  const o = new Array(9).fill(0) as Mat3;
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++) o[3 * i + j] = a[3 * i] * b[j] + a[3 * i + 1] * b[3 + j] + a[3 * i + 2] * b[6 + j];
  return o;
}

export function transpose3(a: Mat3): Mat3 {
  return [a[0], a[3], a[6], a[1], a[4], a[7], a[2], a[5], a[8]];
}

export function apply3(m: Mat3, v: ArrayLike<number>): V3 {
  return [m[0] * v[0] + m[1] * v[1] + m[2] * v[2], m[3] * v[0] + m[4] * v[1] + m[5] * v[2], m[6] * v[0] + m[7] * v[1] + m[8] * v[2]];
}

export function det3(m: Mat3): number {
  return m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) + m[2] * (m[3] * m[7] - m[4] * m[6]);
}

/** Rotation by `rad` about the y axis (x towards z): turns a head frame's face sideways. */
export function rotationY(rad: number): Mat3 {
  const c = Math.cos(rad);
  const s = Math.sin(rad);
  return [c, 0, s, 0, 1, 0, -s, 0, c];
}

/** Singular value decomposition A = U·diag(S)·Vᵀ of a 3×3 matrix, singular values in decreasing order. */
export function svd3(a: Mat3): { u: Mat3; s: V3; v: Mat3 } {
  // Jacobi eigen-decomposition of AᵀA gives V and S²; U = A·V·S⁻¹ (columns completed for rank-deficient A).
  let b = mul3(transpose3(a), a);
  let v: Mat3 = [...IDENTITY3];
  for (let sweep = 0; sweep < 30; sweep++) {
    let off = 0;
    for (let p = 0; p < 2; p++) {
      for (let q = p + 1; q < 3; q++) {
        const bpq = b[3 * p + q];
        off += Math.abs(bpq);
        if (Math.abs(bpq) < 1e-18) continue;
        const theta = (b[3 * q + q] - b[3 * p + p]) / (2 * bpq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        const j: Mat3 = [...IDENTITY3];
        j[3 * p + p] = c;
        j[3 * q + q] = c;
        j[3 * p + q] = s;
        j[3 * q + p] = -s;
        b = mul3(transpose3(j), mul3(b, j));
        v = mul3(v, j);
      }
    }
    if (off < 1e-15) break;
  }
  const ev = [b[0], b[4], b[8]];
  const order = [0, 1, 2].sort((x, y) => ev[y] - ev[x]);
  const vs = [0, 0, 0, 0, 0, 0, 0, 0, 0] as Mat3;
  for (let r = 0; r < 3; r++) for (let k = 0; k < 3; k++) vs[3 * r + k] = v[3 * r + order[k]];
  const s: V3 = [0, 0, 0];
  for (let k = 0; k < 3; k++) s[k] = Math.sqrt(Math.max(0, ev[order[k]]));
  const av = mul3(a, vs);
  const u = [0, 0, 0, 0, 0, 0, 0, 0, 0] as Mat3;
  // Singular values below this share of the largest are numerically zero (σ² was computed, so ~1e-8 is the floor).
  const tiny = 1e-7 * Math.max(s[0], 1e-300);
  const cols: V3[] = [];
  for (let k = 0; k < 3; k++) {
    if (s[k] > tiny) cols.push([av[k] / s[k], av[3 + k] / s[k], av[6 + k] / s[k]]);
  }
  // Complete U to an orthonormal basis when A is rank-deficient.
  if (cols.length === 0) cols.push([1, 0, 0]);
  if (cols.length === 1) {
    const c = cols[0];
    const e: V3 = Math.abs(c[0]) < 0.9 ? [1, 0, 0] : [0, 1, 0];
    const d = c[0] * e[0] + c[1] * e[1] + c[2] * e[2];
    const w: V3 = [e[0] - d * c[0], e[1] - d * c[1], e[2] - d * c[2]];
    const l = Math.hypot(w[0], w[1], w[2]);
    cols.push([w[0] / l, w[1] / l, w[2] / l]);
  }
  if (cols.length === 2) cols.push(cross3(cols[0], cols[1]));
  for (let k = 0; k < 3; k++) for (let r = 0; r < 3; r++) u[3 * r + k] = cols[k][r];
  return { u, s, v: vs };
}

export function cross3(a: ArrayLike<number>, b: ArrayLike<number>): V3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

export interface Similarity {
  /** Uniform scale. */
  s: number;
  /** Rotation (proper, det +1). */
  r: Mat3;
  /** Translation. */
  t: V3;
}

/** x ↦ s·R·x + t */
export function applySimilarity(f: Similarity, x: ArrayLike<number>): V3 {
  const q = apply3(f.r, x);
  return [f.s * q[0] + f.t[0], f.s * q[1] + f.t[1], f.s * q[2] + f.t[2]];
}

/**
 * The similarity (s, R, t) minimising Σ wᵢ‖s·R·xᵢ + t − yᵢ‖² (Umeyama's closed form, reflections excluded).
 * `x` and `y` are flat xyz arrays of the same length; `w` one weight per point.
 */
export function procrustes(x: ArrayLike<number>, y: ArrayLike<number>, w: ArrayLike<number>): Similarity {
  const n = w.length;
  let wsum = 0;
  const mx = [0, 0, 0];
  const my = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    const wi = w[i];
    if (!wi) continue;
    wsum += wi;
    for (let d = 0; d < 3; d++) {
      mx[d] += wi * x[3 * i + d];
      my[d] += wi * y[3 * i + d];
    }
  }
  if (!(wsum > 0)) return { s: 1, r: [...IDENTITY3], t: [0, 0, 0] };
  for (let d = 0; d < 3; d++) {
    mx[d] /= wsum;
    my[d] /= wsum;
  }
  const c = [0, 0, 0, 0, 0, 0, 0, 0, 0] as Mat3;
  let vx = 0;
  for (let i = 0; i < n; i++) {
    const wi = w[i];
    if (!wi) continue;
    const a0 = x[3 * i] - mx[0];
    const a1 = x[3 * i + 1] - mx[1];
    const a2 = x[3 * i + 2] - mx[2];
    const b0 = y[3 * i] - my[0];
    const b1 = y[3 * i + 1] - my[1];
    const b2 = y[3 * i + 2] - my[2];
    vx += wi * (a0 * a0 + a1 * a1 + a2 * a2);
    c[0] += wi * b0 * a0;
    c[1] += wi * b0 * a1;
    c[2] += wi * b0 * a2;
    c[3] += wi * b1 * a0;
    c[4] += wi * b1 * a1;
    c[5] += wi * b1 * a2;
    c[6] += wi * b2 * a0;
    c[7] += wi * b2 * a1;
    c[8] += wi * b2 * a2;
  }
  const { u, s, v } = svd3(c);
  const sign = det3(u) * det3(v) < 0 ? -1 : 1;
  const ud = [...u] as Mat3;
  for (let r = 0; r < 3; r++) ud[3 * r + 2] *= sign;
  const r = mul3(ud, transpose3(v));
  const scale = vx > 0 ? (s[0] + s[1] + sign * s[2]) / vx : 1;
  const rm = apply3(r, mx);
  return { s: scale, r, t: [my[0] - scale * rm[0], my[1] - scale * rm[1], my[2] - scale * rm[2]] };
}
