// A batch's options: what the engine makes (outputs, size, detail, force, quality thresholds, faces), where
// it goes (layout) and what is kept (filters). Validated once, before any worker starts, with the engine's
// wording. The options key is a hash of everything that changes a photo's outputs: a rerun with the same key
// skips photos already done; a different key redoes them.
import { createHash } from 'node:crypto';
import { DEFAULT_SIZE, MAX_SIZE, MIN_SIZE } from '../recon/align.js';
import { ErrorCodes, invalidOption, ReconError } from '../recon/errors.js';
import { DEFAULT_SUBDIVISIONS, isSubdivisions, type Subdivisions } from '../recon/mesh/build.js';
import { DEFAULT_OUTPUT_KINDS, OUTPUT_KINDS, VIEWS, type OutputKind, type View } from '../recon/outputs/kinds.js';
import { DEFAULT_THRESHOLDS, type QualityThresholds, type Verdict } from '../recon/quality.js';

export const LAYOUTS = ['folders', 'pairs'] as const;
export type Layout = (typeof LAYOUTS)[number];

export const VERDICTS = ['pass', 'warn', 'fail'] as const;
export const FACE_MODES = ['largest', 'all'] as const;
export type FaceMode = (typeof FACE_MODES)[number];

/** Output kinds the pairs layout can hold: images, each in a folder of its own (OBJ needs its MTL and texture beside it). */
export const PAIRS_KINDS: ReadonlyArray<OutputKind> = [
  'crop',
  'structure',
  'depth',
  'normal',
  'mask',
  'front-structure',
  'front-depth',
  'front-normal',
  'front-mask',
  'glb',
  'overlay',
  'turntable',
];
export const PAIRS_DEFAULT_OUTPUTS: ReadonlyArray<OutputKind> = ['crop', 'structure'];

export interface BatchOptions {
  layout: Layout;
  /** Output kinds written for each photo (result.json always). */
  outputs: OutputKind[];
  size?: number;
  detail?: number;
  view?: View;
  subdivisions?: Subdivisions;
  force: boolean;
  maxPixels?: number;
  quality?: Partial<QualityThresholds>;
  faces: FaceMode;
  /** Keep photos whose verdict is at least this good (pass > warn > fail); `fail` keeps everything. */
  minVerdict: Verdict;
  /** Keep faces whose |yaw| is at most this many degrees. */
  maxYaw?: number;
}

export type BatchOptionsInput = Partial<BatchOptions>;

const RANK: Record<Verdict, number> = { pass: 2, warn: 1, fail: 0 };

export function verdictAtLeast(v: Verdict, min: Verdict): boolean {
  return RANK[v] >= RANK[min];
}

export function resolveBatchOptions(o: BatchOptionsInput): BatchOptions {
  const layout = o.layout ?? 'folders';
  if (!(LAYOUTS as ReadonlyArray<string>).includes(layout)) throw invalidOption('--layout', `one of ${LAYOUTS.join(', ')}`, layout);
  const outputs = o.outputs ?? [...(layout === 'pairs' ? PAIRS_DEFAULT_OUTPUTS : DEFAULT_OUTPUT_KINDS)];
  if (!Array.isArray(outputs) || !outputs.length) throw invalidOption('--outputs', `a comma-separated list of ${OUTPUT_KINDS.join(', ')}`, outputs);
  for (const k of outputs) {
    if (!(OUTPUT_KINDS as ReadonlyArray<string>).includes(k)) throw invalidOption('--outputs', `a comma-separated list of ${OUTPUT_KINDS.join(', ')}`, k);
    if (layout === 'pairs' && !PAIRS_KINDS.includes(k)) {
      throw new ReconError(
        ErrorCodes.INVALID_OPTION,
        `Expected kinds the pairs layout holds (${PAIRS_KINDS.join(', ')}) for --outputs but received ${JSON.stringify(k)}`,
        'Use --layout folders for obj: an OBJ needs its MTL and texture beside it, in a folder of its own.',
        { option: '--outputs' },
      );
    }
  }
  if (o.size !== undefined && !(Number.isInteger(o.size) && o.size >= MIN_SIZE && o.size <= MAX_SIZE)) throw invalidOption('--size', `integer ${MIN_SIZE}–${MAX_SIZE}`, o.size);
  if (o.detail !== undefined && !(typeof o.detail === 'number' && o.detail >= 0 && o.detail <= 1)) throw invalidOption('--detail', 'a number 0–1', o.detail);
  if (o.view !== undefined && !(VIEWS as ReadonlyArray<string>).includes(o.view)) throw invalidOption('--view', `one of ${VIEWS.join(', ')}`, o.view);
  if (o.subdivisions !== undefined && !isSubdivisions(o.subdivisions)) throw invalidOption('--subdivisions', 'an integer 0–3', o.subdivisions);
  if (o.maxPixels !== undefined && !(Number.isInteger(o.maxPixels) && o.maxPixels >= 1)) throw invalidOption('--max-pixels', 'integer ≥ 1', o.maxPixels);
  const faces = o.faces ?? 'largest';
  if (!(FACE_MODES as ReadonlyArray<string>).includes(faces)) throw invalidOption('--faces', `one of ${FACE_MODES.join(', ')}`, faces);
  const minVerdict = o.minVerdict ?? 'fail';
  if (!(VERDICTS as ReadonlyArray<string>).includes(minVerdict)) throw invalidOption('--min-verdict', `one of ${VERDICTS.join(', ')}`, minVerdict);
  if (o.maxYaw !== undefined && !(typeof o.maxYaw === 'number' && o.maxYaw >= 0 && o.maxYaw <= 90)) throw invalidOption('--max-yaw', 'a number of degrees 0–90', o.maxYaw);
  if (o.quality) {
    for (const [k, v] of Object.entries(o.quality)) {
      if (!(k in DEFAULT_THRESHOLDS) || typeof v !== 'number' || !Number.isFinite(v)) {
        throw invalidOption('--quality', `name=number with a name from ${Object.keys(DEFAULT_THRESHOLDS).join(', ')}`, `${k}=${String(v)}`);
      }
    }
  }
  // Canonical order, so the options key does not depend on how the list was typed.
  const ordered = OUTPUT_KINDS.filter((k) => outputs.includes(k));
  return {
    layout,
    outputs: ordered,
    ...(o.size !== undefined && o.size !== DEFAULT_SIZE ? { size: o.size } : {}),
    ...(o.detail !== undefined ? { detail: o.detail } : {}),
    ...(o.view !== undefined && o.view !== 'front' ? { view: o.view } : {}),
    ...(o.subdivisions !== undefined && o.subdivisions !== DEFAULT_SUBDIVISIONS ? { subdivisions: o.subdivisions } : {}),
    force: o.force ?? false,
    ...(o.maxPixels !== undefined ? { maxPixels: o.maxPixels } : {}),
    ...(o.quality && Object.keys(o.quality).length ? { quality: o.quality } : {}),
    faces,
    minVerdict,
    ...(o.maxYaw !== undefined ? { maxYaw: o.maxYaw } : {}),
  };
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v as object)
        .sort()
        .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
        .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

/** 16 hex digits of the SHA-256 of the options in canonical JSON. */
export function optionsKey(o: BatchOptions): string {
  return createHash('sha256').update(JSON.stringify(canonical(o))).digest('hex').slice(0, 16);
}

/** The engine's per-photo options (what a worker or the daemon is asked for). */
export interface EngineTaskOptions {
  outputs: OutputKind[];
  size?: number;
  detail?: number;
  view?: View;
  subdivisions?: Subdivisions;
  force: boolean;
  maxPixels?: number;
  quality?: Partial<QualityThresholds>;
}

export function engineOptions(o: BatchOptions): EngineTaskOptions {
  return {
    outputs: o.outputs,
    ...(o.size !== undefined ? { size: o.size } : {}),
    ...(o.detail !== undefined ? { detail: o.detail } : {}),
    ...(o.view !== undefined ? { view: o.view } : {}),
    ...(o.subdivisions !== undefined ? { subdivisions: o.subdivisions } : {}),
    force: o.force,
    ...(o.maxPixels !== undefined ? { maxPixels: o.maxPixels } : {}),
    ...(o.quality ? { quality: o.quality } : {}),
  };
}
