// Plain-data types that flow between the engine's stages. Frames: image pixels, x right, y down, origin
// top-left, after EXIF orientation is applied (docs/result-format.md).

export type Vec2 = [number, number];
export type Vec3 = [number, number, number];

/** An 8-bit RGB image, interleaved, rows top to bottom. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

export interface DecodedImage extends RgbImage {
  /** Container format as sharp reports it: jpeg, png, webp, tiff, heif, gif… */
  format: string;
  /** EXIF orientation tag of the source (1 when absent); already applied to `data`. */
  orientation: number;
  /** Stored size before orientation was applied. */
  storedWidth: number;
  storedHeight: number;
  /** Channels of the source as stored (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA or CMYK). */
  sourceChannels: number;
  /** Colour space of the source as sharp reports it (srgb, b-w, cmyk, rgb16, grey16…). */
  sourceSpace: string;
  /** Bits per sample of the source (8 or 16). */
  sourceBitDepth: number;
}

/** BlazeFace keypoints in MediaPipe order. "Right"/"left" are the subject's own, as MediaPipe names them. */
export const KEYPOINT_NAMES = ['rightEye', 'leftEye', 'noseTip', 'mouth', 'rightEarTragion', 'leftEarTragion'] as const;

export interface Detection {
  /** [x, y, w, h] in image pixels. */
  box: [number, number, number, number];
  score: number;
  /** Six keypoints, KEYPOINT_NAMES order, image pixels. */
  keypoints: Vec2[];
}

export interface Pose {
  /** Degrees. Positive yaw: the face turns towards the image's right (subject's left). */
  yaw: number;
  /** Degrees. Positive pitch: the face tilts up (chin forward). */
  pitch: number;
  /** Degrees. Positive roll: the face's eye line rotates clockwise in the image. */
  roll: number;
}

/** One detected face. Mesh fields are present on the faces that were reconstructed (see `reconstructed`). */
export interface FaceResult extends Detection {
  /** FaceMesh face-presence probability (0–1) of the last pass on this face. */
  presence: number;
  /** 478 × [x, y, z]: 468 FaceMesh points then 5 + 5 iris points (right eye, left eye; centre first);
   *  x/y image pixels, z on the same scale, growing away from the camera, 0 near the face's centre plane. */
  points?: Vec3[];
  /** 68 × [x, y], iBUG order, image pixels. */
  landmarks68?: Vec2[];
  pose?: Pose;
}
