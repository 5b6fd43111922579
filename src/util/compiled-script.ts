// Worker threads run compiled JavaScript: from dist/ (the package as installed, or `npm run build`) or, when
// the caller itself runs from TypeScript sources (vitest, tsx), from the dist/ build beside them.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'); // dist/ or src/

/** `dist/<relative>` as a URL, beside the compiled caller or in the build; undefined when it is not built. */
export function compiledScript(relative: string): URL | undefined {
  for (const candidate of [path.join(here, relative), path.join(here, '..', 'dist', relative)]) {
    if (fs.existsSync(candidate)) return new URL(`file://${candidate}`);
  }
  return undefined;
}

/** The same for a script the caller cannot work without: when it is missing, the Worker's own error names it. */
export function requiredScript(relative: string): URL {
  return compiledScript(relative) ?? new URL(`file://${path.join(here, '..', 'dist', relative)}`);
}
