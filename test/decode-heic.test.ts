// HEIC decoding (src/recon/decode-heic.ts) on HEIC files made here from the shared photos with Debian's
// `heif-enc` (libheif-examples): pixels, orientation, limits, damage, and a face reconstructed from one.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../src/recon/decode.js';
import { heicOrientation, isHevcHeif, orientationOps, readBoxes } from '../src/recon/decode-heic.js';
import { ReconError } from '../src/recon/errors.js';
import { casePath } from './helpers/paths.js';
import { runCli, tempEnv } from './helpers/daemon.js';

const CONTROL = casePath('control_obama_official_portrait.jpg'); // 910 × 1137
const ORIENT6 = casePath('exif_orientation6_obama.jpg'); // stored 1137 × 910, EXIF Orientation 6

let tmp: string;
let upright: string;
let turned: string;

function heifEnc(src: string, out: string): string {
  execFileSync('heif-enc', ['-q', '85', '-o', out, src], { stdio: 'pipe' });
  return out;
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'heic-test-'));
  upright = heifEnc(CONTROL, path.join(tmp, 'portrait.heic'));
  turned = heifEnc(ORIENT6, path.join(tmp, 'IMG_0006.HEIC'));
});

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  expect(a.length).toBe(b.length);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
}

async function expectReconError(p: Promise<unknown>, code: string, message: RegExp, hint: RegExp): Promise<ReconError> {
  const e = await p.then(
    () => {
      throw new Error('expected a ReconError');
    },
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ReconError);
  const r = e as ReconError;
  expect(r.code).toBe(code);
  expect(r.message).toMatch(message);
  expect(r.hint).toMatch(hint);
  return r;
}

describe('HEIC files made by heif-enc', () => {
  it('are HEVC-coded HEIF (which sharp\'s prebuilt libvips cannot read)', async () => {
    const bytes = fs.readFileSync(upright);
    expect(isHevcHeif(bytes)).toBe(true);
    expect(isHevcHeif(fs.readFileSync(CONTROL))).toBe(false);
    await expect(sharp(bytes).raw().toBuffer()).rejects.toThrow();
  });

  it('decode to the same picture as the JPEG they were made from', async () => {
    const [heic, jpeg] = await Promise.all([decodeImage(upright), decodeImage(CONTROL)]);
    expect(heic).toMatchObject({ format: 'heic', width: 910, height: 1137, orientation: 1, storedWidth: 910, storedHeight: 1137 });
    expect(heic.data.length).toBe(910 * 1137 * 3);
    expect(meanAbsDiff(heic.data, jpeg.data)).toBeLessThan(4); // lossy re-encoding only
  });

  it('apply the EXIF orientation they carry: upright like the JPEG with Orientation 6', async () => {
    const bytes = fs.readFileSync(turned);
    expect(heicOrientation(bytes)).toBe(6);
    const [heic, jpeg] = await Promise.all([decodeImage(bytes), decodeImage(ORIENT6)]);
    expect(heic).toMatchObject({ format: 'heic', width: 910, height: 1137, orientation: 6, storedWidth: 1137, storedHeight: 910 });
    expect(jpeg).toMatchObject({ width: 910, height: 1137 });
    expect(meanAbsDiff(heic.data, jpeg.data)).toBeLessThan(4);
  });

  it('refuse more pixels than maxPixels before decoding them', async () => {
    await expectReconError(decodeImage(upright, { maxPixels: 1_000_000 }), 'IMAGE_TOO_LARGE', /is 910 × 1137 = 1,034,670 pixels, more than the limit of 1,000,000/, /--max-pixels 1034670/);
  });

  it('a truncated or header-only HEIC is IMAGE_DECODE_FAILED naming HEIC, not a crash', async () => {
    const bytes = fs.readFileSync(upright);
    await expectReconError(decodeImage(bytes.subarray(0, Math.floor(bytes.length / 2))), 'IMAGE_DECODE_FAILED', /HEIC/, /export it as JPEG/);
    const magic = new Uint8Array(256);
    magic.set([0, 0, 0, 0x18, ...Buffer.from('ftypheic\0\0\0\0mif1heic', 'latin1')]);
    await expectReconError(decodeImage(magic), 'IMAGE_DECODE_FAILED', /Could not decode the image data \(HEIC, 256 bytes\)/, /JPEG/);
  });

  it('reconstruct a face end to end (CLI)', async () => {
    const te = tempEnv();
    try {
      const out = path.join(te.root, 'out');
      const r = await runCli(['reconstruct', turned, '-o', out], te.env);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^pass .*IMG_0006\.HEIC: 1 face/m);
      const result = JSON.parse(fs.readFileSync(path.join(out, 'IMG_0006', 'result.json'), 'utf8'));
      expect(result.image).toEqual({ width: 910, height: 1137, format: 'heic', orientation: 6 });
      expect(Math.abs(result.faces[0].pose.roll)).toBeLessThan(10); // upright, not lying on its side
    } finally {
      te.cleanup();
    }
  });
});

describe('orientation', () => {
  it('orientationOps turns a stored image upright exactly as libvips does for a TIFF with that tag', async () => {
    // A small asymmetric picture: every pixel different.
    const w = 5;
    const hgt = 3;
    const raw = Buffer.alloc(w * hgt * 3);
    for (let i = 0; i < w * hgt; i++) raw.set([i * 16, 255 - i * 16, (i * 37) % 256], i * 3);
    for (let o = 1; o <= 8; o++) {
      const tiff = await sharp(raw, { raw: { width: w, height: hgt, channels: 3 } }).tiff({ compression: 'none' }).withMetadata({ orientation: o }).toBuffer();
      const expected = await sharp(tiff).autoOrient().raw().toBuffer();
      const ops = orientationOps(o);
      let p = sharp(raw, { raw: { width: w, height: hgt, channels: 3 } });
      if (ops.flip) p = p.flip();
      if (ops.flop) p = p.flop();
      if (ops.rotate) p = p.rotate(ops.rotate);
      expect((await p.raw().toBuffer()).equals(expected), `orientation ${o}`).toBe(true);
    }
  });

  it('an EXIF tag is not applied again when the file has its own HEIF rotation (irot), as iPhones write both', () => {
    const bytes = fs.readFileSync(turned);
    const meta = readBoxes(bytes).find((b) => b.type === 'meta')!;
    const iprp = readBoxes(bytes, meta.start + 4, meta.end).find((b) => b.type === 'iprp')!;
    const ipco = readBoxes(bytes, iprp.start, iprp.end).find((b) => b.type === 'ipco')!;
    // Turn the first property of ipco into an `irot` box in place (same size): the file now says "rotated".
    const first = readBoxes(bytes, ipco.start, ipco.end)[0];
    const patched = Buffer.from(bytes);
    patched.write('irot', first.start - 4, 'latin1');
    expect(heicOrientation(patched)).toBe(1);
    expect(heicOrientation(bytes)).toBe(6);
  });
});
