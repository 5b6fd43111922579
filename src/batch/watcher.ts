// The file watcher behind `recon-daemon watch` and the daemon's watch.add: chokidar over a folder, reporting
// photo files (PHOTO_EXTENSIONS, not hidden) once they have stopped growing (awaitWriteFinish), so a photo
// still being copied in is never read half-written. Excluded folders (an output folder inside the watched
// one) are never entered: their new files would otherwise be reconstructed in turn.
import path from 'node:path';
import type { FSWatcher } from 'chokidar';
import { hasPhotoExtension, isHiddenName, isInside } from './inputs.js';

export interface PhotoWatchOptions {
  /** Sub-folders too (default true). */
  recursive?: boolean;
  /** A file counts as written once its size has not changed for this long, ms (default 1000). */
  stableMs?: number;
  /** Also report the photos already there (default false). */
  existing?: boolean;
  /** Folders never entered. */
  exclude?: string[];
}

export const DEFAULT_STABLE_MS = 1000;

export interface PhotoWatcher {
  close(): Promise<void>;
}

/** Start watching; resolves once the initial scan is done, so every file created afterwards is reported. */
export async function watchPhotos(
  dir: string,
  o: PhotoWatchOptions,
  onPhoto: (abs: string, event: 'add' | 'change') => void,
  onError: (e: Error) => void = () => undefined,
): Promise<PhotoWatcher> {
  const { watch } = await import('chokidar');
  const root = path.resolve(dir);
  const exclude = (o.exclude ?? []).map((e) => path.resolve(e));
  const stable = o.stableMs ?? DEFAULT_STABLE_MS;
  const watcher: FSWatcher = watch(root, {
    ignoreInitial: !o.existing,
    persistent: true,
    followSymlinks: false,
    ...(o.recursive === false ? { depth: 0 } : {}),
    awaitWriteFinish: stable > 0 ? { stabilityThreshold: stable, pollInterval: Math.max(20, Math.min(100, Math.round(stable / 4))) } : false,
    ignored: (p: string, stats) => {
      const rel = path.relative(root, p);
      if (rel === '' || rel.startsWith('..')) return false;
      if (rel.split(path.sep).some(isHiddenName)) return true;
      if (exclude.some((e) => isInside(p, e))) return true;
      return Boolean(stats?.isFile() && !hasPhotoExtension(p));
    },
  });
  const report = (event: 'add' | 'change') => (p: string) => {
    if (hasPhotoExtension(p)) onPhoto(path.resolve(p), event);
  };
  watcher.on('add', report('add'));
  watcher.on('change', report('change'));
  watcher.on('error', (e) => onError(e instanceof Error ? e : new Error(String(e))));
  await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  return { close: () => watcher.close() };
}
