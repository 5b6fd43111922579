// The image outputs of one face for the folder writer, both views (views.ts): the crop is warped here (it needs
// the whole photo), then the maps of both views render and every map PNG encodes on this thread's maps thread
// (maps-thread.ts) while this thread exports the mesh and draws the overlay. Why: rendering all outputs of a
// face on one thread measured ~25 ms, and the mesh half and the maps half need nothing from each other. Where
// the maps thread cannot run (or dies), the same work runs here, with the same bytes.
import type { RgbImage } from '../types.js';
import { lazyRequestThread } from '../../util/request-thread.js';
import type { FaceViews } from '../views.js';
import { encodePng, renderCrop, validateMapsOptions, type DepthScale, type EncodeOptions } from './maps.js';
import type { MapsReply, MapsRequest } from './maps-thread.js';
import { outputThreads } from './threading.js';
import { renderViewMaps, VIEW_MAP_FILES, viewMapRasters, type ViewMapFile, type ViewMapsInput } from './view-maps.js';
import { encodePng as writePng } from './png.js';
import { invalidOption } from '../errors.js';

export interface FaceImagesResult {
  files: Partial<Record<ViewMapFile, Uint8Array>>;
  depthScale: DepthScale;
  frontDepthScale: DepthScale;
  frontShares?: MapsReply['frontShares'];
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
 * crop.png and the maps of both views (those in `outputs`: MAP_FILES and FRONT_MAP_FILES names) of one face.
 * RECON_MAPS_THREAD=0, or inline outputs (threading.ts), keep everything on the calling thread.
 */
export async function renderFaceImagesBeside(
  image: RgbImage,
  views: FaceViews,
  opts: { detail?: number; outputs: ViewMapFile[] } & EncodeOptions,
): Promise<FaceImagesResult> {
  for (const f of opts.outputs) if (!VIEW_MAP_FILES.includes(f)) throw invalidOption('outputs', `names from ${VIEW_MAP_FILES.join(', ')}`, f);
  const { detail } = validateMapsOptions({ detail: opts.detail });
  const want = new Set(opts.outputs);
  const needCrop = want.has('crop.png') || ((want.has('structure.png') || want.has('front-structure.png')) && detail > 0);
  const crop = needCrop ? renderCrop(image, views.alignment) : undefined;
  const input: ViewMapsInput = {
    size: views.size,
    toCrop: views.alignment.matrix,
    imageSize: { width: image.width, height: image.height },
    crop,
    camera: views.camera,
    front: views.frame.points,
    rotation: views.frame.rotation,
    detail,
    outputs: [...want],
  };
  const thread = useMapsThread() ? mapsThread() : undefined;
  if (thread) {
    // The crop is not needed here again: hand it over rather than copy it (when it owns its memory).
    const reply = await thread.request(
      { ...input, compressionLevel: opts.compressionLevel },
      crop && crop.byteOffset === 0 && crop.byteLength === crop.buffer.byteLength ? [crop.buffer as ArrayBuffer] : [],
    );
    if (reply) return reply;
  }
  // Here: crop.png encodes on the thread pool while the maps render. (A thread that died after taking the
  // crop left it detached: warp it again.)
  if (input.crop && input.crop.byteLength === 0) input.crop = renderCrop(image, views.alignment);
  const crop2 = input.crop;
  const cropPng = want.has('crop.png') && crop2 ? encodePng(crop2, views.size, 3, { ...opts, photo: true }) : undefined;
  cropPng?.catch(() => undefined);
  const maps = renderViewMaps(input);
  const jobs = viewMapRasters(maps, undefined, input.outputs);
  const bufs = await Promise.all(jobs.map((j) => writePng(j.raster, { compressionLevel: opts.compressionLevel, photo: j.photo })));
  const files: Partial<Record<ViewMapFile, Uint8Array>> = Object.fromEntries(jobs.map((j, k) => [j.file, bufs[k]]));
  if (cropPng) files['crop.png'] = await cropPng;
  return { files, depthScale: maps.camera.depthScale, frontDepthScale: maps.front.depthScale, frontShares: maps.front.shares };
}
