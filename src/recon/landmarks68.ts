// 68 iBUG / 300-W landmarks from the 468-point MediaPipe FaceMesh (docs/accuracy.md).
//
// Order (0-based): 0–16 jaw (subject's right ear → chin → left ear, i.e. image left → right for a frontal
// face), 17–21 right brow, 22–26 left brow, 27–30 nose bridge, 31–35 nostrils, 36–41 right eye, 42–47 left
// eye, 48–59 outer lips, 60–67 inner lips. "Right"/"left" are the subject's own, as MediaPipe names them.
//
// Each point is a weighted combination of mesh vertices (MESH_TO_68). Sources:
// - Index table: `landmark_points_68` in ByteDance LatentSync, latentsync/utils/image_processor.py
//   (github.com/bytedance/LatentSync, Apache-2.0; the MediaPipe version of that file, e.g. as kept in the
//   fork bsdcfp/LatentSync at commit f5b4114a026417c6c06ea1898663346db53416de). Used as is for the eyes,
//   nostrils, mouth corners, lip centres and inner lips.
// - Two-vertex averages: Peizhi Yan, Mediapipe_2_Dlib_Landmarks, mediapipe2dlib/mp2dlib.py
//   (github.com/PeizhiYan/Mediapipe_2_Dlib_Landmarks, MIT per its setup.cfg): nasion = mean(168, 6). Where
//   the two tables pick neighbouring vertices (outer-lip points 49, 53, 55, 59) we take their mean.
// - Our geometric rules on MediaPipe's canonical face model (mediapipe/modules/face_geometry/data/
//   canonical_face_model.obj, Apache-2.0; only the weights below are derived from it, no data is copied):
//   jaw 0–16 at equal 3-D arc length along the model's face-oval from vertex 127 (outer-eye-corner level)
//   through the chin 152 to 356; brows 17–21 / 22–26 at equal arc length along the upper brow edge between
//   the brow ends (each end midway between the upper and lower brow edge); nose bridge 28–29 at equal arc
//   length between the nasion and the tip (4). Weights interpolate between neighbouring vertices.
//
// Jaw on turned faces. The default keeps the jaw points on the mesh's own 3-D jaw line, projected: on the
// side turned away they then lie inside the visible outline, at the occluded anatomical position. That is
// the convention of AFLW2000-3D (3DDFA's re-annotation included), which the accuracy target is mostly
// measured on. 2-D datasets (300-W, 300-VW, dlib) instead put those points on the visible silhouette;
// `silhouette: true` does that, as 3DDFA's contour landmarks do: each jaw-line vertex has a hand-picked row
// of vertices running inward at the same height of the canonical model, and the row vertex lying furthest
// outward along the face's horizontal image axis replaces it (on a frontal face, and on the side turned
// towards the camera, that is the jaw-line vertex itself). docs/accuracy.md gives the measured effect.

type Combo = ReadonlyArray<readonly [number, number]>;

const one = (i: number): Combo => [[i, 1]];
const two = (a: number, wa: number, b: number): Combo => [
  [a, wa],
  [b, Math.round((1 - wa) * 1000) / 1000],
];
const avg = (a: number, b: number): Combo => two(a, 0.5, b);

export const MESH_TO_68_SOURCE =
  'MediaPipe FaceMesh → iBUG 68: index table `landmark_points_68` of ByteDance LatentSync ' +
  '(github.com/bytedance/LatentSync, latentsync/utils/image_processor.py, Apache-2.0) and two-vertex means after ' +
  'Peizhi Yan, Mediapipe_2_Dlib_Landmarks (github.com/PeizhiYan/Mediapipe_2_Dlib_Landmarks, mediapipe2dlib/mp2dlib.py, MIT); ' +
  'jaw, brows and nose bridge re-spaced by equal arc length on MediaPipe canonical_face_model.obj (Apache-2.0).';

export const MESH_TO_68: ReadonlyArray<Combo> = [
  // 0–16 jaw: equal 3-D arc length along the face oval 127 … 152 … 356 of the canonical model
  one(127),
  two(234, 0.7, 93),
  two(93, 0.44, 132),
  two(132, 0.29, 58),
  two(58, 0.16, 172),
  two(136, 0.95, 150),
  two(150, 0.57, 149),
  two(176, 0.82, 148),
  one(152),
  two(400, 0.82, 377),
  two(379, 0.57, 378),
  two(365, 0.95, 379),
  two(397, 0.84, 288),
  two(288, 0.71, 361),
  two(361, 0.56, 323),
  two(454, 0.7, 323),
  one(356),
  // 17–21 right brow (outer end → inner end), 22–26 left brow (inner end → outer end)
  avg(70, 46),
  two(63, 0.83, 105),
  two(105, 0.8, 66),
  [
    [66, 0.85],
    [107, 0.075],
    [55, 0.075],
  ],
  avg(107, 55),
  avg(336, 285),
  [
    [296, 0.85],
    [336, 0.075],
    [285, 0.075],
  ],
  two(334, 0.8, 296),
  two(293, 0.83, 334),
  avg(300, 276),
  // 27–30 nose bridge (nasion → tip), 31–35 nostrils (subject's right → left)
  avg(168, 6),
  [
    [197, 0.94],
    [168, 0.03],
    [6, 0.03],
  ],
  avg(195, 5),
  one(4),
  one(75),
  one(97),
  one(2),
  one(326),
  one(305),
  // 36–41 right eye (outer corner, upper lid, inner corner, lower lid), 42–47 left eye (inner corner first)
  one(33),
  one(160),
  one(158),
  one(133),
  one(153),
  one(144),
  one(362),
  one(385),
  one(387),
  one(263),
  one(373),
  one(380),
  // 48–59 outer lips (right corner, upper lip, left corner, lower lip)
  one(61),
  avg(39, 40),
  one(37),
  one(0),
  one(267),
  avg(269, 270),
  one(291),
  avg(405, 321),
  one(314),
  one(17),
  one(84),
  avg(181, 91),
  // 60–67 inner lips
  one(78),
  one(82),
  one(13),
  one(312),
  one(308),
  one(317),
  one(14),
  one(87),
];

/**
 * Silhouette rows: jaw-line vertex → candidates from it inward (the vertex itself first), roughly constant
 * height on the canonical face model. Keys on the subject's right (canonical x < 0) then their mirrors.
 */
const RIGHT_ROWS: ReadonlyArray<readonly number[]> = [
  [127, 34, 143, 35, 226],
  [234, 227, 116, 117, 118, 101],
  [93, 137, 123, 50, 36],
  [132, 177, 213, 207, 216],
  [58, 138, 214, 212],
  [172, 135, 210, 211],
  [136, 169, 170, 32],
  [150, 140, 208],
  [149, 140, 171],
  [176, 171],
];
const LEFT_ROWS: ReadonlyArray<readonly number[]> = [
  [356, 264, 372, 265, 446],
  [454, 447, 345, 346, 347, 330],
  [323, 366, 352, 280, 266],
  [361, 401, 433, 427, 436],
  [288, 367, 434, 432],
  [397, 364, 430, 431],
  [365, 394, 395, 262],
  [379, 369, 428],
  [378, 369, 396],
  [400, 396],
];

/** Silhouette row of a jaw-line vertex and the side it is on (−1 subject's right, +1 subject's left). */
export const JAW_SILHOUETTE_ROWS: ReadonlyMap<number, { side: -1 | 1; row: readonly number[] }> = new Map<
  number,
  { side: -1 | 1; row: readonly number[] }
>([...RIGHT_ROWS.map((row) => [row[0], { side: -1, row }] as const), ...LEFT_ROWS.map((row) => [row[0], { side: 1, row }] as const)]);

type P3 = readonly [number, number, number];

/** Unit vector in the image from the subject's right to their left (the face's horizontal axis). */
function horizontalAxis(points: ReadonlyArray<P3>): [number, number] {
  let x = 0;
  let y = 0;
  for (const [r, l] of [
    [33, 263],
    [133, 362],
    [61, 291],
  ] as const) {
    const dx = points[l][0] - points[r][0];
    const dy = points[l][1] - points[r][1];
    const n = Math.hypot(dx, dy);
    if (n > 0) {
      x += dx / n;
      y += dy / n;
    }
  }
  const n = Math.hypot(x, y);
  return n > 0 ? [x / n, y / n] : [1, 0];
}

export interface Landmarks68Options {
  /**
   * Head yaw in degrees (pose.ts convention: > 0 turns the face towards the image's right). With
   * `silhouette`, only the side turned away from the camera is moved; without a yaw both sides are searched.
   */
  yawDeg?: number;
  /**
   * Put the jaw points of the side turned away on the visible outline (2-D / 300-W convention) instead of at
   * their occluded 3-D position (AFLW2000-3D convention, the default). Default false.
   */
  silhouette?: boolean;
  /**
   * The head's pose from the head fit (head-fit.ts: rotation head → camera and pixels per head unit). With it,
   * the jaw points of a face tilted chin-up move down to the mandible's lower edge (see JAW_DEPTH).
   */
  head?: { r: ArrayLike<number>; s: number };
}

/**
 * How far behind FaceMesh's face oval the mandible's edge lies, in head units (outer-eye-corner distances):
 * 0 at the chin (point 8), growing linearly to this at the ends of the jaw line (points 0 and 16, by the ear).
 * FaceMesh's oval is where its mesh ends, at the frontal outline; the jaw's lower edge, which annotators mark
 * in both conventions once a face tilts chin-up and shows the underside of the jaw, lies behind it. Only the
 * chin-up (downward) part of the shift is applied: tilted chin-down, the 3-D and 2-D conventions part ways.
 * Measured on the dev faces: the face pitched 34° went 4.49 → 3.2 %, no face worse (docs/accuracy.md).
 */
export const JAW_DEPTH = 0.4;

/** Image shift per head unit of depth of a chin-up face (zero unless the head's back tilts down in the image). */
function chinUpShift(head: NonNullable<Landmarks68Options['head']>): [number, number] {
  const { r, s } = head;
  // The head's back axis (0,0,1) and down axis (0,1,0), as seen in the image.
  const back = [r[2] * s, r[5] * s];
  const down = [r[1], r[4]];
  const l = Math.hypot(down[0], down[1]) || 1;
  const along = Math.max(0, (back[0] * down[0] + back[1] * down[1]) / l);
  return [(along * down[0]) / l, (along * down[1]) / l];
}

/** 68 × [x, y] iBUG points, image pixels, from 468 or 478 FaceMesh points. */
export function landmarks68From(points: ReadonlyArray<P3>, opts: Landmarks68Options = {}): [number, number][] {
  if (points.length < 468) throw new RangeError(`expected 468 or 478 FaceMesh points, got ${points.length}`);
  const silhouette = opts.silhouette ?? false;
  const yaw = opts.yawDeg;
  const farSide = yaw !== undefined && Number.isFinite(yaw) && yaw !== 0 ? Math.sign(yaw) : 0;
  const [ux, uy] = silhouette ? horizontalAxis(points) : [1, 0];
  const pick = (v: number): number => {
    if (!silhouette) return v;
    const r = JAW_SILHOUETTE_ROWS.get(v);
    if (!r || (farSide !== 0 && r.side !== farSide)) return v;
    let best = v;
    let bestS = -Infinity;
    for (const w of r.row) {
      const s = r.side * (points[w][0] * ux + points[w][1] * uy);
      if (s > bestS) {
        bestS = s;
        best = w;
      }
    }
    return best;
  };
  const [sx, sy] = opts.head ? chinUpShift(opts.head) : [0, 0];
  return MESH_TO_68.map((combo, k) => {
    let x = 0;
    let y = 0;
    let wsum = 0;
    for (const [i, w] of combo) {
      const v = k < 17 ? pick(i) : i;
      x += points[v][0] * w;
      y += points[v][1] * w;
      wsum += w;
    }
    const depth = k < 17 ? (JAW_DEPTH * Math.abs(k - 8)) / 8 : 0;
    return [x / wsum + depth * sx, y / wsum + depth * sy];
  });
}

/**
 * The left-right mirror of the 68 iBUG points: MIRROR_68[k] is the point that k becomes when the face is
 * mirrored (jaw 0 ↔ 16, brows 17 ↔ 26, eye corners 36 ↔ 45, mouth corners 48 ↔ 54 …; midline points map to
 * themselves). Used to compare a photo's landmarks with its mirror image's (scripts/eval.ts).
 */
export const MIRROR_68: ReadonlyArray<number> = [
  16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 27, 28, 29, 30, 35, 34, 33, 32, 31, 45,
  44, 43, 42, 47, 46, 39, 38, 37, 36, 41, 40, 54, 53, 52, 51, 50, 49, 48, 59, 58, 57, 56, 55, 64, 63, 62, 61, 60, 67, 66, 65,
];
