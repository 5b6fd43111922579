// The real CLI (bin/recon-daemon.js → dist), as a user runs it.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { casePath, repoRoot } from './helpers/paths.js';

const cli = path.join(repoRoot, 'bin/recon-daemon.js');
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'recon-cli-'));
// No daemon can be discovered from these dirs, so these runs always use the embedded engine.
const isolated = { ...process.env, XDG_RUNTIME_DIR: tmp(), XDG_CONFIG_HOME: tmp() };
const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: repoRoot, env: isolated });

describe('recon-daemon reconstruct', () => {
  it('runs the README example and says where the results went', () => {
    const out = tmp();
    const r = run(['reconstruct', 'examples/astronaut.png', '-o', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(path.join(out, 'astronaut') + path.sep);
    expect(r.stdout).toMatch(/^pass /);
    expect(r.stdout).toMatch(/1 of 1 photo\(s\) reconstructed without a failing verdict/);
    const result = JSON.parse(fs.readFileSync(path.join(out, 'astronaut', 'result.json'), 'utf8'));
    expect(result.schema).toBe('recon-daemon/result@1');
    expect(result.image).toMatchObject({ width: 512, height: 512 });
    expect(result.faces[0].points).toHaveLength(478);
    expect(result.faces[0].landmarks68).toHaveLength(68);
    expect(Object.keys(result.faces[0].pose).sort()).toEqual(['pitch', 'roll', 'yaw']);
    expect(result.outputs.overlay).toBe('overlay.png');
  });

  it('writes an overlay of the face region with the points drawn where the face is', async () => {
    const out = tmp();
    expect(run(['reconstruct', casePath('control_obama_official_portrait.jpg'), '-o', out]).status).toBe(0);
    const result = JSON.parse(fs.readFileSync(path.join(out, 'control_obama_official_portrait', 'result.json'), 'utf8'));
    const { region, scale } = result.overlay;
    const [left, top, width, height] = region;
    const face = result.faces[0];
    // The region holds the face's box with a margin.
    expect(left).toBeLessThan(face.box[0]);
    expect(top).toBeLessThan(face.box[1]);
    expect(left + width).toBeGreaterThan(face.box[0] + face.box[2]);
    expect(top + height).toBeGreaterThan(face.box[1] + face.box[3]);
    const overlay = await sharp(path.join(out, 'control_obama_official_portrait', 'overlay.png')).raw().toBuffer({ resolveWithObject: true });
    expect([overlay.info.width, overlay.info.height]).toEqual([Math.round(width * scale), Math.round(height * scale)]);
    // The points' cyan appears inside the points' extent and nowhere else.
    const xs = face.points.map((p: number[]) => (p[0] - left) * scale);
    const ys = face.points.map((p: number[]) => (p[1] - top) * scale);
    const [minX, maxX, minY, maxY] = [Math.min(...xs) - 4, Math.max(...xs) + 4, Math.min(...ys) - 4, Math.max(...ys) + 4];
    let inside = 0;
    let outside = 0;
    const { width: w, height: h, channels } = overlay.info;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = (y * w + x) * channels;
        const cyan = overlay.data[i] < 40 && overlay.data[i + 1] > 200 && overlay.data[i + 2] > 220;
        if (cyan) x >= minX && x <= maxX && y >= minY && y <= maxY ? inside++ : outside++;
      }
    }
    expect(inside).toBeGreaterThan(300);
    expect(outside).toBe(0);
  });

  it('keeps going when one photo fails, records why, and exits 1', () => {
    const out = tmp();
    const r = run(['reconstruct', casePath('negative_coffee.png'), 'examples/astronaut.png', '-o', out]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('NO_FACE');
    expect(r.stderr).toContain('hint:');
    const failed = JSON.parse(fs.readFileSync(path.join(out, 'negative_coffee', 'result.json'), 'utf8'));
    expect(failed.error.code).toBe('NO_FACE');
    expect(fs.existsSync(path.join(out, 'negative_coffee', 'overlay.png'))).toBe(false);
    expect(fs.existsSync(path.join(out, 'astronaut', 'result.json'))).toBe(true);
  });

  it('says the output folder cannot be written, with a hint, and never hangs: a file in the way, a place that takes no folders', () => {
    const out = tmp();
    fs.writeFileSync(path.join(out, 'taken'), 'x');
    const r = run(['reconstruct', 'examples/astronaut.png', '-o', path.join(out, 'taken'), '--embedded']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('OUTPUT_NOT_WRITABLE');
    expect(r.stderr).toMatch(/hint: A file is in the way/);
    // Node's own recursive mkdir loops forever under /proc; ours reports it.
    const p = spawnSync(process.execPath, [cli, 'reconstruct', 'examples/astronaut.png', '-o', '/proc/recon-test', '--embedded'], { encoding: 'utf8', cwd: repoRoot, env: isolated, timeout: 60_000 });
    expect(p.signal).toBeNull();
    expect(p.status).toBe(1);
    expect(p.stderr).toContain('OUTPUT_NOT_WRITABLE');
    expect(p.stderr).toContain('hint:');
  });

  it('prints one JSON line per photo with --json, and reconstructs every face with --face all', () => {
    const out = tmp();
    const r = run(['reconstruct', casePath('two_people.jpg'), '--face', 'all', '--json', '-o', out]);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const res = JSON.parse(lines[0]);
    expect(res.faces).toHaveLength(2);
    expect(res.reconstructed).toEqual([0, 1]);
  });

  it('gives two inputs with the same name separate folders', () => {
    const out = tmp();
    const dir = tmp();
    fs.mkdirSync(path.join(dir, 'a'));
    fs.mkdirSync(path.join(dir, 'b'));
    fs.copyFileSync(path.join(repoRoot, 'examples/astronaut.png'), path.join(dir, 'a', 'face.png'));
    fs.copyFileSync(casePath('two_people.jpg'), path.join(dir, 'b', 'face.jpg'));
    expect(run(['reconstruct', path.join(dir, 'a', 'face.png'), path.join(dir, 'b', 'face.jpg'), '-o', out]).status).toBe(0);
    expect(fs.readdirSync(out).sort()).toEqual(['face', 'face-2']);
  });

  it('rejects a bad --face value with the option wording and exit code 1', () => {
    const r = run(['reconstruct', 'examples/astronaut.png', '--face', 'biggest', '-o', tmp()]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('Expected "largest", "all" or a face index ≥ 0 for --face but received "biggest"');
  });

  it('passes --outputs, --size and --quality through, and prints the flagged checks with hints', () => {
    const out = tmp();
    // The side view (yaw ≈ 64°, pitch ≈ −27°) warns by default; yawWarn=70 leaves only the pitch, against a limit of 20°.
    const r = run(['reconstruct', casePath('cameraman_greyscale.png'), '--outputs', 'structure', '--size', '128', '--quality', 'yawWarn=70', '--quality', 'pitchWarn=20', '-o', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^warn /);
    expect(r.stdout).toContain('warn POSE_TOO_LARGE');
    expect(r.stdout).toMatch(/POSE_TOO_LARGE: The head is turned \(yaw \d+°, pitch -?\d+°; above 20°\)/);
    expect(r.stdout).toContain('hint: For the most faithful result use a photo where the person faces the camera');
    expect(fs.readdirSync(path.join(out, 'cameraman_greyscale')).sort()).toEqual(['result.json', 'structure.png']);
    const bad = run(['reconstruct', 'examples/astronaut.png', '--outputs', 'structure,stl', '-o', tmp()]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('Expected a comma-separated list of crop, structure, depth, normal, mask, front-structure, front-depth, front-normal, front-mask, obj, glb, overlay, turntable for --outputs but received "stl"');
  });

  it('refuses an unknown command with usage help (exit 2)', () => {
    const r = run(['reconstrut', 'x.jpg']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/Did you mean reconstruct/);
  });
});
