// Issue 21, items 2–5, 8 and 9: no input pins a worker or the daemon's memory, no error quotes a file, outputs
// are private, nothing under the output root is followed outside it, and Windows paths are not absolute on
// Linux. A real daemon on loopback; every test ends with another client's ping within 100 ms and a job done.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReconClient } from '../src/client/client.js';
import type { WatchResultParams } from '../src/rpc/protocol.js';
import { expectHealthy, rssBytes, SMALL } from './helpers/attack.js';
import { record, rpcError, runCli, startDaemon, tempEnv, waitFor, type TestDaemon } from './helpers/daemon.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-hardening-'));

let d: TestDaemon;
let c: ReconClient;
let probe: ReconClient;

beforeAll(async () => {
  // A plugin that plants links in the job folder, run before dataset-pairs (item 8).
  const planter = path.join(tmp, 'plugins', 'link-planter');
  fs.mkdirSync(planter, { recursive: true });
  fs.writeFileSync(
    path.join(planter, 'package.json'),
    JSON.stringify({
      name: 'link-planter',
      version: '1.0.0',
      main: 'index.js',
      engines: { 'recon-daemon': '^1.0.0' },
      contributes: { exporters: [{ id: 'link-planter', title: 'Plants links', extension: 'txt' }] },
    }),
  );
  fs.writeFileSync(
    path.join(planter, 'index.js'),
    `const fs = require('node:fs'); const path = require('node:path'); const recon = require('recon-daemon');
exports.activate = (context) => context.subscriptions.push(recon.exporters.register('link-planter', async (result, outDir) => {
  const outside = path.join(outDir, '..', '..', 'outside');
  fs.mkdirSync(outside, { recursive: true });
  fs.symlinkSync(outside, path.join(outDir, 'images'));
  fs.symlinkSync(path.join(outside, 'manifest.jsonl'), path.join(outDir, 'manifest.jsonl'));
  return [];
}));`,
  );
  d = await startDaemon(['--plugin-dir', path.join(tmp, 'plugins')]);
  [c, probe] = await Promise.all([d.connect(), d.connect()]);
});

afterAll(async () => {
  await c?.close();
  await probe?.close();
  await d?.stop();
  d?.te.cleanup();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Submit by path; the job's end (the RpcError of job.failed, or the result), with how long it took. */
async function outcome(p: string): Promise<{ ms: number; error?: Awaited<ReturnType<typeof rpcError>>; jobId: string }> {
  let jobId = '';
  const t0 = performance.now();
  const r = await c.reconstruct({ path: p }, {}, { onJobId: (id) => (jobId = id) }).then(
    () => undefined,
    (e: unknown) => e,
  );
  return { ms: performance.now() - t0, jobId, ...(r ? { error: r as Awaited<ReturnType<typeof rpcError>> } : {}) };
}

describe('no input is read without bound (item 2)', () => {
  it('refuses /proc/self/pagemap (a "regular" file of size 0) at once instead of reading it forever', async () => {
    const before = rssBytes(d.child.pid!);
    const r = await outcome('/proc/self/pagemap');
    expect(r.error?.data.code).toBe('IMAGE_DECODE_FAILED');
    expect(r.error?.message).toMatch(/size is not known/);
    expect(r.ms).toBeLessThan(5000);
    expect(rssBytes(d.child.pid!) - before).toBeLessThan(200e6);
    await expectHealthy(d, probe);
  });

  it('checks a 1.9 GB non-image file\'s first bytes instead of reading it whole', async () => {
    const big = path.join(tmp, 'big.jpg');
    const fd = fs.openSync(big, 'w');
    fs.ftruncateSync(fd, 1.9e9); // sparse: no disk is used
    fs.closeSync(fd);
    const before = rssBytes(d.child.pid!);
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rssBytes(d.child.pid!))), 20);
    const r = await outcome(big);
    clearInterval(sampler);
    expect(r.error?.data.code).toBe('IMAGE_DECODE_FAILED');
    expect(r.error?.message).toMatch(/signature of any image format/);
    expect(peak - before, 'RSS growth while the job ran').toBeLessThan(300e6);
    fs.rmSync(big);
    await expectHealthy(d, probe);
  });

  it('does not follow links in a watched folder (to /proc/self/pagemap, to the token file)', async () => {
    const dir = path.join(tmp, 'watched');
    fs.mkdirSync(dir);
    const results: WatchResultParams[] = [];
    c.on('watch.result', (p) => results.push(p));
    const w = await c.request('watch.add', { path: dir, stableMs: 100 });
    fs.symlinkSync('/proc/self/pagemap', path.join(dir, 'pagemap.jpg'));
    fs.symlinkSync(d.te.paths.tokenFile, path.join(dir, 'token.jpg'));
    await waitFor('two watch results', () => results.length >= 2 || undefined, 20_000);
    for (const r of results) {
      expect(r.error?.data.code).toBe('IMAGE_DECODE_FAILED');
      expect(r.error?.message).toMatch(/is a symbolic link, which is not followed here/);
      expect(JSON.stringify(r)).not.toContain(d.token.slice(0, 8));
    }
    await c.request('watch.remove', { watchId: w.watchId });
    await expectHealthy(d, probe);
  });
});

describe('sniffing cannot backtrack (item 3)', () => {
  it('two 411-byte files of 40 "<!-- c -->" fail at once, by path and by data', async () => {
    const text = '<!-- c -->'.repeat(40) + '\n';
    const a = path.join(tmp, 'comments-a.svg');
    fs.writeFileSync(a, text);
    const t0 = performance.now();
    const [byPath, byData] = await Promise.all([
      outcome(a),
      c.reconstruct({ data: Buffer.from(text).toString('base64') }).then(
        () => undefined,
        (e: unknown) => e as Awaited<ReturnType<typeof rpcError>>,
      ),
    ]);
    expect(byPath.error?.data.code).toBe('IMAGE_DECODE_FAILED');
    expect(byData?.data.code).toBe('IMAGE_DECODE_FAILED');
    expect(performance.now() - t0).toBeLessThan(5000);
    await expectHealthy(d, probe);
  });
});

describe('errors never quote file contents (item 4)', () => {
  it('names what a non-image is without quoting it, in job.failed and in result.json', async () => {
    const secret = path.join(tmp, 'secret.env');
    fs.writeFileSync(secret, 'API_KEY=sk-live-4f9a0c1e2b3d4f5a6b7c8d9e0f1a2b3c\n');
    for (const [file, leak] of [
      [secret, 'sk-live'],
      [d.te.paths.tokenFile, d.token.slice(0, 8)],
    ] as const) {
      const r = await outcome(file);
      expect(r.error?.data.code).toBe('IMAGE_DECODE_FAILED');
      expect(`${r.error?.message} ${JSON.stringify(r.error?.data)}`).not.toContain(leak);
      const written = fs.readFileSync(path.join(d.info.outputRoot, r.jobId, 'result.json'), 'utf8');
      expect(written).not.toContain(leak);
      expect(r.error?.message).toMatch(/it is text, not an image$/);
    }
    // Binary: not even the first bytes in hex (/proc/self/environ's are the environment).
    const bin = path.join(tmp, 'blob.jpg');
    fs.writeFileSync(bin, Buffer.from([0x13, 0x37, 0xc0, 0xde, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    const r = await outcome(bin);
    expect(r.error?.message).toMatch(/does not start with the signature of any image format$/);
    expect(r.error?.message).not.toMatch(/13 37/);
    await expectHealthy(d, probe);
  });
});

describe('outputs are private (item 5)', () => {
  it('writes job folders 0700 and files 0600', async () => {
    const r = await c.reconstruct({ path: SMALL });
    expect(fs.statSync(r.dir).mode & 0o777).toBe(0o700);
    expect(fs.statSync(d.info.outputRoot).mode & 0o777).toBe(0o700);
    for (const f of Object.values(r.files)) expect(fs.statSync(f).mode & 0o777, f).toBe(0o600);
    await expectHealthy(d, probe);
  });
});

describe('nothing under the output root is followed outside it (item 8)', () => {
  it('result.read refuses a link planted in the output root in place of a job folder', async () => {
    const secrets = path.join(tmp, 'etc');
    fs.mkdirSync(secrets);
    fs.writeFileSync(path.join(secrets, 'shadow'), 'root:$6$secret');
    fs.symlinkSync(secrets, path.join(d.info.outputRoot, 'planted-job'));
    const e = await rpcError(c.request('result.read', { jobId: 'planted-job', path: 'shadow' }));
    expect(e.data.code).toBe('PATH_NOT_ALLOWED');
    expect(e.message).toMatch(/the job folder is a symbolic link/);
    await expectHealthy(d, probe);
  });

  it('the page\'s job URLs refuse a link planted in place of a job folder (file and zip)', async () => {
    const secrets = path.join(tmp, 'home-ssh');
    fs.mkdirSync(secrets);
    fs.writeFileSync(path.join(secrets, 'id_ed25519'), 'PRIVATE KEY');
    fs.symlinkSync(secrets, path.join(d.info.outputRoot, 'planted-ssh'));
    const open = await runCli(['open', '--no-browser'], d.te.env);
    const login = /(http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(open.stdout)?.[1];
    expect(login, open.stdout + open.stderr).toBeDefined();
    const cookie = (await fetch(login!, { redirect: 'manual' })).headers.get('set-cookie')!.split(';')[0];
    const base = `http://127.0.0.1:${d.info.port}`;
    for (const p of ['/jobs/planted-ssh/id_ed25519', '/jobs/planted-ssh.zip']) {
      const r = await fetch(base + p, { headers: { Cookie: cookie } });
      expect(r.status, p).toBe(404);
      expect(await r.text()).not.toContain('PRIVATE KEY');
    }
    // A real job's files are still served.
    const job = await c.reconstruct({ path: SMALL });
    expect((await fetch(`${base}/jobs/${job.jobId}/result.json`, { headers: { Cookie: cookie } })).status).toBe(200);
    await expectHealthy(d, probe);
  });

  it('the dataset-pairs exporter does not write through links planted in the job folder', async () => {
    const r = await c.reconstruct({ path: SMALL }, { exporters: ['link-planter', 'dataset-pairs'] });
    const outside = path.join(d.info.outputRoot, '..', 'outside');
    expect(fs.readdirSync(outside)).toEqual([]);
    const pairs = r.exports!.find((x) => x.exporter === 'dataset-pairs')!;
    expect(pairs.files).toEqual([]);
    expect(pairs.error?.message).toMatch(/images in the job folder is not a folder/);
    await expectHealthy(d, probe);
  });

  it('a job does not write into a folder planted under its id', async () => {
    // Keep the worker busy so the next job waits in the queue, then plant its folder.
    const busy = c.reconstruct({ path: SMALL });
    const { jobId } = await c.request('recon.reconstruct', { image: { path: SMALL } });
    const outside = path.join(tmp, 'planted-outside');
    fs.mkdirSync(outside);
    fs.symlinkSync(outside, path.join(d.info.outputRoot, jobId));
    const seen = record(c);
    await busy;
    const failed = await waitFor('job.failed', () => seen.find((m) => m.method === 'job.failed' && m.params.jobId === jobId), 30_000);
    expect((failed.params.error as { data: { code: string } }).data.code).toBe('OUTPUT_NOT_WRITABLE');
    expect(fs.readdirSync(outside)).toEqual([]);
    await expectHealthy(d, probe);
  });
});

describe('Windows paths on Linux (item 9)', () => {
  it('refuses C:/… and C:\\… as not absolute instead of resolving them against the daemon\'s working directory', async () => {
    for (const p of ['C:/Users/ana/photo.jpg', 'C:\\Users\\ana\\photo.jpg']) {
      const e = await rpcError(c.request('recon.reconstruct', { image: { path: p } }));
      expect(e.data.code).toBe('INVALID_PARAMS');
      expect(e.message).toBe(`Invalid params for recon.reconstruct: Expected an absolute file path for image.path but received ${JSON.stringify(p)}`);
    }
    const w = await rpcError(c.request('watch.add', { path: 'C:/incoming' }));
    expect(w.message).toMatch(/Expected an absolute folder path for path/);
    await expectHealthy(d, probe);
  });
});

describe('job.cancel stops a running decode (item 2)', () => {
  let big: TestDaemon;
  let photo: string;
  beforeAll(async () => {
    // A 400-megapixel progressive JPEG: its decode alone takes seconds, with no stage boundary inside it.
    photo = path.join(tmp, 'huge.jpg');
    await sharp(SMALL).resize(20_000, 20_000, { fit: 'fill', kernel: 'nearest' }).jpeg({ quality: 80, progressive: true }).toFile(photo);
    big = await startDaemon(['--max-pixels', '400000000'], tempEnv());
  });
  afterAll(async () => {
    await big?.stop();
    big?.te.cleanup();
  });

  it('ends the job within a second or two of job.cancel (the worker is replaced), and the next job completes', async () => {
    const cl = await big.connect();
    let cancelledAt = 0;
    const t0 = performance.now();
    const e = await rpcError(
      cl.reconstruct({ path: photo }, {}, {
        onProgress: (p) => {
          // Half a second in: the file is read (~25 MB) and the decoder is busy, deaf to the cancel signal.
          if (p.stage === 'started' && !cancelledAt) {
            setTimeout(() => {
              cancelledAt = performance.now();
              void cl.request('job.cancel', { jobId: p.jobId });
            }, 500);
          }
        },
      }),
    );
    const ms = performance.now() - cancelledAt;
    expect(e.data.code).toBe('REQUEST_CANCELLED');
    expect(cancelledAt - t0, 'the cancel was sent').toBeGreaterThan(0);
    expect(ms, 'from job.cancel to job.failed (ms)').toBeLessThan(2500);
    await cl.close();
    await expectHealthy(big);
  });
});
