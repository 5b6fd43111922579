// Wavefront OBJ + MTL for the face mesh. One object, one material, one texture; every vertex carries its own
// position, UV and normal under the same index, so faces read `f a/a/a b/b/b c/c/c`. Coordinates are metres
// in mesh space (architecture note §4), written with 6 decimals (1 µm; normals to 1e-6).
import type { MeshData } from './mesh.js';

export interface ObjNames {
  /** File name of the material library, as referenced by `mtllib` (default face.mtl). */
  mtl?: string;
  /** File name of the colour texture, as referenced by `map_Kd` (default texture.png). */
  texture?: string;
  /** Object name, `o` (default face). */
  object?: string;
  /** Material name, `usemtl` / `newmtl` (default face). */
  material?: string;
  /** File name of the tangent-space normal map, as referenced by `map_Bump` and `norm` (none when absent). */
  normalMap?: string;
  /** Extra header comment lines (source photo, versions…), each written after `# `. */
  comments?: string[];
}

export const OBJ_DEFAULT_NAMES = { mtl: 'face.mtl', texture: 'texture.png', object: 'face', material: 'face' } as const;

const FRAME_COMMENT = [
  'Units: metres. Frame: right-handed, +X to the photo subject\'s left (image right), +Y up,',
  '+Z out of the face towards the camera (glTF convention); origin between the eyes;',
  'scaled so the eyes are 0.063 m apart. Faces are counter-clockwise seen from +Z.',
  'UVs: v up (OBJ convention), left-right symmetric; the texture is the photo projected onto the mesh,',
  'completed where the photo did not see the face (docs/mesh-export.md).',
];

/** The OBJ and MTL as text (the bytes of writeObjBytes, decoded). */
export function writeObj(mesh: MeshData, names: ObjNames = {}): { obj: string; mtl: string } {
  const { obj, mtl } = writeObjBytes(mesh, names);
  const dec = new TextDecoder();
  return { obj: dec.decode(obj), mtl: dec.decode(mtl) };
}

/**
 * The OBJ and MTL as UTF-8 bytes, ready to write. The ~300 KB of numbers are formatted straight into a byte
 * buffer: building the same text with toFixed, template strings and a TextEncoder took ~4× as long.
 */
export function writeObjBytes(mesh: MeshData, names: ObjNames = {}): { obj: Uint8Array; mtl: Uint8Array } {
  const n = { ...OBJ_DEFAULT_NAMES, ...names };
  const vertexCount = mesh.positions.length / 3;
  const faceCount = mesh.triangles.length / 3;
  const head = [
    '# recon-daemon face mesh',
    ...FRAME_COMMENT.map((l) => `# ${l}`),
    `# ${vertexCount} vertices, ${faceCount} triangles.`,
    ...(names.comments ?? []).map((l) => `# ${l.replace(/[\r\n]+/g, ' ')}`),
    `mtllib ${n.mtl}`,
    `o ${n.object}`,
    '',
  ].join('\n');
  const w = new ByteWriter(head.length * 3 + vertexCount * 110 + faceCount * 50 + 256);
  w.text(head);
  w.vectors('v ', mesh.positions, 3, vertexCount);
  w.vectors('vt ', mesh.uvs, 2, vertexCount);
  w.vectors('vn ', mesh.normals, 3, vertexCount);
  w.text(`usemtl ${n.material}\ns 1\n`);
  const tri = mesh.triangles;
  for (let k = 0; k < tri.length; k += 3) {
    w.ensure(LINE_MAX);
    w.byte(F);
    w.vertexRef(tri[k] + 1);
    w.vertexRef(tri[k + 1] + 1);
    w.vertexRef(tri[k + 2] + 1);
    w.byte(NEWLINE);
  }
  const mtl = [
    '# recon-daemon face material: the photo projected onto the mesh, unlit-looking diffuse.',
    `newmtl ${n.material}`,
    'Ka 1.000000 1.000000 1.000000',
    'Kd 1.000000 1.000000 1.000000',
    'Ks 0.000000 0.000000 0.000000',
    'Ns 10.000000',
    'd 1.000000',
    'illum 1',
    `map_Kd ${n.texture}`,
    // The detail normal map (tangent space, OpenGL convention: green = +v), derived from the photo's shading.
    ...(names.normalMap ? [`map_Bump -bm 1.000000 ${names.normalMap}`, `norm ${names.normalMap}`] : []),
  ];
  return { obj: w.bytes(), mtl: new TextEncoder().encode(mtl.join('\n') + '\n') };
}

const SPACE = 0x20;
const NEWLINE = 0x0a;
const F = 0x66;
const ZERO = 0x30;
/** Longest v/vt/vn/f line: 3 numbers of ≤ 30 characters (toFixed up to 1e21, or an exponent form), or 3 × 32 index bytes. */
const LINE_MAX = 128;

/** An ASCII/UTF-8 writer into a growing byte buffer; callers `ensure` room for a line before writing it. */
class ByteWriter {
  private buf: Uint8Array;
  private pos = 0;
  private readonly enc = new TextEncoder();

  constructor(capacity: number) {
    this.buf = new Uint8Array(capacity);
  }

  ensure(room: number): void {
    if (this.pos + room <= this.buf.length) return;
    const grown = new Uint8Array(Math.max(2 * this.buf.length, this.pos + room));
    grown.set(this.buf.subarray(0, this.pos));
    this.buf = grown;
  }

  byte(b: number): void {
    this.buf[this.pos++] = b;
  }

  text(s: string): void {
    this.ensure(3 * s.length);
    this.pos += this.enc.encodeInto(s, this.buf.subarray(this.pos)).written;
  }

  /** `count` lines of `prefix` and `dims` numbers each (v / vt / vn). */
  vectors(prefix: string, values: ArrayLike<number>, dims: number, count: number): void {
    const head = Array.from(prefix, (ch) => ch.charCodeAt(0));
    for (let i = 0; i < count; i++) {
      this.ensure(LINE_MAX);
      for (const b of head) this.byte(b);
      for (let d = 0; d < dims; d++) {
        if (d > 0) this.byte(SPACE);
        this.f6(values[dims * i + d]);
      }
      this.byte(NEWLINE);
    }
  }

  /**
   * `v.toFixed(6)`, but "0.000000" for a negative zero ("-0.000000" reads as noise in diffs). For a float32
   * value (all MeshData arrays) below 1e9, |v|·1e6 is exact in a double (24 + 14 significant bits), so
   * Math.round picks the same integer toFixed does (nearest, ties up); anything else goes through toFixed.
   */
  f6(v: number): void {
    const a = v < 0 ? -v : v;
    if (!(a < 1e9) || Math.fround(v) !== v) {
      const s = v.toFixed(6);
      this.text(s === '-0.000000' ? '0.000000' : s);
      return;
    }
    const buf = this.buf;
    const m = Math.round(a * 1e6);
    if (m !== 0 && v < 0) buf[this.pos++] = 0x2d;
    // m < 1e15: integer arithmetic in doubles is exact; the corrections guard the rounded division.
    let whole = Math.floor(m / 1e6);
    if (whole * 1e6 > m) whole--;
    else if (m - whole * 1e6 >= 1e6) whole++;
    let frac = (m - whole * 1e6) | 0;
    this.uint(whole);
    buf[this.pos] = 0x2e;
    for (let i = this.pos + 6; i > this.pos; i--) {
      const d = frac % 10;
      buf[i] = ZERO + d;
      frac = (frac - d) / 10;
    }
    this.pos += 7;
  }

  /** A non-negative integer below 2^53, in decimal. */
  uint(v: number): void {
    const buf = this.buf;
    let digits = 1;
    for (let p = 10; p <= v; p *= 10) digits++;
    let i = this.pos + digits - 1;
    for (; i > this.pos; i--) {
      const d = v % 10;
      buf[i] = ZERO + d;
      v = (v - d) / 10;
    }
    buf[i] = ZERO + v;
    this.pos += digits;
  }

  /** ` k/k/k`: the index is written once and copied twice. */
  vertexRef(k: number): void {
    const buf = this.buf;
    buf[this.pos++] = SPACE;
    const start = this.pos;
    this.uint(k);
    const len = this.pos - start;
    for (let copy = 0; copy < 2; copy++) {
      buf[this.pos++] = 0x2f;
      for (let j = 0; j < len; j++) buf[this.pos++] = buf[start + j];
    }
  }

  /** The bytes written, in a buffer of their own size. */
  bytes(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}
