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
  /** Extra header comment lines (source photo, versions…), each written after `# `. */
  comments?: string[];
}

export const OBJ_DEFAULT_NAMES = { mtl: 'face.mtl', texture: 'texture.png', object: 'face', material: 'face' } as const;

const FRAME_COMMENT = [
  'Units: metres. Frame: right-handed, +X to the photo subject\'s left (image right), +Y up,',
  '+Z out of the face towards the camera (glTF convention); origin between the pupils;',
  'scaled so the inter-pupillary distance is 0.063 m. Faces are counter-clockwise seen from +Z.',
  'UVs: v up (OBJ convention); the texture is the photo projected onto the mesh.',
];

export function writeObj(mesh: MeshData, names: ObjNames = {}): { obj: string; mtl: string } {
  const n = { ...OBJ_DEFAULT_NAMES, ...names };
  const vertexCount = mesh.positions.length / 3;
  const faceCount = mesh.triangles.length / 3;
  const head = [
    '# recon-daemon face mesh',
    ...FRAME_COMMENT.map((l) => `# ${l}`),
    `# ${vertexCount} vertices, ${faceCount} triangles.`,
    ...(names.comments ?? []).map((l) => `# ${l.replace(/[\r\n]+/g, ' ')}`),
  ];
  const lines: string[] = [...head, `mtllib ${n.mtl}`, `o ${n.object}`];
  const p = mesh.positions;
  const t = mesh.uvs;
  const q = mesh.normals;
  for (let i = 0; i < vertexCount; i++) lines.push(`v ${f6(p[3 * i])} ${f6(p[3 * i + 1])} ${f6(p[3 * i + 2])}`);
  for (let i = 0; i < vertexCount; i++) lines.push(`vt ${f6(t[2 * i])} ${f6(t[2 * i + 1])}`);
  for (let i = 0; i < vertexCount; i++) lines.push(`vn ${f6(q[3 * i])} ${f6(q[3 * i + 1])} ${f6(q[3 * i + 2])}`);
  lines.push(`usemtl ${n.material}`, 's 1');
  const tri = mesh.triangles;
  for (let k = 0; k < tri.length; k += 3) {
    const a = tri[k] + 1;
    const b = tri[k + 1] + 1;
    const c = tri[k + 2] + 1;
    lines.push(`f ${a}/${a}/${a} ${b}/${b}/${b} ${c}/${c}/${c}`);
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
  ];
  return { obj: lines.join('\n') + '\n', mtl: mtl.join('\n') + '\n' };
}

/** Six decimals without a negative zero ("-0.000000" reads as noise in diffs). */
function f6(v: number): string {
  const s = v.toFixed(6);
  return s === '-0.000000' ? '0.000000' : s;
}
