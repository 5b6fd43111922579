// Tests that run the real CLI or daemon execute the compiled JS in dist/: build it (and the page) once, fresh,
// before any test.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  // RECON_SKIP_BUILD=1 skips it when dist/ is known to be fresh (e.g. right after `npm run build`).
  if (process.env.RECON_SKIP_BUILD === '1') return;
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.json')], { stdio: 'inherit' });
  // The daemon's page (dist/web), served by every daemon the tests start.
  execFileSync(process.execPath, [path.join(root, 'scripts/build-web.mjs')], { stdio: 'inherit' });
}
