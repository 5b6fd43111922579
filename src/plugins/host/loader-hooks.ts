// ES module loader hooks for the plugin host (registered with module.register, Node ≥ 20.6), the ESM half of
// resolving `recon-daemon` the way VS Code resolves `vscode`:
// - `import … from 'recon-daemon'` resolves to a made-up URL naming the importing file; loading that URL
//   yields a module whose exports are the importing plugin's own API object (looked up in the host's main
//   thread through a global, by the file's path).
// - A module imported with `?recon-reload=N` (a reloaded plugin) passes the same query to the files it
//   imports, so a plugin's whole ES module graph is fresh after a reload (its node_modules excepted).
// These hooks run on Node's loader thread: no state, no access to the host's objects.
import { API_GLOBAL_KEY, API_MEMBERS, API_URL_SCHEME, RELOAD_PARAM } from '../api-version.js';

interface ResolveContext {
  parentURL?: string;
  conditions: string[];
  importAttributes?: Record<string, string>;
}
interface ResolveResult {
  url: string;
  format?: string | null;
  shortCircuit?: boolean;
}
interface LoadContext {
  format?: string | null;
  conditions: string[];
  importAttributes?: Record<string, string>;
}
interface LoadResult {
  format: string;
  source?: string | ArrayBuffer | Uint8Array;
  shortCircuit?: boolean;
}

export const API_SPECIFIER = 'recon-daemon';

export async function resolve(
  specifier: string,
  context: ResolveContext,
  nextResolve: (s: string, c?: ResolveContext) => Promise<ResolveResult>,
): Promise<ResolveResult> {
  if (specifier === API_SPECIFIER) {
    return { url: `${API_URL_SCHEME}${encodeURIComponent(context.parentURL ?? '')}`, format: 'module', shortCircuit: true };
  }
  const r = await nextResolve(specifier, context);
  const parent = context.parentURL;
  if (parent?.startsWith('file:') && r.url.startsWith('file:') && !r.url.includes('/node_modules/')) {
    const generation = new URL(parent).searchParams.get(RELOAD_PARAM);
    if (generation) {
      const u = new URL(r.url);
      u.searchParams.set(RELOAD_PARAM, generation);
      return { ...r, url: u.href };
    }
  }
  return r;
}

export async function load(url: string, context: LoadContext, nextLoad: (u: string, c?: LoadContext) => Promise<LoadResult>): Promise<LoadResult> {
  if (url.startsWith(API_URL_SCHEME)) {
    const parent = decodeURIComponent(url.slice(API_URL_SCHEME.length));
    const source =
      `const api = globalThis[Symbol.for(${JSON.stringify(API_GLOBAL_KEY)})](${JSON.stringify(parent)});\n` +
      API_MEMBERS.map((m) => `export const ${m} = api.${m};\n`).join('') +
      'export default api;\n';
    return { format: 'module', source, shortCircuit: true };
  }
  return nextLoad(url, context);
}
