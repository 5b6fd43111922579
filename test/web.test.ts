// The daemon's page in a real headless Chromium (puppeteer-core), against a real daemon on loopback: the
// one-time login, photos through the file input to a finished card with its verdict, maps and a WebGL view,
// the NO_FACE card, and the walls: 401 without the login (pages, assets, job files, WebSocket), no use of the
// cookie from other origins (CSRF / cross-site WebSocket hijacking), the token kept out of the log, a strict
// CSP, no console errors and no request leaving 127.0.0.1. The screenshots go to docs/img for docs/web.md.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReconClient } from '../src/client/client.js';
import { NO_FACE_HINT } from '../src/recon/folder.js';
import { CONTENT_SECURITY_POLICY } from '../src/server/http.js';
import { casePath, repoRoot } from './helpers/paths.js';
import { launchBrowser, watchPage, type PageWatch, type TestBrowser } from './helpers/browser.js';
import { record, rpcError, runCli, startDaemon, tempEnv, waitFor, type TestDaemon } from './helpers/daemon.js';

const FACE = casePath('astronaut_eileen_collins.png');
const NO_FACE = casePath('negative_coffee.png');
// docs/img (for docs/web.md) with UPDATE_SCREENSHOTS=1; otherwise a temp folder, so a test run leaves the tree clean.
const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1' ? path.join(repoRoot, 'docs', 'img') : path.join(os.tmpdir(), 'recon-web-screenshots');

let d: TestDaemon;
let base: string; // http://127.0.0.1:<port>
let tb: TestBrowser;
let jobId: string; // a finished job, made over the protocol, for the 401 checks
const tickets: string[] = [];

/** A fresh login link from `recon-daemon open --no-browser`. */
async function loginUrl(): Promise<string> {
  const r = await runCli(['open', '--no-browser'], d.te.env);
  expect(r.code, r.stderr).toBe(0);
  const url = /(http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(r.stdout)?.[1];
  expect(url, r.stdout).toBeDefined();
  tickets.push(new URL(url!).searchParams.get('token')!);
  return url!;
}

/** Log in over plain HTTP (no browser) and return the session cookie "name=value". */
async function cookieLogin(): Promise<string> {
  const r = await fetch(await loginUrl(), { redirect: 'manual' });
  expect(r.status).toBe(303);
  return r.headers.get('set-cookie')!.split(';')[0];
}

beforeAll(async () => {
  const plugins = path.join(repoRoot, 'test', 'fixtures', 'plugins');
  d = await startDaemon(['--plugin-dir', path.join(plugins, 'lazy-plugin'), '--plugin-dir', path.join(plugins, 'throw-in-command')]);
  base = `http://127.0.0.1:${d.info.port}`;
  const c = await d.connect();
  const seen = record(c);
  jobId = (await c.request('recon.reconstruct', { image: { path: FACE } })).jobId;
  await waitFor('job.completed', () => seen.find((m) => m.method === 'job.completed' && m.params.jobId === jobId));
  await c.close();
  tb = await launchBrowser();
});

afterAll(async () => {
  await tb?.close();
  await d?.stop();
  d?.te.cleanup();
});

describe('without the login', () => {
  it('answers 401 with no data for the page, every asset, job files and the zip', async () => {
    for (const p of ['/', '/index.html', '/app.js', '/app.css', '/favicon.svg', `/jobs/${jobId}/result.json`, `/jobs/${jobId}/structure.png`, `/jobs/${jobId}.zip`, '/nothing-here']) {
      const r = await fetch(base + p);
      expect(r.status, p).toBe(401);
      const body = await r.text();
      expect(body, p).toBe('401 Unauthorized: open this page with `recon-daemon open`, which prints and opens a one-time login link.\n');
      expect(r.headers.get('content-security-policy'), p).toBe(CONTENT_SECURITY_POLICY);
    }
  });

  it('refuses the WebSocket from the page\'s own origin (401), also with a made-up cookie', async () => {
    const origin = base;
    let e = await rpcError(ReconClient.connect({ url: d.info.url, origin }));
    expect(e.data.code).toBe('UNAUTHORIZED');
    e = await rpcError(ReconClient.connect({ url: d.info.url, origin, headers: { Cookie: `recon-daemon-${d.info.port}=${'a'.repeat(64)}` } }));
    expect(e.data.code).toBe('UNAUTHORIZED');
    expect(e.message).toBe('The login session is unknown or has expired');
  });

  it('refuses a forged, expired or reused login link', async () => {
    const forged = await fetch(`${base}/?token=${Date.now() + 60_000}.${'0'.repeat(32)}.${'f'.repeat(64)}`, { redirect: 'manual' });
    expect(forged.status).toBe(401);
    expect(forged.headers.get('set-cookie')).toBeNull();
    expect(await forged.text()).toMatch(/this login link is not valid/);
    const url = await loginUrl();
    expect((await fetch(url, { redirect: 'manual' })).status).toBe(303);
    // The redirect stays on this site whatever the path looks like.
    const odd = await fetch((await loginUrl()).replace('/?', '/.//evil.example/?'), { redirect: 'manual' });
    expect(odd.status).toBe(303);
    expect(odd.headers.get('location')).toMatch(/^\/(?!\/)/);
    const again = await fetch(url, { redirect: 'manual' });
    expect(again.status).toBe(401);
    expect(await again.text()).toMatch(/already used/);
  });
});

describe('the login link', () => {
  it('sets an HttpOnly, SameSite=Strict cookie and redirects to the address without the token', async () => {
    const r = await fetch((await loginUrl()).replace('/?', '/?view=1&'), { redirect: 'manual' });
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toBe('/?view=1');
    const cookie = r.headers.get('set-cookie')!;
    expect(cookie).toMatch(new RegExp(`^recon-daemon-${d.info.port}=[0-9a-f]{64}; Path=/; HttpOnly; SameSite=Strict$`));
    const jar = cookie.split(';')[0];
    const page = await fetch(base + '/', { headers: { Cookie: jar } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('cross-origin-resource-policy')).toBe('same-origin');
    const html = await page.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline scripts
    expect(html).not.toMatch(/\sstyle=|<style/);
    const types: Record<string, string> = {
      '/app.js': 'text/javascript; charset=utf-8',
      '/app.css': 'text/css; charset=utf-8',
      '/favicon.svg': 'image/svg+xml',
      [`/jobs/${jobId}/structure.png`]: 'image/png',
      [`/jobs/${jobId}/face.glb`]: 'model/gltf-binary',
      [`/jobs/${jobId}/result.json`]: 'application/json; charset=utf-8',
      [`/jobs/${jobId}.zip`]: 'application/zip',
    };
    for (const [p, type] of Object.entries(types)) {
      const a = await fetch(base + p, { headers: { Cookie: jar } });
      expect(a.status, p).toBe(200);
      expect(a.headers.get('content-type'), p).toBe(type);
      await a.arrayBuffer();
    }
  });

  it('serves job files only from inside the job folder', async () => {
    const jar = await cookieLogin();
    for (const p of [`/jobs/${jobId}/%E0%A4%A`, `/jobs/${jobId}/..%2F..%2Fconfig%2Frecon-daemon%2Ftoken`, `/jobs/${jobId}/%2Fetc%2Fpasswd`, '/jobs/..%2F..%2Fetc/passwd', `/jobs/${jobId}/nothing.png`, '/jobs/no-such-job/result.json']) {
      const r = await fetch(base + p, { headers: { Cookie: jar } });
      expect(r.status, p).toBe(404);
      expect(await r.text()).not.toContain(d.token);
    }
  });

  it('zips the job folder', async () => {
    const jar = await cookieLogin();
    const r = await fetch(`${base}/jobs/${jobId}.zip`, { headers: { Cookie: jar } });
    expect(r.headers.get('content-disposition')).toBe(`attachment; filename="recon-${jobId}.zip"`);
    const { unzipSync } = await import('fflate');
    const files = unzipSync(new Uint8Array(await r.arrayBuffer()));
    const names = Object.keys(files).sort();
    expect(names).toEqual(fs.readdirSync(path.join(d.info.outputRoot, jobId)).map((f) => `${jobId}/${f}`).sort());
    expect(Buffer.from(files[`${jobId}/face.glb`]).equals(fs.readFileSync(path.join(d.info.outputRoot, jobId, 'face.glb')))).toBe(true);
  });

  it('lets the cookie open the WebSocket only with the page\'s own Origin', async () => {
    const jar = await cookieLogin();
    const ok = await ReconClient.connect({ url: d.info.url, origin: base, headers: { Cookie: jar } });
    expect((await ok.request('ping', {})).time).toBeGreaterThan(0);
    await ok.close();
    for (const origin of [`http://127.0.0.1:${d.info.port + 1}`, `http://localhost:${d.info.port}`, 'https://evil.example', undefined]) {
      const e = await rpcError(ReconClient.connect({ url: d.info.url, origin, headers: { Cookie: jar } }));
      expect(e.data.code, String(origin)).toBe('ORIGIN_NOT_ALLOWED');
    }
    // DNS rebinding: a name that resolves here but is not the daemon's.
    const e = await rpcError(ReconClient.connect({ url: d.info.url, origin: `http://evil.example:${d.info.port}`, headers: { Cookie: jar, Host: `evil.example:${d.info.port}` } }));
    expect(e.data.code).toBe('HOST_NOT_ALLOWED');
    const status = await new Promise<number | undefined>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: d.info.port, path: '/', headers: { Cookie: jar, Host: `evil.example:${d.info.port}` } }, (res) => {
        res.resume();
        resolve(res.statusCode);
      }).on('error', reject);
    });
    expect(status).toBe(403);
  });
});

describe('the page in Chromium', () => {
  let page: Page;
  let watch: PageWatch;

  beforeAll(async () => {
    page = await tb.browser.newPage();
    watch = watchPage(page);
    await page.setViewport({ width: 1280, height: 900 });
    await page.evaluateOnNewDocument(() => {
      const w = window as unknown as { cspViolations: string[] };
      w.cspViolations = [];
      document.addEventListener('securitypolicyviolation', (e) => w.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    const resp = await page.goto(await loginUrl(), { waitUntil: 'load' });
    expect(resp!.status()).toBe(200);
    await page.waitForSelector('body[data-ready]', { timeout: 30_000 });
  });

  it('logs in and takes the token out of the address bar; the cookie is invisible to scripts', async () => {
    expect(page.url()).toBe(`${base}/`);
    expect(await page.evaluate(() => document.cookie)).toBe('');
    expect(await page.$eval('#connection', (e) => e.getAttribute('data-state'))).toBe('connected');
  });

  it('takes several photos at once: the face completes with its verdict, maps and a 3D view; the coffee cup says NO_FACE', async () => {
    const input = await page.$('input[type=file]');
    await input!.uploadFile(FACE, NO_FACE);
    const done = await page.waitForSelector('[data-job-id][data-job-state="completed"]', { timeout: 90_000 });
    const failed = await page.waitForSelector('[data-job-id][data-job-state="failed"]', { timeout: 90_000 });
    expect(await page.$$eval('[data-job-id]', (els) => els.length)).toBe(2);

    // The face: verdict in words, every map loaded, a WebGL canvas with a face on it.
    expect(await done!.$eval('h3', (e) => e.textContent)).toBe('astronaut_eileen_collins.png');
    expect(await done!.$eval('.verdict', (e) => e.getAttribute('data-verdict'))).toBe('pass');
    expect(await done!.$eval('.verdict .message', (e) => e.textContent)).toBe('Good photo: the reconstruction is reliable.');
    const kinds = await done!.$$eval('.maps figure', (fs) => fs.map((f) => f.getAttribute('data-kind')));
    expect(kinds).toEqual(['structure', 'front-structure', 'crop', 'depth', 'normal', 'overlay', 'mask', 'front-depth', 'front-normal', 'front-mask', 'texture', 'textureNormal', 'textureVisibility']);
    await page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('[data-job-state="completed"] .maps img')].every((i) => i.complete && i.naturalWidth > 0), { timeout: 30_000 });
    await done!.waitForSelector('.viewer[data-ready]', { timeout: 60_000 });
    await new Promise((r) => setTimeout(r, 500)); // a few frames
    // The 3D view's backdrop is the structure map in the mesh's view: the front view, under the head-frame mesh.
    expect(await done!.$eval('.viewer', (e) => e.getAttribute('data-backdrop'))).toBe('front-structure.png');
    const canvas = await done!.$('.viewer canvas');
    const shot = Buffer.from(await canvas!.screenshot({ type: 'png' }));
    const { data, info } = await sharp(shot).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    let differs = 0;
    let skin = 0;
    for (let i = 0; i < data.length; i += 3) {
      const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
      if (Math.abs(r - 0x1d) + Math.abs(g - 0x23) + Math.abs(b - 0x2b) > 30) differs++;
      if (r > 120 && r > b + 25 && g > 70) skin++; // the textured face
    }
    const n = info.width * info.height;
    expect(differs / n).toBeGreaterThan(0.1);
    expect(skin / n).toBeGreaterThan(0.05);

    // The grey toggle swaps the texture for clay: the skin tones go.
    await done!.$eval('.view3d .buttons button:nth-child(2)', (b) => (b as HTMLButtonElement).click());
    await new Promise((r) => setTimeout(r, 300));
    const grey = await sharp(Buffer.from(await canvas!.screenshot({ type: 'png' }))).removeAlpha().raw().toBuffer();
    let greySkin = 0;
    for (let i = 0; i < grey.length; i += 3) if (grey[i] > 120 && grey[i] > grey[i + 2] + 25 && grey[i + 1] > 70) greySkin++;
    expect(greySkin / n).toBeLessThan(skin / n / 4);
    await done!.$eval('.view3d .buttons button:nth-child(2)', (b) => (b as HTMLButtonElement).click());
    // Turntable on: the picture changes by itself.
    await done!.$eval('.view3d .buttons button:nth-child(1)', (b) => (b as HTMLButtonElement).click());
    const before = await canvas!.screenshot({ type: 'png' });
    await new Promise((r) => setTimeout(r, 800));
    expect(Buffer.from(await canvas!.screenshot({ type: 'png' })).equals(Buffer.from(before))).toBe(false);
    await done!.$eval('.view3d .buttons button:nth-child(1)', (b) => (b as HTMLButtonElement).click());

    // The coffee cup: the NO_FACE message and its hint, in words.
    expect(await failed!.$eval('h3', (e) => e.textContent)).toBe('negative_coffee.png');
    expect(await failed!.$eval('.verdict', (e) => e.getAttribute('data-error-code'))).toBe('NO_FACE');
    expect(await failed!.$eval('.verdict .message', (e) => e.textContent)).toMatch(/^No face found/);
    expect(await failed!.$eval('.verdict .hint', (e) => e.textContent)).toBe(NO_FACE_HINT);

    // The jobs list has both, as this page's jobs; the status panel counts them.
    await page.waitForFunction(() => document.querySelectorAll('#jobs li').length >= 3);
    expect(await page.$eval('#jobs-summary', (e) => e.textContent)).toMatch(/2 done · 1 failed/);

    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    await page.evaluate(() => window.scrollTo(0, 0));
    await done!.screenshot({ path: path.join(SCREENSHOTS, 'web-result.png') });
    await failed!.screenshot({ path: path.join(SCREENSHOTS, 'web-no-face.png') });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'web-page.png') });
  });

  it('shows jobs of other clients live (events.subscribe) and opens one as a card', async () => {
    const c = await d.connect({ clientInfo: { name: 'batch', version: '1' } });
    const { jobId: other } = await c.request('recon.reconstruct', { image: { path: casePath('control_obama_official_portrait.jpg') } });
    await page.waitForSelector(`#jobs li.job-completed[data-list-job-id="${other}"]`, { timeout: 60_000 });
    expect(await page.$eval(`#jobs li[data-list-job-id="${other}"] .job-client`, (e) => e.textContent)).toBe('other client');
    await page.$eval(`#jobs li[data-list-job-id="${other}"] button`, (b) => (b as HTMLButtonElement).click());
    const card = await page.waitForSelector(`[data-job-id="${other}"][data-job-state="completed"]`, { timeout: 30_000 });
    expect(await card!.$eval('.verdict', (e) => e.getAttribute('data-verdict'))).toMatch(/pass|warn/);
    await c.close();
  });

  it('lists the plugins\' commands and runs them, showing their answer or their error', async () => {
    await page.waitForFunction(() => document.querySelectorAll('#commands button').length === 2);
    expect(await page.$$eval('#commands button', (bs) => bs.map((b) => b.textContent).sort())).toEqual(['Lazy: count', 'Throws']);
    const click = (title: string) => page.$$eval('#commands button', (bs, t) => bs.find((b) => b.textContent === t)!.click(), title);
    await click('Lazy: count');
    await page.waitForFunction(() => [...document.querySelectorAll('.toast')].some((t) => t.textContent!.startsWith('Lazy: count: {')));
    const answer = await page.$$eval('.toast', (ts) => ts.map((t) => t.textContent).find((t) => t!.startsWith('Lazy: count: ')));
    expect(JSON.parse(answer!.slice('Lazy: count: '.length))).toMatchObject({ activations: 1, calls: 1 });
    await click('Throws');
    const err = await page.waitForSelector('.toast-error', { timeout: 15_000 });
    expect(await err!.evaluate((e) => e.textContent)).toMatch(/^Throws failed: .*command exploded/);
  });

  it('had no console errors, no CSP violations, and asked nothing of any host but the daemon', async () => {
    expect(watch.errors).toEqual([]);
    expect(await page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations)).toEqual([]);
    expect(watch.requests.length).toBeGreaterThan(5);
    const foreign = watch.requests.filter((u) => !u.startsWith(`${base}/`) && !u.startsWith('blob:') && !u.startsWith('data:'));
    expect(foreign).toEqual([]);
  });
});

describe('another origin in the same browser (CSRF / cross-site WebSocket hijacking)', () => {
  let evil: http.Server;
  let evilPort: number;

  beforeAll(async () => {
    // The browser is logged in (above). An attacker's page on another port of 127.0.0.1 is the hardest case:
    // cookies ignore ports and SameSite counts it as the same site, so the browser does send the cookie.
    evil = http.createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<!doctype html><title>evil</title><p>evil</p>');
    });
    await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r));
    evilPort = (evil.address() as AddressInfo).port;
  });

  afterAll(() => new Promise<void>((r) => evil.close(() => r())));

  for (const host of ['127.0.0.1', 'localhost']) {
    it(`a page on http://${host}:<other port> can neither open the WebSocket nor read or embed the daemon's files`, async () => {
      const page = await tb.browser.newPage();
      await page.goto(`http://${host}:${evilPort}/`);
      const outcome = await page.evaluate(
        async (daemon: string, ws: string, job: string) => {
          const socket = await new Promise<string>((resolve) => {
            const s = new WebSocket(ws);
            s.onopen = () => resolve('open');
            s.onerror = () => resolve('refused');
          });
          const read = await fetch(`${daemon}/jobs/${job}/result.json`, { credentials: 'include' }).then(
            (r) => `read ${r.status}`,
            () => 'blocked',
          );
          const blind = await fetch(`${daemon}/jobs/${job}/result.json`, { credentials: 'include', mode: 'no-cors' }).then(
            (r) => `opaque ${r.type}`,
            () => 'blocked',
          );
          const img = await new Promise<string>((resolve) => {
            const i = new Image();
            i.onload = () => resolve('loaded');
            i.onerror = () => resolve('blocked');
            i.src = `${daemon}/jobs/${job}/structure.png`;
          });
          return { socket, read, blind, img };
        },
        base,
        d.info.url,
        jobId,
      );
      expect(outcome.socket).toBe('refused');
      expect(outcome.read).toBe('blocked');
      expect(['blocked', 'opaque opaque']).toContain(outcome.blind);
      expect(outcome.img).toBe('blocked');
      // A top-level navigation from that page to the daemon's page is refused as cross-site (403), or has no cookie (401).
      const [nav] = await Promise.all([page.waitForNavigation(), page.evaluate((u: string) => void (location.href = u), `${base}/`)]);
      expect([401, 403]).toContain(nav!.status());
      await page.close();
    });
  }

  it('the daemon logged those refusals by origin', () => {
    const refused = d.output().split('\n').filter((l) => l.includes('connection refused') && l.includes('ORIGIN_NOT_ALLOWED'));
    expect(refused.some((l) => l.includes(`http://127.0.0.1:${evilPort}`))).toBe(true);
    expect(refused.some((l) => l.includes(`http://localhost:${evilPort}`))).toBe(true);
  });
});

describe('the daemon log', () => {
  it('never holds the token or a login ticket', () => {
    const log = d.output();
    expect(log).toMatch(/web login/);
    expect(tickets.length).toBeGreaterThan(3);
    expect(log).not.toContain(d.token);
    for (const t of tickets) {
      expect(log).not.toContain(t);
      for (const part of t.split('.').slice(1)) expect(log).not.toContain(part);
    }
  });
});

describe('recon-daemon open', () => {
  it('hands the link to xdg-open on a desktop', async () => {
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-xdg-'));
    const got = path.join(bin, 'args');
    fs.writeFileSync(path.join(bin, 'xdg-open'), `#!/bin/sh\nprintf '%s' "$1" > '${got}'\n`, { mode: 0o755 });
    try {
      const r = await runCli(['open'], { ...d.te.env, DISPLAY: ':99', PATH: `${bin}${path.delimiter}${process.env.PATH}` });
      expect(r.code, r.stderr).toBe(0);
      const url = await waitFor('xdg-open', () => (fs.existsSync(got) ? fs.readFileSync(got, 'utf8') : undefined), 10_000);
      expect(url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${d.info.port}/\\?token=\\d{13}\\.[0-9a-f]{32}\\.[0-9a-f]{64}$`));
      expect(r.stdout).toContain(url);
      expect((await fetch(url, { redirect: 'manual' })).status).toBe(303);
    } finally {
      fs.rmSync(bin, { recursive: true, force: true });
    }
  });

  it('starts the daemon when none is running, and says when it cannot open a browser', async () => {
    const te = tempEnv();
    try {
      const r = await runCli(['open', '--port', '0', '--workers', '1'], { ...te.env, DISPLAY: '', WAYLAND_DISPLAY: '' });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/recon-daemon 0\.1\.0 started \(pid \d+\)/);
      expect(r.stdout).toMatch(/this login link works once, within 5 minutes/);
      expect(r.stdout).toContain('Not opening a browser: no desktop session (DISPLAY is not set). Open the link above in a browser on this machine.');
      const url = /(http:\/\/\S+\?token=\S+)/.exec(r.stdout)![1];
      expect((await fetch(url, { redirect: 'manual' })).status).toBe(303);
    } finally {
      await runCli(['stop'], te.env);
      te.cleanup();
    }
  });
});
