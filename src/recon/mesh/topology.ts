// The face mesh's fixed topology: MediaPipe's canonical face triangulation of the 468 FaceMesh vertices and its
// UV layout, made exactly left-right symmetric, with the mouth closed (face-topology.json, built by
// scripts/make-face-topology.ts). Why this one: its outline is exactly the face oval (FACE_OVAL), so the
// silhouette of a turned face is a clean curve (an earlier Delaunay triangulation of a frontal layout cut
// notches into it), and it is symmetric, so every vertex, edge and triangle has a mirror twin at every
// subdivision level: the hidden side of a turned face can take the visible side's texture and detail.
// The reference face (reference-face.json) is our mean frontal FaceMesh, kept for tests and the winding check.
import reference from './reference-face.json' with { type: 'json' };
import topology from './face-topology.json' with { type: 'json' };

export const MESH_VERTEX_COUNT = 468;

/** The face oval (silhouette ring) of the FaceMesh topology, clockwise from the forehead top in the image. */
export const FACE_OVAL = [
  10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152, 148, 176, 149, 150, 136, 172, 58, 132,
  93, 234, 127, 162, 21, 54, 103, 67, 109,
];

export interface Topology {
  /** Triangles as vertex-index triples, counter-clockwise seen from the camera in mesh space (+Y up). */
  triangles: Uint32Array;
  /** Per-vertex UV in [0, 1], v up (glTF/OBJ: OBJ uses v up; glTF flips at export); (1 − u, v) is the mirror vertex's UV. */
  uvs: Float32Array;
  /** mirror[i]: the vertex at the mirror position of vertex i (the subject's other side); mirror[i] = i on the midline. */
  mirror: Uint32Array;
  /** Reference frontal positions (outer-eye-corner distance 1; x right, y down, z away from camera). */
  reference: ReadonlyArray<readonly [number, number, number]>;
}

let cached: Topology | undefined;

export function faceTopology(): Topology {
  cached ??= {
    triangles: Uint32Array.from(topology.triangles),
    uvs: Float32Array.from(topology.uvs),
    mirror: Uint32Array.from(topology.mirror),
    reference: reference.points as unknown as Array<[number, number, number]>,
  };
  return cached;
}
