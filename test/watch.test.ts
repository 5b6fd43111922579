// Watched folders: the daemon's watch.add / watch.remove / watch.list with real WebSocket clients, and the
// `recon-daemon watch <dir> -o <out>` command.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReconClient } from '../src/client/client.js';
import { RpcError } from '../src/rpc/errors.js';
import type { WatchResultParams } from '../src/rpc/protocol.js';
import { bin, record, startDaemon, waitFor, type TestDaemon } from './helpers/daemon.js';
import { casePath } from './helpers/paths.js';

const PHOTO = casePath('control_obama_official_portrait.jpg');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-watch-'));

/** Write a photo in two halves with a pause, like a slow copy: it must be read once, complete. */
async function slowCopy(from: string, to: string): Promise<void> {
  const bytes = fs.readFileSync(from);
  const half = Math.floor(bytes.length / 2);
  fs.writeFileSync(to, bytes.subarray(0, half));
  await new Promise((r) => setTimeout(r, 150));
  fs.appendFileSync(to, bytes.subarray(half));
}

describe('watch.add / watch.remove / watch.list on the daemon', () => {
  let d: TestDaemon;
  let owner: ReconClient;
  let subscriber: ReconClient;
  const dir = path.join(tmp, 'incoming');

  beforeAll(async () => {
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(casePath('astronaut_eileen_collins.png'), path.join(dir, 'already-there.png'));
    d = await startDaemon();
    owner = await d.connect();
    subscriber = await d.connect();
  });

  afterAll(async () => {
    await owner?.close();
    await subscriber?.close();
    await d?.stop();
    d?.te.cleanup();
  });

  it('reconstructs a new photo once it is completely written and pushes the result to a subscribed client', async () => {
    expect((await subscriber.request('events.subscribe', { events: ['watch.result'] })).events).toEqual(['watch.result']);
    const pushed: WatchResultParams[] = [];
    subscriber.on('watch.result', (p) => pushed.push(p));
    const seenByOwner = record(owner);

    const w = await owner.request('watch.add', { path: dir, stableMs: 300, options: { outputs: ['structure', 'crop'] } });
    expect(w).toMatchObject({ path: dir, recursive: true, existing: false, persistent: false, stableMs: 300, clientId: owner.initializeResult!.clientId });
    expect(w.watchId).toMatch(/^w-[0-9a-f]{12}$/);

    // Not photos, hidden files: ignored. A photo in a new sub-folder, written slowly: reconstructed once.
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'not a photo');
    fs.copyFileSync(PHOTO, path.join(dir, '.hidden.jpg'));
    fs.mkdirSync(path.join(dir, 'day1'));
    const photo = path.join(dir, 'day1', 'new.jpg');
    await slowCopy(PHOTO, photo);

    const got = await waitFor('watch.result', () => pushed[0], 60_000);
    expect(got.watchId).toBe(w.watchId);
    expect(got.path).toBe(photo);
    expect(got.error).toBeUndefined();
    expect(got.result).toMatchObject({ verdict: 'pass', faces: 1, reconstructed: [0] });
    expect(Object.keys(got.result!.files).sort()).toEqual(['crop', 'result', 'structure']);
    expect(fs.statSync(got.result!.files.structure).size).toBeGreaterThan(1000);
    expect(JSON.parse(fs.readFileSync(got.result!.files.result, 'utf8')).source).toBe('new.jpg');
    // The owner's jobs are its own: it gets the job notifications and the watch result too.
    expect(seenByOwner.some((m) => m.method === 'job.completed' && m.params.jobId === got.jobId)).toBe(true);
    await waitFor('the owner\'s watch.result', () => seenByOwner.some((m) => m.method === 'watch.result'));

    // Only that one photo: not the one that was already there, not the text or hidden file, not twice.
    await new Promise((r) => setTimeout(r, 800));
    expect(pushed).toHaveLength(1);
    const [listed] = (await subscriber.request('watch.list', {})).watches;
    expect(listed).toMatchObject({ watchId: w.watchId, counts: { seen: 1, pending: 0, running: 0, completed: 1, failed: 0 } });
  });

  it('pushes failures as watch.result errors', async () => {
    const pushed: WatchResultParams[] = [];
    subscriber.on('watch.result', (p) => pushed.push(p));
    fs.writeFileSync(path.join(dir, 'broken.jpg'), fs.readFileSync(PHOTO).subarray(0, 4000));
    const got = await waitFor('watch.result', () => pushed[0], 60_000);
    expect(got.path).toBe(path.join(dir, 'broken.jpg'));
    expect(got.result).toBeUndefined();
    expect(got.error).toMatchObject({ code: -32803, data: { code: 'IMAGE_DECODE_FAILED' } });
  });

  it('refuses a path that is not a folder, or the output root, with the usual wording', async () => {
    const e1 = await owner.request('watch.add', { path: path.join(dir, 'nope') }).catch((e: unknown) => e as RpcError);
    expect(e1).toBeInstanceOf(RpcError);
    expect((e1 as RpcError).data.code).toBe('INVALID_PARAMS');
    expect((e1 as RpcError).message).toBe(`Invalid params for watch.add: Expected an existing folder for path but received ${JSON.stringify(path.join(dir, 'nope'))}`);
    const root = (await owner.request('daemon.status', {})).outputRoot;
    const e2 = (await owner.request('watch.add', { path: root }).catch((e: unknown) => e)) as RpcError;
    expect(e2.message).toMatch(/Expected a folder outside the daemon's output root for path/);
    const e3 = (await owner.request('watch.add', { path: 'relative/dir' }).catch((e: unknown) => e)) as RpcError;
    expect(e3.message).toBe('Invalid params for watch.add: Expected an absolute folder path for path but received "relative/dir"');
  });

  it('ends a watch with watch.remove, and a non-persistent watch when its connection closes', async () => {
    const other = path.join(tmp, 'other');
    fs.mkdirSync(other);
    const kept = await subscriber.request('watch.add', { path: other, persistent: true });
    const [first] = (await owner.request('watch.list', {})).watches.filter((w) => w.path === dir);
    expect(await subscriber.request('watch.remove', { watchId: kept.watchId })).toEqual({ watchId: kept.watchId, removed: true });
    expect(await subscriber.request('watch.remove', { watchId: kept.watchId })).toEqual({ watchId: kept.watchId, removed: false });
    expect((await subscriber.request('watch.list', {})).watches.map((w) => w.watchId)).toEqual([first.watchId]);
    await owner.close();
    await waitFor('the owner\'s watch to end', async () => (await subscriber.request('watch.list', {})).watches.length === 0);
  });
});

describe('recon-daemon watch <dir> -o <out>', () => {
  it('does the photos already there, then each new one, into the output folder with a manifest; Ctrl-C ends it cleanly', async () => {
    const dir = path.join(tmp, 'cli-in');
    const out = path.join(tmp, 'cli-out');
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(casePath('astronaut_eileen_collins.png'), path.join(dir, 'first.png'));
    const child = spawn(process.execPath, [bin, 'watch', dir, '-o', out, '--embedded', '--workers', '1', '--stable-ms', '200', '--outputs', 'structure'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const lines = () => (fs.existsSync(path.join(out, 'manifest.jsonl')) ? fs.readFileSync(path.join(out, 'manifest.jsonl'), 'utf8').split('\n').filter(Boolean) : []);
    await waitFor('the photo already there', () => lines().length === 1, 60_000);
    fs.mkdirSync(path.join(dir, 'later'));
    await slowCopy(PHOTO, path.join(dir, 'later', 'second.jpg'));
    await waitFor('the new photo in the manifest', () => lines().length === 2, 60_000);
    child.kill('SIGINT');
    expect(await exited, stderr).toBe(0);
    const records = lines().map((l) => JSON.parse(l));
    expect(records.map((r) => [r.source, r.status])).toEqual([
      ['first.png', 'ok'],
      ['later/second.jpg', 'ok'],
    ]);
    expect(fs.existsSync(path.join(out, 'later', 'second', 'structure.png'))).toBe(true);
    expect(stderr).toMatch(/watching .*cli-in/);
    expect(stdout).toMatch(/^2 photos: 2 ok/m);
  });
});

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
