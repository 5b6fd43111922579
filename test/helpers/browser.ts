// A real headless Chromium (Debian's `chromium`) driven by puppeteer-core, with a fresh profile per launch and
// everything that would reach the network switched off. WebGL runs on SwiftShader (the CPU).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface TestBrowser {
  browser: Browser;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${profile}`,
      // WebGL without a GPU: ANGLE on SwiftShader.
      '--use-angle=swiftshader',
      '--enable-unsafe-swiftshader',
    ],
  });
  return {
    browser,
    close: async () => {
      await browser.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

export interface PageWatch {
  /** console.error messages, uncaught exceptions and failed requests. */
  errors: string[];
  /** Every URL the page requested. */
  requests: string[];
}

/** Record what a page logs, throws and requests, from its first request on. */
export function watchPage(page: Page): PageWatch {
  const w: PageWatch = { errors: [], requests: [] };
  page.on('console', (m) => {
    if (m.type() === 'error') w.errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => w.errors.push(`pageerror: ${e instanceof Error ? e.message : String(e)}`));
  page.on('requestfailed', (r) => {
    // Chromium reports a fetch whose body the page read as a stream (three.js's FileLoader) as ERR_ABORTED now
    // and then, after its 200 response and with the body delivered (the page used it); not a failure.
    if (r.failure()?.errorText === 'net::ERR_ABORTED' && r.response()?.ok()) return;
    w.errors.push(`requestfailed: ${r.url()} ${r.failure()?.errorText ?? ''}`);
  });
  page.on('request', (r) => w.requests.push(r.url()));
  return w;
}
