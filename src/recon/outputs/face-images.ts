// The image outputs of one face for the folder writer: the crop is warped here (it needs the whole photo),
// then the maps render and every map PNG encodes on this thread's maps thread (maps-thread.ts) while this
// thread exports the mesh and draws the overlay. Why: rendering all outputs of a face on one thread
// measured ~25 ms, and the mesh half and the maps half need nothing from each other. Where the maps thread
// cannot run (or dies), renderFaceImages does the same work here, with the same bytes.
import type { Alignment } from '../align.js';
import { buildFaceMesh } from '../mesh/build.js';
import type { RgbImage, Vec3 } from '../types.js';
import { lazyRequestThread } from '../../util/request-thread.js';
import { renderCrop, renderFaceImages, validateMapsOptions, type DepthScale, type EncodeOptions, type MapFile } from './maps.js';
import type { MapsReply, MapsRequest } from './maps-thread.js';
import { outputThreads } from './threading.js';

export interface FaceImagesResult {
  files: Partial<Record<MapFile, Uint8Array>>;
  depthScale: DepthScale;
}

const mapsThread = lazyRequestThread<MapsRequest, MapsReply>('recon/outputs/maps-thread.js', 'recon-maps');

/** This thread's maps thread (started if it is not running), or undefined where it cannot run. */
export function currentMapsThread(): ReturnType<typeof mapsThread> {
  return mapsThread();
}

/** Whether this thread's maps thread is running (without starting it). */
export function mapsThreadRunning(): boolean {
  return mapsThread.running();
}

/** Whether this thread renders maps on its maps thread: not when turned off or when its outputs run inline. */
function useMapsThread(): boolean {
  return process.env.RECON_MAPS_THREAD !== '0' && outputThreads() === 'spread';
}

/** Start this thread's maps thread ahead of its first use (it takes ~50 ms to load), unless it is not used. */
export function startMapsThread(): void {
  if (useMapsThread()) mapsThread();
}

/**
 * crop.png, structure.png, depth.png, normal.png and mask.png (those in `outputs`) of the face whose points,
 * mapped into the crop of `alignment`, are `cropPoints` (align.ts toCrop). RECON_MAPS_THREAD=0, or inline outputs (threading.ts), keep everything on the calling thread.
 */
export async function renderFaceImagesBeside(
  image: RgbImage,
  alignment: Alignment,
  cropPoints: Vec3[],
  opts: { detail?: number; outputs: MapFile[] } & EncodeOptions,
): Promise<FaceImagesResult> {
  const { detail, want } = validateMapsOptions(opts);
  const thread = useMapsThread() ? mapsThread() : undefined;
  if (thread) {
    const needCrop = want.has('crop.png') || (want.has('structure.png') && detail > 0);
    const crop = needCrop ? renderCrop(image, alignment) : undefined;
    const reply = await thread.request(
      {
        size: alignment.size,
        toCrop: alignment.matrix,
        imageSize: { width: image.width, height: image.height },
        crop,
        cropPoints,
        detail,
        outputs: [...want],
        compressionLevel: opts.compressionLevel,
      },
      // The crop is not needed here again: hand it over rather than copy it (when it owns its memory).
      crop && crop.byteOffset === 0 && crop.byteLength === crop.buffer.byteLength ? [crop.buffer as ArrayBuffer] : [],
    );
    if (reply) return reply;
  }
  const images = await renderFaceImages(image, alignment, buildFaceMesh(cropPoints), opts);
  return { files: images.files, depthScale: images.maps.depthScale };
}
