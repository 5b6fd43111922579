// The face mesh's fixed topology, computed by us: a Delaunay triangulation of the 468 FaceMesh vertices laid
// out as our reference frontal face (reference-face.json, built by scripts/make-reference-face.ts from our own
// model output on public-domain photos). Triangulating the frontal layout closes the eyes and the mouth (no
// holes) and follows the face oval; triangles in the hull's pockets outside the oval are dropped.
// UVs are the same frontal layout, scaled into [0, 1].
import Delaunator from 'delaunator';
import reference from './reference-face.json' with { type: 'json' };

export const MESH_VERTEX_COUNT = 468;

/** The face oval (silhouette ring) of the FaceMesh topology, clockwise from the forehead top in the image. */
export const FACE_OVAL = [
  10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152, 148, 176, 149, 150, 136, 172, 58, 132,
  93, 234, 127, 162, 21, 54, 103, 67, 109,
];

export interface Topology {
  /** Triangles as vertex-index triples, counter-clockwise seen from the camera in mesh space (+Y up). */
  triangles: Uint32Array;
  /** Per-vertex UV in [0, 1], v up (glTF/OBJ: OBJ uses v up; glTF flips at export). */
  uvs: Float32Array;
  /** Reference frontal positions (outer-eye-corner distance 1; x right, y down, z away from camera). */
  reference: ReadonlyArray<readonly [number, number, number]>;
}

let cached: Topology | undefined;

export function faceTopology(): Topology {
  if (cached) return cached;
  const ref = reference.points as unknown as Array<[number, number, number]>;
  const coords = new Float64Array(ref.length * 2);
  ref.forEach((p, i) => {
    coords[2 * i] = p[0];
    coords[2 * i + 1] = p[1];
  });
  const d = new Delaunator(coords);
  const oval = FACE_OVAL.map((i) => ref[i]);
  const tris: number[] = [];
  for (let t = 0; t < d.triangles.length; t += 3) {
    const a = d.triangles[t];
    const b = d.triangles[t + 1];
    const c = d.triangles[t + 2];
    const cx = (ref[a][0] + ref[b][0] + ref[c][0]) / 3;
    const cy = (ref[a][1] + ref[b][1] + ref[c][1]) / 3;
    if (!insidePolygon(cx, cy, oval)) continue;
    // Delaunator's triangles, taken as they are, run counter-clockwise once y points up (mesh space):
    // the front face, seen from the camera. test/mesh.test.ts checks the winding.
    tris.push(a, b, c);
  }
  let minX = Infinity;
  let maxX = -Infinity;
  let minY = Infinity;
  let maxY = -Infinity;
  for (const p of ref) {
    minX = Math.min(minX, p[0]);
    maxX = Math.max(maxX, p[0]);
    minY = Math.min(minY, p[1]);
    maxY = Math.max(maxY, p[1]);
  }
  const span = Math.max(maxX - minX, maxY - minY) * 1.04;
  const ox = (minX + maxX) / 2;
  const oy = (minY + maxY) / 2;
  const uvs = new Float32Array(ref.length * 2);
  ref.forEach((p, i) => {
    uvs[2 * i] = 0.5 + (p[0] - ox) / span;
    uvs[2 * i + 1] = 0.5 - (p[1] - oy) / span; // v up
  });
  cached = { triangles: Uint32Array.from(tris), uvs, reference: ref };
  return cached;
}

function insidePolygon(x: number, y: number, poly: ReadonlyArray<readonly number[]>): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i];
    const [xj, yj] = poly[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}
