// util/fs.ts: the mkdir -p that never hangs, and atomic writes, on the real file system.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeDir, makeDirSync, writeFileAtomic, writeFileAtomicSync } from '../src/util/fs.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'recon-fs-'));

describe('makeDir / makeDirSync', () => {
  it('creates every missing level, accepts an existing folder, and applies the mode to new levels', async () => {
    const root = tmp();
    await makeDir(path.join(root, 'a', 'b', 'c'));
    makeDirSync(path.join(root, 'x', 'y'), 0o700);
    await makeDir(path.join(root, 'a', 'b', 'c'));
    makeDirSync(path.join(root, 'x', 'y'));
    expect(fs.statSync(path.join(root, 'a', 'b', 'c')).isDirectory()).toBe(true);
    expect(fs.statSync(path.join(root, 'x', 'y')).mode & 0o777).toBe(0o700);
  });

  it('lets many callers create the same folders at once', async () => {
    const root = tmp();
    await Promise.all(Array.from({ length: 16 }, (_, i) => makeDir(path.join(root, 'p', 'q', String(i % 3)))));
    expect(fs.readdirSync(path.join(root, 'p', 'q')).sort()).toEqual(['0', '1', '2']);
  });

  it('refuses a file in the way', async () => {
    const root = tmp();
    fs.writeFileSync(path.join(root, 'f'), 'x');
    await expect(makeDir(path.join(root, 'f'))).rejects.toMatchObject({ code: 'EEXIST' });
    await expect(makeDir(path.join(root, 'f', 'g'))).rejects.toMatchObject({ code: 'ENOTDIR' });
    expect(() => makeDirSync(path.join(root, 'f', 'g'))).toThrow(/ENOTDIR/);
  });

  it('returns ENOENT under /proc instead of looping like fs.mkdir(…, {recursive: true})', async () => {
    await expect(makeDir('/proc/recon-test/a')).rejects.toMatchObject({ code: 'ENOENT' });
    expect(() => makeDirSync('/proc/recon-test')).toThrow(/ENOENT/);
  });
});

describe('writeFileAtomic / writeFileAtomicSync', () => {
  it('replace a file whole and leave no temporary files behind', async () => {
    const root = tmp();
    const file = path.join(root, 'sub', 'out.bin');
    await writeFileAtomic(file, new Uint8Array([1, 2, 3]));
    writeFileAtomicSync(file, 'second');
    expect(fs.readFileSync(file, 'utf8')).toBe('second');
    expect(fs.readdirSync(path.dirname(file))).toEqual(['out.bin']);
  });

  it('clean up the temporary file when the write fails', async () => {
    const root = tmp();
    fs.mkdirSync(path.join(root, 'out.bin'));
    fs.writeFileSync(path.join(root, 'out.bin', 'keep'), 'x');
    // Renaming a file over a non-empty folder fails after the temporary file was written.
    await expect(writeFileAtomic(path.join(root, 'out.bin'), 'data')).rejects.toThrow();
    expect(() => writeFileAtomicSync(path.join(root, 'out.bin'), 'data')).toThrow();
    expect(fs.readdirSync(root)).toEqual(['out.bin']);
  });
});
