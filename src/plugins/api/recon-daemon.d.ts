/**
 * The recon-daemon plugin API, version 1.0.0 (see docs/plugins.md).
 *
 * A plugin gets this module from its plugin host, the way a VS Code extension gets `vscode`:
 *
 * ```js
 * const recon = require('recon-daemon');          // CommonJS
 * import * as recon from 'recon-daemon';          // ES module
 * ```
 *
 * Nothing is installed from npm: the host resolves the name for files inside a plugin folder. TypeScript and
 * `// @ts-check` plugins point `recon-daemon` at this file (a `paths` entry in tsconfig/jsconfig).
 *
 * Every registration returns a {@link Disposable}; push it onto `context.subscriptions` so it is undone when
 * the plugin is deactivated (on reload, on shutdown). Registrations a plugin forgets are undone too.
 */

/** The plugin API version this host implements, e.g. "1.0.0". */
export declare const version: string;

/** Something to undo: a registration, a listener, a resource. */
export interface Disposable {
  /** Undo it. Calling it twice does nothing. */
  dispose(): void;
}

export declare const Disposable: {
  /** A disposable that calls `fn` once. */
  create(fn: () => void): Disposable;
  /** A disposable that disposes all of `items`, in reverse order. */
  from(...items: Array<{ dispose(): unknown }>): Disposable;
};

/** Lines in the daemon's log, tagged with the plugin id. Extra arguments are appended as JSON. */
export interface Logger {
  debug(message: string, ...details: unknown[]): void;
  info(message: string, ...details: unknown[]): void;
  warn(message: string, ...details: unknown[]): void;
  error(message: string, ...details: unknown[]): void;
}

/** What `activate(context)` receives. */
export interface PluginContext {
  /** The plugin's id: its package.json `name`. */
  readonly pluginId: string;
  /** The plugin's version: its package.json `version`. */
  readonly pluginVersion: string;
  /** Absolute path of the plugin folder. */
  readonly pluginPath: string;
  /** The activation event that caused this activation: "onStartup", "onCommand:<id>", "onReconstruction", "onExporter:<id>". */
  readonly activationEvent: string;
  /** Disposables undone, in reverse order, when the plugin is deactivated. */
  readonly subscriptions: Array<{ dispose(): unknown }>;
  /** The plugin's logger (the same object as the module's `logger`). */
  readonly logger: Logger;
  /** `path.join(pluginPath, relativePath)`. */
  asAbsolutePath(relativePath: string): string;
}

/** Head pose in degrees. */
export interface Pose {
  yaw: number;
  pitch: number;
  roll: number;
}

/** A finished reconstruction: what exporters and `events.onDidReconstruct` listeners receive. */
export interface ReconstructionResult {
  /** The daemon job id; absent when the command-line `reconstruct` made the folder. */
  jobId?: string;
  /** Absolute path of the folder holding the outputs (the job folder). */
  dir: string;
  /** File name of the photo, or "upload". */
  source: string;
  /** Output kind → absolute path, e.g. { result: ".../result.json", structure: ".../structure.png", obj: ".../face.obj" }. */
  files: Record<string, string>;
  /** The quality verdict. */
  verdict?: 'pass' | 'warn' | 'fail';
  /** Pose of the reconstructed face, or null. */
  pose: Pose | null;
  /** Faces found in the photo. */
  faces: number;
  /** Indices of the faces that were reconstructed. */
  reconstructed: number[];
  /** Milliseconds per stage. */
  timings: Record<string, number>;
}

/**
 * Paths of the files an exporter wrote, absolute or relative to `outDir`. They must be inside `outDir`;
 * they are listed in the job's `job.completed` result.
 */
export type ExportedFiles = string[];

/** Writes extra files for a reconstruction into `outDir` (the job folder) and says which. */
export type Exporter = (result: ReconstructionResult, outDir: string) => ExportedFiles | void | Promise<ExportedFiles | void>;

/** Commands: named functions clients run with `commands.execute`. */
export declare namespace commands {
  /**
   * Register the implementation of a command. Contribute it in package.json (`contributes.commands`) so
   * clients can list it before the plugin is active and so `onCommand:<id>` activates the plugin.
   * The handler's return value (JSON data) is the result clients receive. Throws when the id is taken.
   */
  function registerCommand(command: string, handler: (...args: any[]) => unknown): Disposable;
  /** Run a command of this or another plugin (activating it if needed). */
  function executeCommand<T = unknown>(command: string, ...args: unknown[]): Promise<T>;
  /** Ids of the commands registered in this plugin host. */
  function getCommands(): Promise<string[]>;
}

/** Exporters: extra outputs a job asks for with `options.exporters` (or `--export <id>` on the command line). */
export declare namespace exporters {
  /**
   * Register the exporter `id`, which must be contributed in package.json (`contributes.exporters`).
   * Throws when the id is taken or not contributed by this plugin.
   */
  function register(id: string, exporter: Exporter): Disposable;
}

/** Events of the daemon. */
export declare namespace events {
  /** Called after every completed reconstruction (activate on `onReconstruction` to see the first one). */
  function onDidReconstruct(listener: (result: ReconstructionResult) => unknown): Disposable;
}

/** The user's editors. */
export declare namespace window {
  type MessageLevel = 'info' | 'warning' | 'error';
  /** Show a message in every connected editor (the `window.showMessage` notification). */
  function showMessage(message: string, level?: MessageLevel): void;
  function showInformationMessage(message: string): void;
  function showWarningMessage(message: string): void;
  function showErrorMessage(message: string): void;
}

/** This plugin's logger. */
export declare const logger: Logger;

/** The shape of a plugin's main module. */
export interface PluginModule {
  /** Called once, on the plugin's first activation event. May return a promise (time-boxed). */
  activate?(context: PluginContext): unknown;
  /** Called on deactivation (reload, shutdown). May return a promise (time-boxed). */
  deactivate?(): unknown;
}
