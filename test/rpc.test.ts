// The protocol table, params validation wording and the error table, in process (no daemon).
import { describe, expect, it } from 'vitest';
import { fromEngineError, RpcError, RpcErrorCodes, toRpcError } from '../src/rpc/errors.js';
import { isAbsolutePath, Notifications, PROTOCOL_VERSION, Requests, type RequestName } from '../src/rpc/protocol.js';
import { parseParams } from '../src/rpc/validate.js';

function invalid(method: RequestName, params: unknown): RpcError {
  try {
    parseParams(method, Requests[method].params, params);
  } catch (e) {
    expect(e).toBeInstanceOf(RpcError);
    return e as RpcError;
  }
  throw new Error('expected invalid params');
}

describe('protocol table', () => {
  it('declares every method and notification once, under its own name', () => {
    expect(Object.keys(Requests).sort()).toEqual(
      ['daemon.shutdown', 'daemon.status', 'events.subscribe', 'initialize', 'job.cancel', 'jobs.list', 'ping', 'recon.reconstruct', 'result.read', 'watch.add', 'watch.list', 'watch.remove', 'plugins.list', 'commands.list', 'commands.execute'].sort(),
    );
    expect(Object.keys(Notifications).sort()).toEqual(['daemon.shuttingDown', 'job.completed', 'job.failed', 'job.progress', 'watch.result', 'window.showMessage']);
    for (const [name, r] of Object.entries(Requests)) expect(r.method).toBe(name);
    for (const [name, n] of Object.entries(Notifications)) expect(n.method).toBe(name);
    expect(PROTOCOL_VERSION).toMatch(/^\d+\.\d+$/);
  });

  it('recognises absolute paths of the daemon\'s own system only (a Windows path on Linux is relative there)', () => {
    for (const p of ['C:\\x\\y.png', 'd:/x.png', '\\\\server\\share\\a.jpg']) {
      expect(isAbsolutePath(p, 'win32')).toBe(true);
      expect(isAbsolutePath(p, 'linux')).toBe(false);
    }
    expect(isAbsolutePath('/a/b.jpg', 'linux')).toBe(true);
    expect(isAbsolutePath('/a/b.jpg', 'darwin')).toBe(true);
    for (const p of ['a.jpg', './a.jpg', '../a.jpg', 'C:a.jpg', '']) {
      expect(isAbsolutePath(p, 'linux')).toBe(false);
      expect(isAbsolutePath(p, 'win32')).toBe(false);
    }
  });
});

describe('params validation', () => {
  it('accepts valid params unchanged', () => {
    const p = { image: { path: '/tmp/a.jpg' }, options: { faces: 'all', size: 512, detail: 0.5, outputs: ['structure', 'crop'] } };
    expect(parseParams('recon.reconstruct', Requests['recon.reconstruct'].params, p)).toEqual(p);
    expect(parseParams('ping', Requests.ping.params, undefined)).toEqual({});
  });

  it.each([
    [{}, 'Expected an object {path} or {data} for image but received nothing'],
    [{ image: { path: 'a.jpg' } }, 'Expected an absolute file path for image.path but received "a.jpg"'],
    [{ image: {} }, 'Expected exactly one of {path} or {data} for image but received {}'],
    [{ image: { data: 'not base64!' } }, 'Expected base64-encoded image bytes for image.data but received "not base64!"'],
    [{ image: { url: 'http://x' } }, 'Unknown field image.url; Expected exactly one of {path} or {data} for image but received {"url":"http://x"}'],
    [{ image: { path: '/a.jpg' }, options: { size: 2000 } }, 'Expected integer 128–1024 for options.size but received 2000'],
    [{ image: { path: '/a.jpg' }, options: { size: 256.5 } }, 'Expected integer 128–1024 for options.size but received 256.5'],
    [{ image: { path: '/a.jpg' }, options: { detail: '1' } }, 'Expected number 0–1 for options.detail but received "1"'],
    [{ image: { path: '/a.jpg' }, options: { faces: -1 } }, 'Expected "largest", "all" or a face index ≥ 0 for options.faces but received -1'],
    [{ image: { path: '/a.jpg' }, options: { outputs: ['Structure'] } }, 'Expected an output kind (crop, structure, depth, normal, mask, front-structure, front-depth, front-normal, front-mask, obj, glb, overlay, turntable) for options.outputs[0] but received "Structure"'],
    [{ image: { path: '/a.jpg' }, options: { maxPixels: 0 } }, 'Expected integer ≥ 1 for options.maxPixels but received 0'],
    [{ image: { path: '/a.jpg' }, options: { view: 'side' } }, 'Expected one of front, camera for options.view but received "side"'],
    [{ image: { path: '/a.jpg' }, options: { subdivisions: 4 } }, 'Expected an integer 0–3 for options.subdivisions but received 4'],
  ])('recon.reconstruct %j → %s', (params, message) => {
    const e = invalid('recon.reconstruct', params);
    expect(e.code).toBe(-32602);
    expect(e.data.code).toBe('INVALID_PARAMS');
    expect(e.message).toBe(`Invalid params for recon.reconstruct: ${message}`);
  });

  it('names every bad field of one request, and says what it received', () => {
    const e = invalid('initialize', { clientInfo: { name: '' }, protocolVersion: 1 });
    expect(e.message).toBe(
      'Invalid params for initialize: Expected a client name (1–200 characters) for clientInfo.name but received ""; ' +
        'Expected a client version (1–200 characters) for clientInfo.version but received nothing; ' +
        'Expected a protocol version "MAJOR.MINOR" for protocolVersion but received 1',
    );
    expect(e.data.fields).toEqual(['clientInfo.name', 'clientInfo.version', 'protocolVersion']);
  });

  it('shortens long received values (base64 can be megabytes)', () => {
    const e = invalid('result.read', { jobId: 'x'.repeat(200), path: 'result.json' });
    expect(e.message).toMatch(/^Invalid params for result\.read: Expected a job id for jobId but received "x{76}…$/);
  });

  it('refuses positional params and unknown fields', () => {
    expect(invalid('ping', [1]).message).toBe('Invalid params for ping: Expected an object of named parameters for params but received an array');
    expect(invalid('ping', { x: 1 }).message).toBe('Invalid params for ping: Unknown field x');
    expect(invalid('events.subscribe', { events: ['job.started'] }).message).toBe(
      'Invalid params for events.subscribe: Expected one of job.progress, job.completed, job.failed, watch.result for events[0] but received "job.started"',
    );
    expect(invalid('job.cancel', { jobId: '../etc' }).message).toBe('Invalid params for job.cancel: Expected a job id for jobId but received "../etc"');
  });
});

describe('error table', () => {
  it('gives every error a distinct number, and LSP numbers where LSP has one', () => {
    const numbers = Object.values(RpcErrorCodes);
    expect(new Set(numbers).size).toBe(numbers.length);
    expect(RpcErrorCodes.REQUEST_CANCELLED).toBe(-32800);
    expect(RpcErrorCodes.NOT_INITIALIZED).toBe(-32002);
    expect(RpcErrorCodes.INVALID_PARAMS).toBe(-32602);
  });

  it('builds errors with a string code and a hint', () => {
    const e = RpcError.of('SERVER_BUSY', 'full', { queued: 3 });
    expect(e.toObject()).toEqual({ code: -32001, message: 'full', data: { code: 'SERVER_BUSY', hint: expect.any(String), queued: 3 } });
  });

  it('maps engine errors: the engine code stays in data.code', () => {
    expect(fromEngineError({ code: 'NO_FACE', message: 'No face found in a.png', hint: 'Use a photo…' }).toObject()).toEqual({
      code: -32803,
      message: 'No face found in a.png',
      data: { code: 'NO_FACE', hint: 'Use a photo…' },
    });
    expect(fromEngineError({ code: 'CANCELLED', message: 'cancelled', hint: 'h' }).toObject()).toMatchObject({ code: -32800, data: { code: 'REQUEST_CANCELLED' } });
    expect(fromEngineError({ code: 'INVALID_OPTION', message: 'm', hint: 'h', details: { option: 'size' } }).toObject()).toMatchObject({
      code: -32602,
      data: { code: 'INVALID_OPTION', details: { option: 'size' } },
    });
  });

  it('never leaks the text of an unknown exception', () => {
    const e = toRpcError(new Error('ENOENT: /home/secret/file'));
    expect(e.code).toBe(-32603);
    expect(e.message).toBe('Internal error while handling the request');
  });
});
