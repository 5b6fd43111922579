// The daemon's protocol against a real daemon process on loopback, with real WebSocket clients.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReconClient } from '../src/client/client.js';
import { reconstructToFolderViaDaemon } from '../src/client/reconstruct-to-folder.js';
import { RpcError } from '../src/rpc/errors.js';
import { casePath } from './helpers/paths.js';
import { rawSocket, record, startDaemon, waitFor, type TestDaemon, rpcError } from './helpers/daemon.js';

const SMALL = casePath('obama_240p_letterbox.jpg');
const PORTRAIT = casePath('control_obama_official_portrait.jpg');
const NO_FACE = casePath('negative_coffee.png');
const MAX_PAYLOAD = 2 * 1024 * 1024;

let d: TestDaemon;
let c: ReconClient;

beforeAll(async () => {
  d = await startDaemon(['--max-payload', String(MAX_PAYLOAD)]);
  c = await d.connect();
});

afterAll(async () => {
  await c?.close();
  await d?.stop();
  d?.te.cleanup();
});

describe('connection security', () => {
  it('refuses a connection without a token (401 UNAUTHORIZED)', async () => {
    const e = await rpcError(ReconClient.connect({ url: d.info.url }));
    expect(e.data.code).toBe('UNAUTHORIZED');
    expect(e.message).toBe('Missing "Authorization: Bearer <token>" header');
  });

  it('refuses a wrong token', async () => {
    const e = await rpcError(ReconClient.connect({ url: d.info.url, token: 'f'.repeat(64) }));
    expect(e.data.code).toBe('UNAUTHORIZED');
    expect(e.message).toMatch(/token does not match/);
  });

  it('refuses a browser Origin even with the right token (cross-site WebSocket hijacking)', async () => {
    const e = await rpcError(ReconClient.connect({ url: d.info.url, token: d.token, origin: 'https://evil.example' }));
    expect(e.data.code).toBe('ORIGIN_NOT_ALLOWED');
    expect(e.message).toBe('Connections from origin "https://evil.example" are refused');
  });

  it('refuses a Host header that is not the daemon address (DNS rebinding)', async () => {
    const e = await rpcError(ReconClient.connect({ url: d.info.url, token: d.token, headers: { Host: `evil.example:${d.info.port}` } }));
    expect(e.data.code).toBe('HOST_NOT_ALLOWED');
  });

  it('accepts localhost as Host and the daemon\'s own address as Origin', async () => {
    const a = await ReconClient.connect({ url: d.info.url, token: d.token, headers: { Host: `localhost:${d.info.port}` }, origin: `http://127.0.0.1:${d.info.port}` });
    expect((await a.request('ping', {})).time).toBeGreaterThan(0);
    await a.close();
  });

  it('closes a connection that sends a frame larger than maxPayload (1009) and keeps serving others', async () => {
    const raw = await rawSocket(d);
    raw.send('x'.repeat(MAX_PAYLOAD + 1));
    expect(await raw.closed).toBe(1009);
    expect((await c.request('ping', {})).time).toBeGreaterThan(0);
  });
});

describe('handshake and bad traffic', () => {
  it('answers initialize with server info, protocol version, capabilities and a clientId', () => {
    const r = c.initializeResult!;
    expect(r.serverInfo.name).toBe('recon-daemon');
    expect(r.protocolVersion).toBe('1.0');
    expect(r.clientId).toMatch(/^c-[0-9a-f]{12}$/);
    expect(r.capabilities.methods).toEqual(expect.arrayContaining(['recon.reconstruct', 'job.cancel', 'result.read', 'events.subscribe']));
    expect(r.capabilities.limits.maxPayload).toBe(MAX_PAYLOAD);
  });

  it('refuses requests before initialize with NOT_INITIALIZED (-32002)', async () => {
    const a = await d.connect({ initialize: false });
    const e = await rpcError(a.request('ping', {}));
    expect(e.code).toBe(-32002);
    expect(e.data.code).toBe('NOT_INITIALIZED');
    expect(e.message).toBe('Call initialize before "ping"');
    await a.close();
  });

  it('refuses a client whose protocol major version differs', async () => {
    const a = await d.connect({ initialize: false });
    const e = await rpcError(a.request('initialize', { clientInfo: { name: 't', version: '1' }, protocolVersion: '2.0' }));
    expect(e.code).toBe(-32006);
    expect(e.data.code).toBe('UNSUPPORTED_PROTOCOL_VERSION');
    expect(e.message).toBe('The client speaks protocol 2.0 but this daemon speaks 1.0 (major versions must match)');
    // A matching minor is fine.
    const ok = await a.request('initialize', { clientInfo: { name: 't', version: '1' }, protocolVersion: '1.7' });
    expect(ok.protocolVersion).toBe('1.0');
    const again = await rpcError(a.request('initialize', { clientInfo: { name: 't', version: '1' }, protocolVersion: '1.0' }));
    expect(again.data.code).toBe('ALREADY_INITIALIZED');
    await a.close();
  });

  it('answers invalid JSON with a parse error and keeps the connection open', async () => {
    const raw = await rawSocket(d);
    raw.send('{not json');
    const r = (await raw.next()) as { id: null; error: { code: number; message: string; data: { code: string } } };
    expect(r.id).toBeNull();
    expect(r.error.code).toBe(-32700);
    expect(r.error.data.code).toBe('PARSE_ERROR');
    raw.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { clientInfo: { name: 'raw', version: '1' }, protocolVersion: '1.0' } }));
    expect(((await raw.next()) as { result: { clientId: string } }).result.clientId).toMatch(/^c-/);
    raw.send(Buffer.from('{}'));
    expect(((await raw.next()) as { error: { code: number; message: string } }).error).toMatchObject({ code: -32600, message: expect.stringMatching(/binary frame/) });
    raw.send('{"jsonrpc":"2.0","id":2}');
    expect(((await raw.next()) as { id: number; error: { code: number } }).error.code).toBe(-32600);
    raw.ws.close();
  });

  it('answers an unknown method with -32601 naming it', async () => {
    const raw = await rawSocket(d);
    raw.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { clientInfo: { name: 'raw', version: '1' }, protocolVersion: '1.0' } }));
    await raw.next();
    raw.send(JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'recon.explode', params: {} }));
    const r = (await raw.next()) as { id: number; error: { code: number; message: string; data: { code: string; hint: string } } };
    expect(r.id).toBe(7);
    expect(r.error).toMatchObject({ code: -32601, message: 'Unknown method "recon.explode"', data: { code: 'METHOD_NOT_FOUND' } });
    expect(r.error.data.hint).toMatch(/recon\.reconstruct/);
    raw.ws.close();
  });

  it('answers invalid params with -32602 and a message naming each field', async () => {
    const e = await rpcError(c.request('recon.reconstruct', { image: { path: 'relative.jpg' }, options: { size: 2000 } }));
    expect(e.code).toBe(-32602);
    expect(e.data.code).toBe('INVALID_PARAMS');
    expect(e.message).toBe(
      'Invalid params for recon.reconstruct: Expected an absolute file path for image.path but received "relative.jpg"; ' +
        'Expected integer 128–1024 for options.size but received 2000',
    );
    const both = await rpcError(c.request('recon.reconstruct', { image: { path: SMALL, data: 'AAAA' } }));
    expect(both.message).toMatch(/^Invalid params for recon\.reconstruct: Expected exactly one of \{path\} or \{data\} for image but received \{"path":/);
    const unknown = await rpcError(c.request('jobs.list', { everything: true } as never));
    expect(unknown.message).toBe('Invalid params for jobs.list: Unknown field everything');
    const pixels = await rpcError(c.request('recon.reconstruct', { image: { path: SMALL }, options: { maxPixels: 60_000_000 } }));
    expect(pixels.message).toBe('Invalid params for recon.reconstruct: Expected integer 1–50000000 for options.maxPixels but received 60000000');
  });
});

describe('reconstruction', () => {
  it('reconstructs a photo by path: progress in order, then job.completed with files under the output root', async () => {
    const seen = record(c);
    const r = await c.reconstruct({ path: PORTRAIT });
    const mine = seen.filter((m) => m.params.jobId === r.jobId);
    expect(mine.at(-1)!.method).toBe('job.completed');
    const progress = mine.filter((m) => m.method === 'job.progress').map((m) => m.params as { stage: string; fraction: number });
    expect(progress.map((p) => p.stage).slice(0, 3)).toEqual(['queued', 'started', 'decode']);
    for (let i = 1; i < progress.length; i++) expect(progress[i].fraction).toBeGreaterThanOrEqual(progress[i - 1].fraction);
    expect(progress.at(-1)!.fraction).toBe(1);

    expect(r.dir).toBe(path.join(d.info.outputRoot, r.jobId));
    expect(r.faces).toBe(1);
    expect(r.reconstructed).toEqual([0]);
    expect(Math.abs(r.pose!.yaw)).toBeLessThan(20);
    expect(r.timings.total).toBeGreaterThan(0);
    for (const f of Object.values(r.files)) {
      expect(f.startsWith(r.dir + path.sep)).toBe(true);
      expect(fs.existsSync(f)).toBe(true);
    }
    const result = JSON.parse(fs.readFileSync(r.files.result, 'utf8'));
    expect(result.source).toBe('control_obama_official_portrait.jpg');
  });

  it('reconstructs a photo sent as base64 bytes', async () => {
    const data = fs.readFileSync(SMALL).toString('base64');
    const r = await c.reconstruct({ data });
    expect(r.faces).toBe(1);
    expect(JSON.parse(fs.readFileSync(r.files.result, 'utf8')).source).toBe('upload');
  });

  it('fails a photo without a face with job.failed NO_FACE and a hint, after writing result.json', async () => {
    let jobId = '';
    const e = await rpcError(c.reconstruct({ path: NO_FACE }, {}, { onJobId: (id) => (jobId = id) }));
    expect(e.code).toBe(-32803);
    expect(e.data.code).toBe('NO_FACE');
    expect(e.data.hint).toMatch(/face/);
    const failed = JSON.parse(fs.readFileSync(path.join(d.info.outputRoot, jobId, 'result.json'), 'utf8'));
    expect(failed.error.code).toBe('NO_FACE');
  });

  it('fails corrupt image bytes with IMAGE_DECODE_FAILED and a missing file with FILE_NOT_FOUND', async () => {
    const junk = Buffer.alloc(4096, 7).toString('base64');
    const e = await rpcError(c.reconstruct({ data: junk }));
    expect(['IMAGE_DECODE_FAILED', 'UNSUPPORTED_FORMAT']).toContain(e.data.code);
    const missing = await rpcError(c.reconstruct({ path: path.join(d.te.root, 'nope.jpg') }));
    expect(missing.data.code).toBe('FILE_NOT_FOUND');
    expect((await c.request('ping', {})).time).toBeGreaterThan(0);
  });

  it('cancels a queued job: job.failed with -32800 REQUEST_CANCELLED, and the job never runs', async () => {
    const seen = record(c);
    const first = c.reconstruct({ path: PORTRAIT });
    const { jobId } = await c.request('recon.reconstruct', { image: { path: SMALL } });
    const cancel = await c.request('job.cancel', { jobId });
    expect(cancel).toEqual({ jobId, cancelled: true, state: 'cancelled' });
    await first;
    const failed = await waitFor('job.failed', () => seen.find((m) => m.method === 'job.failed' && m.params.jobId === jobId));
    expect(failed.params.error).toMatchObject({ code: -32800, data: { code: 'REQUEST_CANCELLED' } });
    expect(seen.filter((m) => m.params.jobId === jobId).map((m) => m.params.stage ?? m.method)).toEqual(['queued', 'job.failed']);
    expect(fs.existsSync(path.join(d.info.outputRoot, jobId))).toBe(false);
    expect((await c.request('job.cancel', { jobId })).cancelled).toBe(false);
  });

  it('cancels a running job at the next stage boundary and removes its folder', async () => {
    let jobId = '';
    const e = await rpcError(
      c.reconstruct({ path: PORTRAIT }, {}, {
        onProgress: (p) => {
          if (p.stage === 'decode') void c.request('job.cancel', { jobId: p.jobId });
        },
        onJobId: (id) => (jobId = id),
      }),
    );
    expect(e.code).toBe(-32800);
    expect(e.data.code).toBe('REQUEST_CANCELLED');
    await waitFor('folder removed', () => !fs.existsSync(path.join(d.info.outputRoot, jobId)));
    const listed = (await c.request('jobs.list', {})).jobs.find((j) => j.jobId === jobId);
    expect(listed?.state).toBe('cancelled');
  });

  it('answers job.cancel for an unknown job with JOB_NOT_FOUND', async () => {
    const e = await rpcError(c.request('job.cancel', { jobId: 'no-such-job' }));
    expect(e.code).toBe(-32004);
    expect(e.data.code).toBe('JOB_NOT_FOUND');
  });
});

describe('reconstructToFolderViaDaemon (the CLI through a daemon)', () => {
  it('copies the job folder to the folder asked for, and the failure result.json too', async () => {
    const out = path.join(d.te.root, 'cli-out');
    const r = await reconstructToFolderViaDaemon(c, SMALL, path.join(out, 'small'));
    expect(r.files.result).toBe('result.json');
    const jobDir = path.join(d.info.outputRoot, r.jobId);
    expect(fs.readdirSync(path.join(out, 'small')).sort()).toEqual(fs.readdirSync(jobDir).sort());
    expect(fs.readFileSync(path.join(out, 'small', 'result.json'), 'utf8')).toBe(fs.readFileSync(path.join(jobDir, 'result.json'), 'utf8'));
    const e = await rpcError(reconstructToFolderViaDaemon(c, NO_FACE, path.join(out, 'coffee')));
    expect(e.data.code).toBe('NO_FACE');
    expect(JSON.parse(fs.readFileSync(path.join(out, 'coffee', 'result.json'), 'utf8')).error.code).toBe('NO_FACE');
  });
});

describe('result.read', () => {
  it('returns the bytes of result.json and refuses paths outside the job folder', async () => {
    const r = await c.reconstruct({ path: SMALL });
    const read = await c.request('result.read', { jobId: r.jobId, path: 'result.json' });
    expect(Buffer.from(read.data, 'base64').equals(fs.readFileSync(r.files.result))).toBe(true);
    expect(read.size).toBe(fs.statSync(r.files.result).size);

    for (const bad of ['../result.json', `../${r.jobId}/result.json`, '../../config/recon-daemon/token', r.files.result, 'a/../../x']) {
      const e = await rpcError(c.request('result.read', { jobId: r.jobId, path: bad }));
      expect(e.code).toBe(-32005);
      expect(e.data.code).toBe('PATH_NOT_ALLOWED');
    }
    // A symlink planted in the job folder cannot lead out of it.
    fs.symlinkSync(d.te.paths.tokenFile, path.join(r.dir, 'link.txt'));
    expect((await rpcError(c.request('result.read', { jobId: r.jobId, path: 'link.txt' }))).data.code).toBe('PATH_NOT_ALLOWED');
    expect((await rpcError(c.request('result.read', { jobId: 'no-such-job', path: 'result.json' }))).data.code).toBe('JOB_NOT_FOUND');
  });
});

describe('many clients', () => {
  it('sends job notifications only to the client that asked, and every job to subscribers', async () => {
    const [a, b, watcher] = await Promise.all([d.connect(), d.connect(), d.connect()]);
    expect(await watcher.request('events.subscribe', { events: ['job.completed'] })).toEqual({ events: ['job.completed'] });
    const [sa, sb, sw] = [record(a), record(b), record(watcher)];
    const [ra, rb] = await Promise.all([a.reconstruct({ path: SMALL }), b.reconstruct({ path: SMALL })]);
    await waitFor('watcher saw both', () => sw.filter((m) => m.method === 'job.completed').length >= 2 || undefined);
    expect(new Set(sa.map((m) => m.params.jobId))).toEqual(new Set([ra.jobId]));
    expect(new Set(sb.map((m) => m.params.jobId))).toEqual(new Set([rb.jobId]));
    expect(sw.map((m) => m.method)).toEqual(['job.completed', 'job.completed']);
    expect(new Set(sw.map((m) => m.params.jobId))).toEqual(new Set([ra.jobId, rb.jobId]));
    expect((await a.request('jobs.list', {})).jobs.map((j) => j.jobId)).toEqual([ra.jobId]);
    await Promise.all([a.close(), b.close(), watcher.close()]);
  });

  it('serves 20 clients at once, each reconstructing several photos, each getting exactly its own results', async () => {
    const clients = await Promise.all(Array.from({ length: 20 }, () => d.connect()));
    const logs = clients.map(record);
    const results = await Promise.all(
      clients.map((cl, i) => Promise.all([cl.reconstruct({ path: SMALL }), cl.reconstruct(i % 2 ? { data: fs.readFileSync(SMALL).toString('base64') } : { path: SMALL })])),
    );
    const all = new Set<string>();
    results.forEach((rs, i) => {
      const ids = rs.map((r) => r.jobId);
      ids.forEach((id) => all.add(id));
      expect(new Set(logs[i].map((m) => m.params.jobId))).toEqual(new Set(ids));
      expect(logs[i].filter((m) => m.method === 'job.completed')).toHaveLength(2);
      for (const id of ids) {
        const seq = logs[i].filter((m) => m.params.jobId === id);
        expect(seq[0].params.stage).toBe('queued');
        expect(seq.at(-1)!.method).toBe('job.completed');
        const fractions = seq.slice(0, -1).map((m) => m.params.fraction as number);
        expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
      }
    });
    expect(all.size).toBe(40);
    await Promise.all(clients.map((cl) => cl.close()));
  });

  it('keeps working for others when a client disconnects mid-job; that job still completes', async () => {
    const quitter = await d.connect();
    const { jobId } = await quitter.request('recon.reconstruct', { image: { path: PORTRAIT } });
    quitter.sendRaw('{"jsonrpc":"2.0","method":"ping"}');
    await quitter.close();
    const r = await c.reconstruct({ path: SMALL });
    expect(r.faces).toBe(1);
    const job = await waitFor('quitter job done', async () =>
      (await c.request('jobs.list', { all: true })).jobs.find((j) => j.jobId === jobId && j.state === 'completed'),
    );
    expect(fs.existsSync(path.join(job.dir, 'result.json'))).toBe(true);
  });
});

describe('a small queue', () => {
  let small: TestDaemon;
  beforeAll(async () => {
    small = await startDaemon(['--max-queue', '1']);
  });
  afterAll(async () => {
    await small?.stop();
    small?.te.cleanup();
  });

  it('answers SERVER_BUSY (-32001) when the queue is full, and accepts again once it drains', async () => {
    const cl = await small.connect();
    expect(cl.initializeResult!.capabilities.limits.maxQueue).toBe(1);
    // One job runs, one waits, the third finds the queue full.
    const submits = [PORTRAIT, PORTRAIT, PORTRAIT].map((p) => cl.request('recon.reconstruct', { image: { path: p } }).then((r) => r, (e: RpcError) => e));
    const outcomes = await Promise.all(submits);
    expect(outcomes.slice(0, 2).every((o) => 'jobId' in o)).toBe(true);
    const busy = outcomes[2] as RpcError;
    expect(busy).toBeInstanceOf(RpcError);
    expect(busy.code).toBe(-32001);
    expect(busy.data.code).toBe('SERVER_BUSY');
    expect(busy.message).toBe('The job queue is full (1 of 1 jobs waiting)');
    const ids = outcomes.slice(0, 2).map((o) => (o as { jobId: string }).jobId);
    await waitFor('both done', async () => {
      const jobs = (await cl.request('jobs.list', {})).jobs;
      return ids.every((id) => jobs.find((j) => j.jobId === id)?.state === 'completed') || undefined;
    });
    expect((await cl.reconstruct({ path: SMALL })).faces).toBe(1);
    await cl.close();
  });
});
