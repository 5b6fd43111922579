// One photo → one folder of outputs. The CLI, the daemon's workers and batch runs all call this, so a folder
// looks the same whoever made it. Every file is written atomically; result.json is written last, so a
// folder with a result.json is complete. A photo that cannot be reconstructed still gets a result.json that
// says why (with a failing quality verdict), and the error is thrown to the caller. A reconstruction whose
// verdict is `fail` writes result.json and the overlay only — no maps or mesh that would mislead — unless
// `force` is set.
import path from 'node:path';
import { DEFAULT_SIZE, MAX_SIZE, MIN_SIZE } from './align.js';
import { ErrorCodes, invalidOption, outputWriteError, ReconError, toReconError } from './errors.js';
import { inputFile, readInput, type ReadInputOptions } from './decode.js';
import { completeTexture, exportFace, exportMesh, validateExportMeshOptions } from './export/index.js';
import type { Subdivisions } from './mesh/build.js';
import { renderOverlay } from './outputs/overlay.js';
import { renderFaceImagesBeside, startMapsThread } from './outputs/face-images.js';
import { renderTurntable } from './outputs/turntable.js';
import type { ViewMapFile } from './outputs/view-maps.js';
import type { RgbImage } from './types.js';
import { faceViews, viewMeshes, type View } from './views.js';
import { assessQuality, failureReport, QualityCodes, type QualityCode, type QualityReport, type QualityThresholds } from './quality.js';
import type { Engine, ReconstructOptions } from './reconstruct.js';
import { toResultJson, type ResultJson } from './result-json.js';
import { makeDir, writeFileAtomic, writeFileAtomicSync } from '../util/fs.js';
import { DEFAULT_OUTPUT_KINDS, OUTPUT_FILES, OUTPUT_FRAMES, OUTPUT_KINDS, type OutputKind } from './outputs/kinds.js';

export { OUTPUT_KINDS, DEFAULT_OUTPUT_KINDS, OUTPUT_FILES, type OutputKind } from './outputs/kinds.js';

export interface FolderProgress {
  stage: string;
  fraction: number;
}

export interface FolderOptions extends Omit<ReconstructOptions, 'onProgress'> {
  /** Which outputs to write (default all). */
  outputs?: ReadonlyArray<OutputKind>;
  /** Side of the canonical square images, 128–1024 (default 256). */
  size?: number;
  /** Share of the photo's lighting-normalised detail in the structure maps, 0–1 (default 0.5). */
  detail?: number;
  /** The mesh's frame: 'front' (default: the head frame, under the front-view maps) or 'camera' (under crop.png). */
  view?: View;
  /** Loop subdivision levels of the exported mesh, 0–3 (default 1). */
  subdivisions?: Subdivisions;
  /** Write the images and mesh even when the verdict is `fail`. */
  force?: boolean;
  /** Quality threshold overrides (docs/quality.md). */
  quality?: Partial<QualityThresholds>;
  /** How a photo given by path is read (decode.ts readInput: links refused, a folder it must be in). */
  read?: Omit<ReadInputOptions, 'signal'>;
  onProgress?: (p: FolderProgress) => void;
}

export interface FolderResult {
  dir: string;
  result: ResultJson;
  /** Output kind → file name inside `dir`. */
  files: Record<string, string>;
}

/** The kinds rendered by renderFaceImagesBeside (the maps thread). */
const MAP_KINDS = ['crop', 'structure', 'depth', 'normal', 'mask', 'front-structure', 'front-depth', 'front-normal', 'front-mask'] as const;

export const NO_FACE_HINT = 'Use a photo where one face is clearly visible, at least about 40 pixels wide.';

export function validateFolderOptions(o: FolderOptions): void {
  if (o.size !== undefined && !(Number.isInteger(o.size) && o.size >= MIN_SIZE && o.size <= MAX_SIZE)) {
    throw invalidOption('size', `integer ${MIN_SIZE}–${MAX_SIZE}`, o.size);
  }
  if (o.detail !== undefined && !(typeof o.detail === 'number' && o.detail >= 0 && o.detail <= 1)) throw invalidOption('detail', 'a number 0–1', o.detail);
  validateExportMeshOptions({ view: o.view, subdivisions: o.subdivisions });
  if (o.outputs !== undefined) {
    if (!Array.isArray(o.outputs)) throw invalidOption('outputs', `a list of ${OUTPUT_KINDS.join(', ')}`, o.outputs);
    for (const k of o.outputs) if (!(OUTPUT_KINDS as ReadonlyArray<string>).includes(k)) throw invalidOption('outputs', `names from ${OUTPUT_KINDS.join(', ')}`, k);
  }
}

export async function reconstructToFolder(engine: Engine, input: string | Uint8Array, dir: string, options: FolderOptions = {}): Promise<FolderResult> {
  const file = inputFile(input);
  const source = file !== undefined ? path.basename(file) : 'upload';
  const { onProgress, outputs, size = DEFAULT_SIZE, detail, force = false, quality: thresholds, read, view, subdivisions, ...engineOptions } = options;
  try {
    validateFolderOptions(options);
    const want = new Set<OutputKind>(outputs ?? DEFAULT_OUTPUT_KINDS);
    // Boots while the engine runs, the first time (face-images.ts).
    const mapKinds = MAP_KINDS.filter((k) => want.has(k));
    if (mapKinds.length) startMapsThread();
    // Read here, bounded and cancellable (readInput); the bytes keep the file's name for the engine's messages.
    const photo = typeof input === 'string' ? await readInput(input, { ...read, signal: engineOptions.signal }) : input;
    // The engine's stages take the first 60 % of the progress bar; outputs the rest.
    const r = await engine.reconstruct(photo, { ...engineOptions, onProgress: (p) => onProgress?.({ stage: p.stage, fraction: p.fraction * 0.6 }) });
    if (!r.faces.length) {
      throw new ReconError(ErrorCodes.NO_FACE, `No face found in ${source}`, NO_FACE_HINT);
    }
    const faceIndex = r.reconstructed[0];
    const face = r.faces[faceIndex];
    const points = face.points!;
    const quality = assessQuality({ image: r.decoded, faces: r.faces, face: faceIndex, faceChosen: typeof engineOptions.faces === 'number' }, thresholds);
    // Both views of the face (views.ts): the camera view, pixel-aligned with crop.png, and the head frame.
    const views = faceViews(points, face.pose!, size);
    const alignment = views.alignment;
    const files: Record<string, string> = {};
    await makeDir(dir);
    // Blocking writes: this runs on a thread that has nothing else to do (a worker, or the CLI's one photo),
    // and async writes would queue behind the PNG deflates on libuv's pool (see util/fs.ts).
    const write = async (kind: keyof typeof OUTPUT_FILES, data: Uint8Array | string): Promise<void> => {
      writeFileAtomicSync(path.join(dir, OUTPUT_FILES[kind]), data, { dirExists: true });
      files[kind] = OUTPUT_FILES[kind];
    };
    const t0 = performance.now();
    let overlayRegion: { region: [number, number, number, number]; scale: number } | undefined;
    const writeOverlay = async (): Promise<void> => {
      if (!want.has('overlay')) return;
      const t = performance.now();
      const overlay = await renderOverlay(r.decoded, r.reconstructed.map((k) => r.faces[k]));
      await write('overlay', overlay.png);
      overlayRegion = { region: overlay.region, scale: Math.round(overlay.scale * 1e6) / 1e6 };
      r.timings.overlay = round(performance.now() - t);
    };
    let depthScale: unknown;
    let frontDepthScale: unknown;
    let frontShares: { seen: number; mirrored: number; inpainted: number } | undefined;
    let mesh: Record<string, unknown> | undefined;
    const writeImages = quality.verdict !== 'fail' || force;
    const branches: Array<Promise<void>> = [];
    if (writeImages) {
      // Overlay, images and mesh run side by side: their PNG encodes overlap on libuv's thread pool.
      const renderImages = async (): Promise<void> => {
        if (!mapKinds.length) return;
        const t = performance.now();
        const images = await renderFaceImagesBeside(r.decoded, views, { detail, outputs: mapKinds.map((k) => OUTPUT_FILES[k] as ViewMapFile) });
        await settleAll(mapKinds.map((k) => write(k, images.files[OUTPUT_FILES[k] as ViewMapFile]!)));
        if (want.has('depth')) depthScale = images.depthScale;
        if (want.has('front-depth')) frontDepthScale = images.frontDepthScale;
        if (images.frontShares) frontShares = roundShares(images.frontShares);
        r.timings.render = round(performance.now() - t);
      };
      const exportMeshFiles = async (): Promise<void> => {
        const wantMesh = want.has('obj') || want.has('glb');
        if (!wantMesh && !want.has('turntable')) return;
        const t = performance.now();
        const meshes = viewMeshes(views, r.decoded, { subdivisions });
        let texture: RgbImage | undefined;
        if (wantMesh) {
          const exp = await exportFace(r.decoded, views, { view, subdivisions, meshes, meta: { version: r.versions['recon-daemon'], source: { file: source } } });
          texture = exp.textureImage;
          await settleAll([
            ...(want.has('obj')
              ? [
                  write('obj', exp.files['face.obj']),
                  write('mtl', exp.files['face.mtl']),
                  write('texture', exp.files['texture.png']),
                  write('textureNormal', exp.files['texture-normal.png']),
                  write('textureVisibility', exp.files['texture-visibility.png']),
                ]
              : []),
            ...(want.has('glb') ? [write('glb', exp.files['face.glb'])] : []),
          ]);
          mesh = {
            units: 'metres',
            view: exp.mesh.view,
            frame:
              exp.mesh.view === 'front'
                ? 'head frame: +X the subject\'s left, +Y up, +Z out of the face; origin between the eyes; the front-view maps are its orthographic view along -Z'
                : 'camera view: +X image right, +Y up, +Z towards the camera; origin between the pupils; crop.png and the camera-view maps are its orthographic view along -Z',
            interPupillaryDistance: 0.063,
            subdivisions: exp.mesh.subdivisions,
            vertices: exp.mesh.positions.length / 3,
            triangles: exp.mesh.triangles.length / 3,
            eyeCentres: exp.mesh.eyeCentres.map((p) => p.map((v) => Math.round(v * 1e6) / 1e6)),
            pose: face.pose,
            texture: { size: exp.texture.size, ...roundShares(exp.texture.shares) },
          };
        }
        if (want.has('turntable')) {
          if (!texture) {
            const m = exportMesh(views, r.decoded, { subdivisions, meshes });
            texture = completeTexture(r.decoded, m.imagePoints, m.seen, m.prefer, m.points3d, m.uvs, m.triangles, { normalMap: false }).texture;
          }
          await write('turntable', await renderTurntable(meshes.front, texture));
        }
        r.timings.mesh = round(performance.now() - t);
      };
      onProgress?.({ stage: 'render', fraction: 0.7 });
      // The maps go to the maps thread first, then the work left here starts in the order of its longest
      // deflates, so those overlap the JavaScript that follows instead of queueing after it: the texture PNG
      // (the GLB waits for it), then the overlay.
      branches.push(renderImages(), exportMeshFiles(), writeOverlay());
    } else branches.push(writeOverlay());
    // A failure in one branch is reported only after the others have stopped writing.
    await settleAll(branches);
    r.timings.outputs = round(performance.now() - t0);
    files.result = OUTPUT_FILES.result;
    const result: ResultJson = {
      ...toResultJson(source, r),
      reconstructedFace: faceIndex,
      alignment: { size, matrix: alignment.matrix.map((v) => Math.round(v * 1e6) / 1e6), metresPerPixel: alignment.metresPerPixel },
      quality,
      headFrame: {
        pose: face.pose,
        centre: views.frame.centre.map((v) => Math.round(v * 100) / 100),
        rotation: views.frame.rotation.map(round6),
        scale: round6(views.frame.scale),
        size,
        metresPerPixel: views.frame.metresPerPixel,
        cameraToHead: views.cameraToHead.map(round6),
        completed: Math.round((views.frame.completion.reduce((a, b) => a + b, 0) / views.frame.completion.length) * 1e4) / 1e4,
      },
      ...(depthScale ? { depthScale } : {}),
      ...(frontDepthScale ? { frontDepthScale } : {}),
      ...(frontShares ? { frontView: { seen: frontShares } } : {}),
      ...(mesh ? { mesh } : {}),
      ...(overlayRegion ? { overlay: overlayRegion } : {}),
      outputs: files,
      frames: Object.fromEntries(Object.keys(files).filter((k) => k !== 'result').map((k) => [k, OUTPUT_FRAMES[k as keyof typeof OUTPUT_FRAMES] === 'mesh' ? (mesh?.view as string) : OUTPUT_FRAMES[k as keyof typeof OUTPUT_FRAMES]])),
    };
    writeFileAtomicSync(path.join(dir, OUTPUT_FILES.result), JSON.stringify(result, null, 1), { dirExists: true });
    onProgress?.({ stage: 'done', fraction: 1 });
    return { dir, result, files };
  } catch (e) {
    const err = toReconError(outputWriteError(e, dir));
    if (err.code !== ErrorCodes.CANCELLED) {
      const quality: QualityReport | undefined = (QualityCodes as ReadonlyArray<string>).includes(err.code)
        ? failureReport(err.code as QualityCode, err.message, err.hint)
        : undefined;
      const body = { source, ...(quality ? { quality } : {}), error: err.toJSON(), outputs: { result: OUTPUT_FILES.result } };
      await writeFileAtomic(path.join(dir, OUTPUT_FILES.result), JSON.stringify(body, null, 1)).catch(() => undefined);
    }
    throw err;
  }
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}

function round6(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}

function roundShares(s: { seen: number; mirrored: number; inpainted: number }): { seen: number; mirrored: number; inpainted: number } {
  const r4 = (v: number): number => Math.round(v * 1e4) / 1e4;
  return { seen: r4(s.seen), mirrored: r4(s.mirrored), inpainted: r4(s.inpainted) };
}

/** Wait for every promise, then throw the first rejection: nothing is still writing when the caller cleans up. */
async function settleAll(promises: Array<Promise<unknown>>): Promise<void> {
  const settled = await Promise.allSettled(promises);
  for (const s of settled) if (s.status === 'rejected') throw s.reason;
}
