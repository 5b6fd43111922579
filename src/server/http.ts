// The daemon's plain HTTP side: the page (static files built into dist/web), the files of each job, a zip of
// a job's folder, and the login link (web-auth.ts). Every response carries a strict Content-Security-Policy and
// the isolation headers; everything but a valid login link needs the session cookie, else 401 with no data.
//
//   GET /                        the page (index.html)
//   GET /<asset>                 a file of dist/web (app.js, app.css…), nothing else
//   GET /jobs/<jobId>/<path>     one file of a job's folder (same checks as result.read)
//   GET /jobs/<jobId>.zip        the job's folder as a zip
//   GET <any>?token=<ticket>     login: sets the cookie, 303 to the same address without the ticket
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import type http from 'node:http';
import path from 'node:path';
import { zipSync, type Zippable } from 'fflate';
import { RpcError } from '../rpc/errors.js';
import { JOB_ID_PATTERN } from '../rpc/protocol.js';
import { compiledScript } from '../util/compiled-script.js';
import type { Logger } from './log.js';
import { openJobFile, realJobDir, type OpenedJobFile } from './result-files.js';
import type { WebAuth } from './web-auth.js';

/** Job files served over HTTP are streamed, so their limit is far above result.read's. */
const MAX_FILE_BYTES = 1024 ** 3;
/** A zip is built in memory: refuse job folders bigger than this. */
export const MAX_ZIP_BYTES = 512 * 1024 * 1024;

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  // blob: for the GLB's embedded texture (three.js decodes it from a Blob URL).
  "img-src 'self' blob: data:",
  "connect-src 'self' blob:",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  // Pages of other origins (other ports on 127.0.0.1 included) may not embed or load anything from here.
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
  'Cache-Control': 'no-store',
};

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.glb': 'model/gltf-binary',
  '.obj': 'model/obj',
  '.mtl': 'text/plain; charset=utf-8',
  '.ply': 'application/octet-stream',
  '.txt': 'text/plain; charset=utf-8',
  '.zip': 'application/zip',
};

export function mimeType(file: string): string {
  return MIME[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

export interface WebServerOptions {
  auth: WebAuth;
  log: Logger;
  /** Job folders are <outputRoot>/<jobId> (result-files.ts checks each is a real folder there). */
  outputRoot: string;
  /** Does this Host header name the daemon (guard.ts: no DNS rebinding)? */
  hostAllowed: (host: string) => boolean;
  /** dist/web; found beside the compiled daemon by default. */
  staticDir?: string;
}

function defaultStaticDir(): string | undefined {
  const index = compiledScript('web/index.html');
  return index ? path.dirname(index.pathname) : undefined;
}

type Res = http.ServerResponse;

function send(res: Res, status: number, body: string | Buffer, headers: Record<string, string> = {}): void {
  const buf = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(buf.byteLength), ...headers });
  res.end(res.req.method === 'HEAD' ? undefined : buf);
}

const UNAUTHORIZED_TEXT = '401 Unauthorized: open this page with `recon-daemon open`, which prints and opens a one-time login link.\n';

export function createWebHandler(o: WebServerOptions): (req: http.IncomingMessage, res: Res) => void {
  const staticDir = o.staticDir ?? defaultStaticDir();
  let assets: Map<string, string> | undefined;
  const assetFiles = (): Map<string, string> => {
    if (assets) return assets;
    assets = new Map();
    if (staticDir && fs.existsSync(staticDir)) {
      for (const f of fs.readdirSync(staticDir, { withFileTypes: true })) if (f.isFile()) assets.set(`/${f.name}`, path.join(staticDir, f.name));
      assets.set('/', path.join(staticDir, 'index.html'));
    }
    return assets;
  };

  return (req, res) => {
    res.on('error', () => undefined);
    void handle(req, res).catch((e: unknown) => {
      o.log.error('web request failed', { error: e instanceof Error ? e.message : String(e) });
      if (!res.headersSent) send(res, 500, '500 Internal Server Error\n');
      else res.destroy();
    });
  };

  async function handle(req: http.IncomingMessage, res: Res): Promise<void> {
    const host = req.headers.host ?? '';
    if (!host || !o.hostAllowed(host)) return send(res, 403, '403 Forbidden: this Host is not an address of this daemon\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, '405 Method Not Allowed\n', { Allow: 'GET, HEAD' });
    const url = new URL(req.url ?? '/', 'http://daemon.invalid');

    const ticket = url.searchParams.get('token');
    if (ticket !== null) {
      const r = o.auth.login(ticket);
      if (!r.ok) {
        o.log.warn('web login refused', { reason: r.reason, remote: req.socket.remoteAddress });
        return send(res, 401, `401 Unauthorized: this login link is ${r.reason === 'used' ? 'already used' : r.reason === 'expired' ? 'expired' : 'not valid'}. Run \`recon-daemon open\` for a new one.\n`);
      }
      o.log.info('web login', { remote: req.socket.remoteAddress });
      url.searchParams.delete('token');
      // One leading slash: "//host" would be a redirect to another site.
      const location = `/${url.pathname.replace(/^\/+/, '')}${url.search}`;
      return send(res, 303, '', { Location: location, 'Set-Cookie': o.auth.sessionCookie(r.sessionId) });
    }

    if (!o.auth.hasSession(req)) return send(res, 401, UNAUTHORIZED_TEXT);
    // Fetch metadata: only this page itself (same-origin) or the user (typed address, bookmark: none).
    const site = req.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin' && site !== 'none') return send(res, 403, '403 Forbidden: cross-site request\n');

    const p = url.pathname;
    const job = /^\/jobs\/([^/]+)(\.zip|\/(.+))$/.exec(p);
    if (job) {
      const jobId = decode(job[1]);
      if (jobId === undefined || !JOB_ID_PATTERN.test(jobId)) return send(res, 404, '404 Not Found: no such job\n');
      if (job[2] === '.zip') return sendZip(res, jobId);
      const rel = decode(job[3]);
      if (rel === undefined) return send(res, 404, '404 Not Found\n');
      return sendJobFile(res, jobId, rel);
    }
    const file = assetFiles().get(p);
    if (!file) {
      if (!staticDir) return send(res, 503, '503 Service Unavailable: the page is not built (run `npm run build`)\n');
      return send(res, 404, '404 Not Found\n');
    }
    return sendFile(res, file);
  }

  async function sendFile(res: Res, file: string, extra: Record<string, string> = {}): Promise<void> {
    const st = await fsp.stat(file);
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': mimeType(file), 'Content-Length': String(st.size), ...extra });
    if (res.req.method === 'HEAD') return void res.end();
    await new Promise<void>((resolve) => {
      fs.createReadStream(file)
        .on('error', () => {
          res.destroy();
          resolve();
        })
        .on('end', resolve)
        .pipe(res);
    });
  }

  /** A job file, from the descriptor openJobFile checked (the same checks as result.read), to its size. */
  async function sendJobFile(res: Res, jobId: string, rel: string): Promise<void> {
    let opened: OpenedJobFile;
    try {
      opened = await openJobFile(o.outputRoot, jobId, rel, MAX_FILE_BYTES);
    } catch (e) {
      if (e instanceof RpcError) return send(res, 404, `404 Not Found: ${e.message}\n`);
      throw e;
    }
    const { handle, size } = opened;
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': mimeType(rel), 'Content-Length': String(size) });
    if (res.req.method === 'HEAD' || size === 0) {
      await handle.close();
      return void res.end();
    }
    await new Promise<void>((resolve) => {
      handle
        .createReadStream({ start: 0, end: size - 1 })
        .on('error', () => {
          res.destroy();
          resolve();
        })
        .on('close', resolve)
        .pipe(res);
    });
  }

  async function sendZip(res: Res, jobId: string): Promise<void> {
    let dir: string;
    let entries: string[];
    try {
      // Never a link planted in the output root in place of a job folder.
      dir = await realJobDir(o.outputRoot, jobId);
      entries = await listFiles(dir);
    } catch {
      return send(res, 404, '404 Not Found: no such job\n');
    }
    const files: Zippable = {};
    let total = 0;
    for (const rel of entries) {
      let data: Buffer;
      try {
        // O_NOFOLLOW: a file swapped for a link after the listing is skipped, not followed.
        const h = await fsp.open(path.join(dir, rel), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
        try {
          if (!(await h.stat()).isFile()) continue;
          data = await h.readFile();
        } finally {
          await h.close();
        }
      } catch {
        continue;
      }
      total += data.byteLength;
      if (total > MAX_ZIP_BYTES) return send(res, 413, `413 Payload Too Large: the job folder holds more than ${MAX_ZIP_BYTES} bytes; copy it from ${dir}\n`);
      // PNG and GLB are compressed already: stored; text (OBJ, JSON) is deflated.
      files[`${jobId}/${rel}`] = [new Uint8Array(data.buffer, data.byteOffset, data.byteLength), { level: /\.(png|glb|zip)$/i.test(rel) ? 0 : 6 }];
    }
    const zip = zipSync(files);
    send(res, 200, Buffer.from(zip.buffer, zip.byteOffset, zip.byteLength), {
      'Content-Type': 'application/zip',
      'Content-Disposition': `attachment; filename="recon-${jobId}.zip"`,
    });
  }
}

function decode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined; // malformed %-escape
  }
}

/** Regular files under dir, relative, sorted; symlinks are not followed (nothing outside the folder). */
async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fsp.readdir(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(dir, rel)));
    else if (e.isFile()) out.push(rel);
  }
  return out.sort();
}
