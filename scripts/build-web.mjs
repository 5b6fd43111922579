// Builds the daemon's page into dist/web: web/src/main.ts bundled by esbuild (three.js and the JSON-RPC client
// included, nothing loaded from elsewhere at run time), plus index.html, app.css and the icon as they are.
// Run by `npm run build` / `prepare` (so `npm ci` builds it) and by the tests' global setup.
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist', 'web');
fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(out, { recursive: true });
await build({
  entryPoints: [path.join(root, 'web', 'src', 'main.ts')],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome111', 'firefox115', 'safari16.4'],
  outfile: path.join(out, 'app.js'),
  minify: true,
  sourcemap: 'linked',
  // Licence comments of the bundled libraries (three.js: MIT) go to app.js.LEGAL.txt.
  legalComments: 'linked',
  logLevel: 'warning',
});
for (const f of ['index.html', 'app.css', 'favicon.svg']) fs.copyFileSync(path.join(root, 'web', f), path.join(out, f));
