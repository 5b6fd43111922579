// Where each photo's files go in the output folder, and the names photos get there.
//
//   folders (default)                      pairs (--layout pairs)
//   <name>/structure.png, crop.png, …      images/<name>.png       (the aligned crop)
//   <name>/result.json                     structure/<name>.png
//   <name>/face-1/…   (--faces all)        depth/, normal/, mask/, overlay/ <name>.png, glb/<name>.glb (when asked)
//                                          results/<name>.json
//                                          <name>_face1.png …      (--faces all)
//
// <name> is the source path without its extension ("trip/IMG_0001.jpg" → "trip/IMG_0001"), so the output
// mirrors the input tree. Two sources that would share a name (a.jpg and a.png; names are compared without
// case, for case-insensitive file systems) get "-2", "-3"… in the order they are first seen; a name, once
// given, is kept in the photo's state file, so reruns never rename anything.
import type { Layout } from './options.js';

export const MANIFEST_JSONL = 'manifest.jsonl';
export const MANIFEST_CSV = 'manifest.csv';
export const SUMMARY_JSON = 'summary.json';
/** The batch's private folder (state, temp files, lock), inside the output folder. */
export const STATE_DIR = '.recon-batch';

/** Pairs layout: output kind → folder. */
export const PAIRS_FOLDERS: Record<string, string> = {
  crop: 'images',
  structure: 'structure',
  depth: 'depth',
  normal: 'normal',
  mask: 'mask',
  'front-structure': 'front-structure',
  'front-depth': 'front-depth',
  'front-normal': 'front-normal',
  'front-mask': 'front-mask',
  overlay: 'overlay',
  glb: 'glb',
  turntable: 'turntable',
  result: 'results',
};

export function pairsExtension(kind: string): string {
  return kind === 'glb' ? '.glb' : kind === 'result' ? '.json' : kind === 'turntable' ? '.webp' : '.png';
}

/** Destination of one output file, relative to the output folder ("/" separators). */
export function placeFile(layout: Layout, name: string, face: number, kind: string, file: string): string {
  if (layout === 'folders') return face === 0 ? `${name}/${file}` : `${name}/face-${face}/${file}`;
  const folder = PAIRS_FOLDERS[kind];
  if (!folder) throw new Error(`the pairs layout has no folder for ${kind}`);
  return `${folder}/${name}${face === 0 ? '' : `_face${face}`}${pairsExtension(kind)}`;
}

/** The name a source asks for: its path without the extension. */
export function desiredName(source: string): string {
  const slash = source.lastIndexOf('/');
  const base = source.slice(slash + 1);
  const dot = base.lastIndexOf('.');
  const stem = dot > 0 ? base.slice(0, dot) : base;
  return source.slice(0, slash + 1) + (stem || 'image');
}

const RESERVED = new Set([MANIFEST_JSONL, MANIFEST_CSV, SUMMARY_JSON, STATE_DIR].map((s) => s.toLowerCase()));

export class NameRegistry {
  private readonly owner = new Map<string, string>();

  /** Names already given (from state files): they stay with their sources. */
  claim(name: string, source: string): void {
    this.owner.set(name.toLowerCase(), source);
  }

  assign(source: string): string {
    const want = desiredName(source);
    for (let n = 1; ; n++) {
      const candidate = n === 1 ? want : `${want}-${n}`;
      const key = candidate.toLowerCase();
      if (RESERVED.has(key)) continue;
      const holder = this.owner.get(key);
      if (holder === undefined || holder === source) {
        this.owner.set(key, source);
        return candidate;
      }
    }
  }
}
