// The batch's plain parts, in process: which files are taken, their sources, photo names, CSV fields, the
// options key. No models.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { collectInputs, globBase, globToRegExp } from '../src/batch/inputs.js';
import { NameRegistry, placeFile } from '../src/batch/layout.js';
import { csvField, toCsv } from '../src/batch/manifest.js';
import { optionsKey, resolveBatchOptions } from '../src/batch/options.js';
import type { ManifestRecord } from '../src/batch/record.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-batch-inputs-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function touch(rel: string): string {
  const f = path.join(tmp, rel);
  fs.mkdirSync(path.dirname(f), { recursive: true });
  fs.writeFileSync(f, 'x');
  return f;
}

describe('inputs', () => {
  it('walks folders recursively for photo extensions, skipping hidden entries and the output folder', async () => {
    for (const f of ['in/a.JPG', 'in/b.png', 'in/c.txt', 'in/.d.jpg', 'in/.cache/e.jpg', 'in/sub/f.webp', 'in/sub/g.HEIC', 'in/out/h.jpg']) touch(f);
    const set = await collectInputs([path.join(tmp, 'in')], { exclude: [path.join(tmp, 'in', 'out')] });
    expect(set.root).toBe(path.join(tmp, 'in'));
    expect(set.files.map((f) => f.source)).toEqual(['a.JPG', 'b.png', 'sub/f.webp', 'sub/g.HEIC']);
  });

  it('makes sources relative to the common folder of every argument, and takes named files whatever their name', async () => {
    const named = touch('other/readme.dat');
    const set = await collectInputs([path.join(tmp, 'in', 'sub'), named, path.join(tmp, 'in', 'b.png')]);
    expect(set.root).toBe(tmp);
    expect(set.files.map((f) => f.source)).toEqual(['in/b.png', 'in/sub/f.webp', 'in/sub/g.HEIC', 'other/readme.dat']);
  });

  it('expands globs with **, *, ? and {a,b}, and reports globs that match nothing', async () => {
    const set = await collectInputs([`${tmp}/in/**/*.{png,webp}`, `${tmp}/in/?.JPG`, `${tmp}/in/*.gif`]);
    expect(set.files.map((f) => f.source)).toEqual(['a.JPG', 'b.png', 'sub/f.webp']);
    expect(set.empty).toEqual([`${tmp}/in/*.gif`]);
    expect(globBase('photos/2024/**/*.jpg')).toBe('photos/2024');
    expect(globToRegExp('/p/**/*.jpg').test('/p/a.jpg')).toBe(true);
    expect(globToRegExp('/p/**/*.jpg').test('/p/x/y/a.jpg')).toBe(true);
    expect(globToRegExp('/p/*.jpg').test('/p/x/a.jpg')).toBe(false);
    expect(globToRegExp('/p/[!a]*.jpg').test('/p/b.jpg')).toBe(true);
    expect(globToRegExp('/p/[!a]*.jpg').test('/p/a.jpg')).toBe(false);
  });

  it('refuses an argument that is neither a file, a folder nor a glob', async () => {
    await expect(collectInputs([path.join(tmp, 'nope')])).rejects.toThrow(`Expected an existing folder, photo file or glob for inputs but received ${JSON.stringify(path.join(tmp, 'nope'))}`);
  });
});

describe('names and layout', () => {
  it('names photos after their source without the extension, and keeps clashing names apart without regard to case', () => {
    const r = new NameRegistry();
    r.claim('trip/a', 'trip/a.jpg');
    expect(r.assign('trip/a.jpg')).toBe('trip/a');
    expect(r.assign('trip/a.png')).toBe('trip/a-2');
    expect(r.assign('trip/A.webp')).toBe('trip/A-3');
    expect(r.assign('manifest.jsonl.jpg')).toBe('manifest.jsonl-2');
    expect(r.assign('noext')).toBe('noext');
  });

  it('places files per layout', () => {
    expect(placeFile('folders', 'trip/a', 0, 'structure', 'structure.png')).toBe('trip/a/structure.png');
    expect(placeFile('folders', 'trip/a', 2, 'result', 'result.json')).toBe('trip/a/face-2/result.json');
    expect(placeFile('pairs', 'trip/a', 0, 'crop', 'crop.png')).toBe('images/trip/a.png');
    expect(placeFile('pairs', 'trip/a', 1, 'result', 'result.json')).toBe('results/trip/a_face1.json');
    expect(placeFile('pairs', 'trip/a', 0, 'glb', 'face.glb')).toBe('glb/trip/a.glb');
    // The front view's maps and the turntable have folders of their own.
    expect(placeFile('pairs', 'trip/a', 0, 'front-structure', 'front-structure.png')).toBe('front-structure/trip/a.png');
    expect(placeFile('pairs', 'trip/a', 0, 'turntable', 'turntable.webp')).toBe('turntable/trip/a.webp');
  });
});

describe('manifest and options', () => {
  it('quotes CSV fields that need it', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('plain')).toBe('plain');
    expect(csvField(null)).toBe('');
    const r: ManifestRecord = { source: 'x, y.jpg', sha256: null, status: 'failed', verdict: 'fail', codes: ['IMAGE_DECODE_FAILED'], faces: null, pose: null, faceSize: null, timings: {}, outputs: {}, error: { code: 'IMAGE_DECODE_FAILED', message: 'bad\nfile', hint: '' } };
    const csv = toCsv([r]);
    expect(csv.split('\r\n')[1]).toBe('"x, y.jpg",,failed,fail,IMAGE_DECODE_FAILED,,,,,,,,,,,IMAGE_DECODE_FAILED,"bad\nfile",0');
  });

  it('keys options by what changes the outputs, whatever order they were typed in', () => {
    const a = resolveBatchOptions({ outputs: ['structure', 'crop'] });
    const b = resolveBatchOptions({ outputs: ['crop', 'structure'], size: 256 });
    expect(optionsKey(a)).toBe(optionsKey(b));
    expect(optionsKey(a)).not.toBe(optionsKey(resolveBatchOptions({ outputs: ['crop', 'structure'], maxYaw: 30 })));
    expect(resolveBatchOptions({ layout: 'pairs' }).outputs).toEqual(['crop', 'structure']);
    expect(() => resolveBatchOptions({ size: 2000 })).toThrow('Expected integer 128–1024 for --size but received 2000');
    // The mesh's view and density change the outputs; their defaults key like leaving them out.
    expect(optionsKey(resolveBatchOptions({ outputs: ['crop', 'structure'], view: 'front', subdivisions: 1 }))).toBe(optionsKey(a));
    expect(optionsKey(resolveBatchOptions({ outputs: ['crop', 'structure'], view: 'camera' }))).not.toBe(optionsKey(a));
    expect(optionsKey(resolveBatchOptions({ outputs: ['crop', 'structure'], subdivisions: 2 }))).not.toBe(optionsKey(a));
    expect(() => resolveBatchOptions({ view: 'side' as 'front' })).toThrow('Expected one of front, camera for --view but received "side"');
    // Everything but the turntable by default.
    expect(resolveBatchOptions({}).outputs).not.toContain('turntable');
    expect(resolveBatchOptions({}).outputs).toContain('front-structure');
  });
});
