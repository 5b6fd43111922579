// The plugin API's version and shape, shared by the daemon (engines check) and the plugin host (the
// `recon-daemon` module it hands to plugins). Plain data only: the daemon imports this at start-up.

/**
 * MAJOR.MINOR.PATCH of the plugin API (src/plugins/api/recon-daemon.d.ts), not of the daemon package. A plugin
 * states the versions it works with in `engines["recon-daemon"]` (e.g. "^1.0.0"). Minor versions only add.
 */
export const PLUGIN_API_VERSION = '1.0.0';

/** The named exports of the `recon-daemon` module, as `import * as recon from 'recon-daemon'` sees them. */
export const API_MEMBERS = ['version', 'commands', 'exporters', 'events', 'window', 'logger', 'Disposable'] as const;

/** Global (in the plugin host) through which the ESM loader hook reaches the per-plugin API objects. */
export const API_GLOBAL_KEY = 'recon-daemon.plugin-api';

/** URL scheme of the per-plugin API module the ESM loader hook makes up. */
export const API_URL_SCHEME = 'recon-daemon-api:';

/** Query parameter that makes a reloaded ES module graph fresh (ES modules cannot be evicted from the cache). */
export const RELOAD_PARAM = 'recon-reload';
