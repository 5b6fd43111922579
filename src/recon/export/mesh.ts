// The face mesh as exported: mesh space of architecture note §4 (metres, right-handed, +X to the image right,
// +Y up, +Z towards the camera, origin between the pupils, IPD 0.063 m; see align.ts), plus what the
// exporters need beside it: each vertex's position in the photo (for the texture) and the pupils.
import { cropToMesh, EYE_LINE_Y, eyeCentres, toCrop, type Alignment } from '../align.js';
import { applyAffine, invertAffine } from '../geometry.js';
import { buildFaceMesh, DEFAULT_SUBDIVISIONS, type Subdivisions } from '../mesh/build.js';
import { MESH_VERTEX_COUNT } from '../mesh/topology.js';
import { invalidOption } from '../errors.js';
import type { Vec2, Vec3 } from '../types.js';

/** A triangle mesh in mesh space. Plain arrays, ready for any writer. */
export interface MeshData {
  /** n × [x, y, z] metres. */
  positions: Float32Array;
  /** n × unit [x, y, z], pointing out of the face. */
  normals: Float32Array;
  /** n × [u, v] in [0, 1], v up (OBJ convention; glTF flips at write). */
  uvs: Float32Array;
  /** Vertex-index triples, counter-clockwise seen from the front (+Z). */
  triangles: Uint32Array;
}

export interface ExportMesh extends MeshData {
  /** The first `baseVertexCount` vertices are the 468 FaceMesh vertices, in FaceMesh order. */
  baseVertexCount: number;
  /** Each vertex's position in the photo (image pixels), for projecting the texture. */
  imagePoints: Vec2[];
  /** Pupil centres in mesh space (iris centres with 478 points, else eye-corner midpoints); right eye first. */
  eyeCentres: [Vec3, Vec3];
}

export interface ExportMeshOptions {
  /** Loop subdivision levels of the exported surface, 0–2 (default 1, as the renderer: mesh/build.ts). */
  subdivisions?: Subdivisions;
}

export const EXPORT_MESH_DEFAULTS = { subdivisions: DEFAULT_SUBDIVISIONS } as const;

/**
 * The exported mesh for one face: `points` are the engine's 468/478 image-space points, `alignment` the
 * canonical alignment computed from them (canonicalAlignment), which also fixes the metric scale.
 * Vertex counts: 468 / 1830 / 7239 and triangles 895 / 3580 / 14320 for 0 / 1 / 2 subdivisions (build.ts).
 */
export function exportMesh(points: ReadonlyArray<Vec3>, alignment: Alignment, options: ExportMeshOptions = {}): ExportMesh {
  if (!Array.isArray(points) || points.length < MESH_VERTEX_COUNT) {
    throw invalidOption('points', `at least ${MESH_VERTEX_COUNT} face points`, Array.isArray(points) ? `${points.length} points` : points);
  }
  // All points (iris included) go through toCrop together, so the depth origin is the pupils' mean depth.
  const crop = toCrop(points, alignment);
  const built = buildFaceMesh(crop, { subdivisions: options.subdivisions ?? EXPORT_MESH_DEFAULTS.subdivisions });
  const n = built.positions.length / 3;
  // Crop frame → mesh frame: positions through cropToMesh (flip y and z, scale to metres, move the origin to
  // the pupils); unit normals only flip y and z. The photo position of each (smoothed) vertex is its crop
  // position mapped back through the alignment.
  const k = alignment.metresPerPixel;
  const ox = 0.5 * alignment.size;
  const oy = EYE_LINE_Y * alignment.size;
  const toImage = invertAffine(alignment.matrix);
  const positions = new Float32Array(n * 3);
  const normals = new Float32Array(n * 3);
  const imagePoints: Vec2[] = new Array(n);
  const P = built.positions;
  const N = built.normals;
  for (let i = 0; i < n; i++) {
    const j = 3 * i;
    positions[j] = (P[j] - ox) * k;
    positions[j + 1] = (oy - P[j + 1]) * k;
    positions[j + 2] = -P[j + 2] * k;
    normals[j] = N[j];
    normals[j + 1] = -N[j + 1];
    normals[j + 2] = -N[j + 2];
    imagePoints[i] = applyAffine(toImage, P[j], P[j + 1]);
  }
  const [r, l] = cropToMesh(eyeCentres(crop), alignment);
  return {
    positions,
    normals,
    uvs: built.uvs,
    triangles: built.triangles,
    baseVertexCount: built.baseVertexCount,
    imagePoints,
    eyeCentres: [r, l],
  };
}
