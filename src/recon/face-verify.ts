// Is a detection a face? BlazeFace alone fires on cats, coffee cups, a rocket's nose cone and ornaments
// (scores 0.5–0.8). Each detection therefore gets the refining FaceMesh pass on its crop and on the mirrored
// crop (landmarks.ts runMeshFused), and is kept when
//  - both passes are sure it is a face (mean face presence ≥ 0.95), or
//  - they lean that way (mean presence ≥ `minPresence`, default 0.5, MediaPipe's own "no face" cut-off)
//    and agree with each other (points within 3 % of the face size on average) and the face is at least
//    20 px wide: a face-like pattern gets a mesh from the network, but the mirrored view of it does not
//    land where the direct one does, and a few-pixel blob cannot be told apart from a face at all.
// The figures behind the thresholds (faces of ../shared/faces against 3 000 public-domain drawings and
// photos without faces) are in docs/accuracy.md ("No face where there is none").
import type { FusedMeshPass } from './landmarks.js';

export const FACE_CHECK = {
  /** Mean presence from which a detection is a face without further checks. */
  surePresence: 0.95,
  /** Default minimum mean presence (the `minPresence` option). */
  minPresence: 0.5,
  /** Most the direct and mirrored passes may disagree (mean point distance / face size) below `surePresence`. */
  maxDisagreement: 0.03,
  /** Smallest detection box width (px) accepted below `surePresence`. */
  minWidth: 20,
} as const;

export function isFace(pass: Pick<FusedMeshPass, 'presence' | 'disagreement'>, boxWidth: number, minPresence: number = FACE_CHECK.minPresence): boolean {
  if (pass.presence >= Math.max(minPresence, FACE_CHECK.surePresence)) return true;
  return pass.presence >= minPresence && pass.disagreement <= FACE_CHECK.maxDisagreement && boxWidth >= FACE_CHECK.minWidth;
}
