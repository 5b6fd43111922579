// The daemon's protocol, declared once: every request and notification with its name, params schema, params
// type and result type. The server's handlers, the TS client, docs/protocol.md and the Python/C# clients all
// follow this list (LSP's `XRequest.method` style). No method name appears as a loose string elsewhere.
//
// Params schemas are strict (unknown fields are refused) and carry their own wording: every leaf says what it
// expects ("integer 128–1024"), and validate.ts turns a failure into "Expected integer 128–1024 for
// options.size but received 2000". No transforms or defaults, so what a client sends is what a handler gets.
import { OUTPUT_KINDS, VIEWS } from '../recon/outputs/kinds.js';
import { z } from 'zod';

/** MAJOR.MINOR. A client whose major differs is refused at `initialize`; minors only add things. */
export const PROTOCOL_VERSION = '1.0';

// ---------------------------------------------------------------------------------------------------------
// Declaration helpers

export interface RequestType<M extends string, P, R> {
  readonly kind: 'request';
  readonly method: M;
  readonly params: z.ZodType<P>;
  /** Phantom: carries the result type only. */
  readonly _result?: R;
}

export interface NotificationType<M extends string, P> {
  readonly kind: 'notification';
  readonly method: M;
  readonly params: z.ZodType<P>;
}

function request<R>() {
  return <M extends string, P>(method: M, params: z.ZodType<P>): RequestType<M, P, R> => ({ kind: 'request', method, params });
}

function notification<M extends string, P>(method: M, params: z.ZodType<P>): NotificationType<M, P> {
  return { kind: 'notification', method, params };
}

/** Every custom message starts with this, so the formatter knows it is an "expected …" phrase. */
export const EXPECTED = 'expected:';
const exp = (what: string) => ({ error: `${EXPECTED}${what}` });

const str = (what: string, min = 1, max = 200) => z.string(exp(what)).min(min, exp(what)).max(max, exp(what));
const int = (what: string, min: number, max: number) =>
  z.number(exp(what)).int(exp(what)).min(min, exp(what)).max(max, exp(what));
const num = (what: string, min: number, max: number) => z.number(exp(what)).min(min, exp(what)).max(max, exp(what));
const obj = <S extends z.core.$ZodLooseShape>(shape: S, what = 'an object') => z.strictObject(shape, exp(what));

/** This system's platform under Node; browsers (the page imports this file too) get POSIX rules. */
function hostPlatform(): string {
  return (globalThis as { process?: { platform?: string } }).process?.platform ?? 'linux';
}

/**
 * An absolute path on the daemon's own system: `/…` on POSIX; `C:\…`, `C:/…` or UNC `\\…` on Windows.
 * Relative paths mean nothing to a daemon with another cwd, and a Windows path on Linux is one of them (it
 * would resolve against the daemon's working directory).
 */
export function isAbsolutePath(p: string, platform: string = hostPlatform()): boolean {
  if (platform === 'win32') return /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\');
  return p.startsWith('/');
}

/** Job ids are folder names under the output root: letters, digits, `-`, `_`. */
export const JOB_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const jobId = z.string(exp('a job id')).regex(JOB_ID_PATTERN, exp('a job id'));

// ---------------------------------------------------------------------------------------------------------
// Shared shapes

export interface Pose {
  yaw: number;
  pitch: number;
  roll: number;
}

export type JobState = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

/** The `error` member of a JSON-RPC error response and of `job.failed`. `data.code` is the stable string code. */
export interface RpcErrorObject {
  code: number;
  message: string;
  data: RpcErrorData;
}

export interface RpcErrorData {
  code: string;
  hint: string;
  [key: string]: unknown;
}

// ---------------------------------------------------------------------------------------------------------
// initialize

const InitializeParams = obj({
  clientInfo: obj({ name: str('a client name (1–200 characters)'), version: str('a client version (1–200 characters)') }, 'an object {name, version}'),
  protocolVersion: z.string(exp('a protocol version "MAJOR.MINOR"')).regex(/^\d+\.\d+(\.\d+)?$/, exp('a protocol version "MAJOR.MINOR"')),
});
export type InitializeParams = z.infer<typeof InitializeParams>;

export interface ServerCapabilities {
  /** Every request method this server answers (after initialize). */
  methods: string[];
  /** Every notification it may send. */
  notifications: string[];
  /** Ways to pass a photo to recon.reconstruct. */
  imageInput: Array<'path' | 'data'>;
  limits: {
    /** Largest WebSocket frame accepted, bytes. */
    maxPayload: number;
    /** Largest decoded photo, pixels (width × height). */
    maxPixels: number;
    /** Jobs that may wait for a worker before SERVER_BUSY. */
    maxQueue: number;
    /** Largest file result.read returns, bytes. */
    maxReadBytes: number;
  };
  workers: number;
}

export interface InitializeResult {
  serverInfo: { name: 'recon-daemon'; version: string };
  protocolVersion: string;
  /** This connection's id; job notifications go to the client that asked. */
  clientId: string;
  capabilities: ServerCapabilities;
}

export const Initialize = request<InitializeResult>()('initialize', InitializeParams);

// ---------------------------------------------------------------------------------------------------------
// recon.reconstruct

const facesExp = exp('"largest", "all" or a face index ≥ 0');
const ReconstructOptions = obj(
  {
    faces: z.union([z.enum(['largest', 'all'], facesExp), z.number(facesExp).int(facesExp).min(0, facesExp)], facesExp).optional(),
    maxPixels: int('integer ≥ 1', 1, Number.MAX_SAFE_INTEGER).optional(),
    outputs: z
      .array(z.enum(OUTPUT_KINDS, exp(`an output kind (${OUTPUT_KINDS.join(', ')})`)), exp('an array of output kinds (e.g. ["structure", "crop"])'))
      .max(OUTPUT_KINDS.length, exp(`at most ${OUTPUT_KINDS.length} output kinds`))
      .optional(),
    size: int('integer 128–1024', 128, 1024).optional(),
    detail: num('number 0–1', 0, 1).optional(),
    /** The mesh's frame: "front" (the head frame, default) or "camera" (as the photo saw it). */
    view: z.enum(VIEWS, exp(`one of ${VIEWS.join(', ')}`)).optional(),
    /** Loop subdivision levels of the exported mesh, 0–3 (default 1). */
    subdivisions: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3)], exp('an integer 0–3')).optional(),
    force: z.boolean(exp('a boolean')).optional(),
    /** Plugin exporters to run after the outputs are written (plugins.list shows them); their files join the job folder. */
    exporters: z
      .array(str('an exporter id (see plugins.list)', 1, 100), exp('an array of exporter ids (e.g. ["ply"])'))
      .max(16, exp('at most 16 exporter ids'))
      .optional(),
  },
  'an object of reconstruction options',
);
export type ReconstructOptions = z.infer<typeof ReconstructOptions>;

const ReconstructParams = obj({
  image: obj(
    {
      path: z
        .string(exp('an absolute file path'))
        .min(1, exp('an absolute file path'))
        .max(4096, exp('an absolute file path'))
        .refine((p) => isAbsolutePath(p), exp('an absolute file path'))
        .optional(),
      data: z.base64(exp('base64-encoded image bytes')).min(1, exp('base64-encoded image bytes')).optional(),
    },
    'an object {path} or {data}',
  ).refine((i) => (i.path === undefined) !== (i.data === undefined), {
    error: `${EXPECTED}exactly one of {path} or {data}`,
  }),
  options: ReconstructOptions.optional(),
});
export type ReconstructParams = z.infer<typeof ReconstructParams>;

export interface ReconstructResult {
  jobId: string;
}

export const Reconstruct = request<ReconstructResult>()('recon.reconstruct', ReconstructParams);

// ---------------------------------------------------------------------------------------------------------
// job.cancel, jobs.list

const JobCancelParams = obj({ jobId });
export type JobCancelParams = z.infer<typeof JobCancelParams>;
export interface JobCancelResult {
  jobId: string;
  /** True when this call stopped the job; false when it had already ended. */
  cancelled: boolean;
  state: JobState;
}
export const JobCancel = request<JobCancelResult>()('job.cancel', JobCancelParams);

const JobsListParams = obj({ all: z.boolean(exp('a boolean')).optional() });
export type JobsListParams = z.infer<typeof JobsListParams>;
export interface JobInfo {
  jobId: string;
  state: JobState;
  clientId: string;
  /** File name of the photo, or "upload" for bytes. */
  source: string;
  dir: string;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  stage?: string;
  fraction?: number;
  error?: RpcErrorObject;
}
export interface JobsListResult {
  jobs: JobInfo[];
}
export const JobsList = request<JobsListResult>()('jobs.list', JobsListParams);

// ---------------------------------------------------------------------------------------------------------
// result.read

const ResultReadParams = obj({
  jobId,
  path: str('a file path relative to the job folder', 1, 1024),
});
export type ResultReadParams = z.infer<typeof ResultReadParams>;
export interface ResultReadResult {
  jobId: string;
  path: string;
  size: number;
  /** The file's bytes, base64. */
  data: string;
}
export const ResultRead = request<ResultReadResult>()('result.read', ResultReadParams);

// ---------------------------------------------------------------------------------------------------------
// Notifications (server → client)

const stage = z.string();
const fraction = z.number().min(0).max(1);

const JobProgressParams = z.object({ jobId: z.string(), stage, fraction });
export type JobProgressParams = z.infer<typeof JobProgressParams>;
export const JobProgress = notification('job.progress', JobProgressParams);

export interface JobCompletedResult {
  /** The job's folder (absolute). */
  dir: string;
  /** Output kind → absolute file path. */
  files: Record<string, string>;
  /** Overall quality verdict, when the engine computes one. */
  verdict?: 'pass' | 'warn' | 'fail';
  /** Head pose of the (first) reconstructed face. */
  pose: Pose | null;
  /** Milliseconds per stage. */
  timings: Record<string, number>;
  /** Faces found in the photo. */
  faces: number;
  /** Indices of the faces that were reconstructed. */
  reconstructed: number[];
  /** One entry per exporter in options.exporters, in order; its files are also in `files` as "<exporter>:<relative path>". */
  exports?: ExportOutcome[];
}

/** What one plugin exporter produced for a job. */
export interface ExportOutcome {
  exporter: string;
  /** Absolute paths, inside the job folder. */
  files: string[];
  /** Why it produced nothing; the job still completes. */
  error?: RpcErrorObject;
}
const JobCompletedParams = z.object({
  jobId: z.string(),
  result: z.object({
    dir: z.string(),
    files: z.record(z.string(), z.string()),
    verdict: z.enum(['pass', 'warn', 'fail']).optional(),
    pose: z.object({ yaw: z.number(), pitch: z.number(), roll: z.number() }).nullable(),
    timings: z.record(z.string(), z.number()),
    faces: z.number().int(),
    reconstructed: z.array(z.number().int()),
    exports: z
      .array(z.object({ exporter: z.string(), files: z.array(z.string()), error: z.object({ code: z.number().int(), message: z.string(), data: z.looseObject({ code: z.string(), hint: z.string() }) }).optional() }))
      .optional(),
  }),
});
export type JobCompletedParams = z.infer<typeof JobCompletedParams>;
export const JobCompleted = notification('job.completed', JobCompletedParams);

const ErrorObjectSchema = z.object({
  code: z.number().int(),
  message: z.string(),
  data: z.looseObject({ code: z.string(), hint: z.string() }),
});
const JobFailedParams = z.object({ jobId: z.string(), dir: z.string().optional(), error: ErrorObjectSchema });
export type JobFailedParams = z.infer<typeof JobFailedParams>;
export const JobFailed = notification('job.failed', JobFailedParams);

const ShuttingDownParams = z.object({ reason: z.string(), graceMs: z.number() });
export type ShuttingDownParams = z.infer<typeof ShuttingDownParams>;
export const DaemonShuttingDown = notification('daemon.shuttingDown', ShuttingDownParams);

/** A plugin's window.showMessage, sent to every initialized client (plugins.list for the plugin). */
const WindowShowMessageParams = z.object({ plugin: z.string(), level: z.enum(['info', 'warning', 'error']), message: z.string() });
export type WindowShowMessageParams = z.infer<typeof WindowShowMessageParams>;
export const WindowShowMessage = notification('window.showMessage', WindowShowMessageParams);

/** A photo in a watched folder (watch.add) was reconstructed (`result`) or failed (`error`). */
const WatchResultParams = z.object({
  watchId: z.string(),
  /** Absolute path of the photo. */
  path: z.string(),
  jobId: z.string(),
  result: JobCompletedParams.shape.result.optional(),
  error: ErrorObjectSchema.optional(),
});
export type WatchResultParams = z.infer<typeof WatchResultParams>;
export const WatchResult = notification('watch.result', WatchResultParams);

export const Notifications = {
  [JobProgress.method]: JobProgress,
  [JobCompleted.method]: JobCompleted,
  [JobFailed.method]: JobFailed,
  [WatchResult.method]: WatchResult,
  [DaemonShuttingDown.method]: DaemonShuttingDown,
  [WindowShowMessage.method]: WindowShowMessage,
} as const;
export type NotificationName = keyof typeof Notifications;
export type NotificationParams<N extends NotificationName> = (typeof Notifications)[N] extends NotificationType<string, infer P> ? P : never;

// ---------------------------------------------------------------------------------------------------------
// events.subscribe

/** Notifications a client can subscribe to for every job and watch (its own always reach it). */
export const SUBSCRIBABLE_EVENTS = [JobProgress.method, JobCompleted.method, JobFailed.method, WatchResult.method] as const;
export type SubscribableEvent = (typeof SUBSCRIBABLE_EVENTS)[number];

const EventsSubscribeParams = obj({
  events: z.array(
    z.enum(SUBSCRIBABLE_EVENTS, exp(`one of ${SUBSCRIBABLE_EVENTS.join(', ')}`)),
    exp(`an array of event names (${SUBSCRIBABLE_EVENTS.join(', ')})`),
  ),
});
export type EventsSubscribeParams = z.infer<typeof EventsSubscribeParams>;
export interface EventsSubscribeResult {
  /** The subscription now in force (it replaces the previous one; [] unsubscribes). */
  events: SubscribableEvent[];
}
export const EventsSubscribe = request<EventsSubscribeResult>()('events.subscribe', EventsSubscribeParams);

// ---------------------------------------------------------------------------------------------------------
// daemon.status, daemon.shutdown, ping

const Empty = obj({}, 'an object with no fields');
export type EmptyParams = z.infer<typeof Empty>;

/** A Redis queue the daemon takes photos from (`recon-daemon start --queue`; docs/cluster.md). */
export interface QueueConsumerStatus {
  /** The Redis URL, password hidden. */
  queue: string;
  queueName: string;
  /** How this daemon appears among the queue's workers. */
  worker: string;
  connection: 'connecting' | 'up' | 'down' | 'failed' | 'closed';
  /** Photos being done now. */
  active: number;
  /** Photos committed into their batch's output folder (or found done) since start. */
  completed: number;
  /** Photos given up here (retried by the queue, or failed). */
  failed: number;
  /** Photos handed back to the queue at shutdown. */
  handedBack: number;
  /** Why the connection is down or failed: QUEUE_UNREACHABLE, QUEUE_AUTH_FAILED, QUEUE_TLS_FAILED. */
  error?: { code: string; message: string; hint: string };
}

export interface DaemonStatusResult {
  version: string;
  protocolVersion: string;
  pid: number;
  url: string;
  uptimeMs: number;
  outputRoot: string;
  workers: { total: number; ready: number; busy: number };
  /** True once every worker has loaded the models. */
  modelsLoaded: boolean;
  queue: { queued: number; running: number; max: number };
  jobs: { completed: number; failed: number; cancelled: number };
  clients: number;
  rssBytes: number;
  shuttingDown: boolean;
  /** The queue this daemon consumes (`start --queue`), or null. */
  queueConsumer: QueueConsumerStatus | null;
}
export const DaemonStatus = request<DaemonStatusResult>()('daemon.status', Empty);

const ShutdownParams = obj({ graceMs: int('integer 0–600000 (milliseconds)', 0, 600_000).optional() });
export type ShutdownParams = z.infer<typeof ShutdownParams>;
export interface ShutdownResult {
  shuttingDown: true;
}
export const DaemonShutdown = request<ShutdownResult>()('daemon.shutdown', ShutdownParams);

export interface PingResult {
  /** Server time, ms since the epoch. */
  time: number;
}
export const Ping = request<PingResult>()('ping', Empty);

// ---------------------------------------------------------------------------------------------------------
// Plugins: plugins.list, commands.list, commands.execute (window.showMessage is with the notifications above)

export type PluginState = 'inactive' | 'active' | 'failed';

export interface PluginInfo {
  /** package.json `name` (the folder name when the manifest could not be read). */
  id: string;
  version?: string;
  displayName?: string;
  description?: string;
  /** The plugin folder. */
  dir: string;
  /** builtin (shipped), user (the config dir's plugins/ folder) or dir (--plugin-dir). */
  source: 'builtin' | 'user' | 'dir';
  state: PluginState;
  /** Why a plugin failed: a bad manifest, an exception in activate, a hang, process.exit… */
  reason?: string;
  /** Manifest problems, each with its field (e.g. `engines["recon-daemon"]`) and the reason. */
  problems?: Array<{ field: string; reason: string }>;
  /** Declared activation events plus those implied by contributions (onCommand:<id>, onExporter:<id>). */
  activationEvents: string[];
  /** The event that activated it, when active. */
  activationEvent?: string;
  activatedAt?: string;
  activationMs?: number;
  contributes: { commands: Array<{ command: string; title: string }>; exporters: Array<{ id: string; title: string; extension: string }> };
  /** Failed calls (a command that threw…) that did not stop the plugin, and the last one. */
  errors: number;
  lastError?: { message: string; at: string };
}

export interface PluginHostInfo {
  /** stopped: not needed yet (plugins start lazily); restarting: waiting out the backoff after a crash. */
  state: 'stopped' | 'starting' | 'running' | 'restarting' | 'failed';
  pid: number | null;
  /** Times the host was restarted after it crashed or hung. */
  restarts: number;
  lastExit?: { code: number | null; signal: string | null; at: string; reason: string };
}

export interface PluginsListResult {
  /** The plugin API version that `engines["recon-daemon"]` ranges are checked against. */
  apiVersion: string;
  host: PluginHostInfo;
  plugins: PluginInfo[];
}
export const PluginsList = request<PluginsListResult>()('plugins.list', obj({}, 'an object with no fields'));

export interface CommandInfo {
  command: string;
  title?: string;
  plugin: string;
  pluginState: PluginState;
  /** Registered by the running plugin (false: contributed, its plugin not active yet). */
  registered: boolean;
}
export interface CommandsListResult {
  commands: CommandInfo[];
}
export const CommandsList = request<CommandsListResult>()('commands.list', obj({}, 'an object with no fields'));

const CommandsExecuteParams = obj({
  command: str('a command id (see commands.list)', 1, 100),
  args: z.array(z.unknown(), exp('an array of arguments')).max(64, exp('at most 64 arguments')).optional(),
});
export type CommandsExecuteParams = z.infer<typeof CommandsExecuteParams>;
/** The command's return value (JSON data; null when it returns nothing). */
export type CommandsExecuteResult = unknown;
export const CommandsExecute = request<CommandsExecuteResult>()('commands.execute', CommandsExecuteParams);

// ---------------------------------------------------------------------------------------------------------
// Watched folders: watch.add, watch.remove, watch.list (results arrive as watch.result)

/** Watch ids: `w-` and 12 hex digits. */
export const WATCH_ID_PATTERN = /^w-[0-9a-f]{12}$/;

const WatchAddParams = obj({
  path: z
    .string(exp('an absolute folder path'))
    .min(1, exp('an absolute folder path'))
    .max(4096, exp('an absolute folder path'))
    .refine((p) => isAbsolutePath(p), exp('an absolute folder path')),
  /** Sub-folders too (default true). */
  recursive: z.boolean(exp('a boolean')).optional(),
  /** Also reconstruct the photos already in the folder (default false: only new ones). */
  existing: z.boolean(exp('a boolean')).optional(),
  /** Keep watching after this connection closes (default false). */
  persistent: z.boolean(exp('a boolean')).optional(),
  /** A file counts as written once its size has been stable this long (default 1000 ms). */
  stableMs: int('integer 0–60000 (milliseconds)', 0, 60_000).optional(),
  /** Options for every photo's job, as in recon.reconstruct. */
  options: ReconstructOptions.optional(),
});
export type WatchAddParams = z.infer<typeof WatchAddParams>;

export interface WatchInfo {
  watchId: string;
  /** The watched folder (absolute). */
  path: string;
  recursive: boolean;
  existing: boolean;
  persistent: boolean;
  stableMs: number;
  /** The connection that added it (its jobs are that client's jobs). */
  clientId: string;
  createdAt: string;
  options: ReconstructOptions;
  /** Photos seen, waiting for a job slot, running, and finished. */
  counts: { seen: number; pending: number; running: number; completed: number; failed: number };
}
export const WatchAdd = request<WatchInfo>()('watch.add', WatchAddParams);

const WatchRemoveParams = obj({ watchId: z.string(exp('a watch id')).regex(WATCH_ID_PATTERN, exp('a watch id')) });
export type WatchRemoveParams = z.infer<typeof WatchRemoveParams>;
export interface WatchRemoveResult {
  watchId: string;
  /** False when no such watch existed. */
  removed: boolean;
}
export const WatchRemove = request<WatchRemoveResult>()('watch.remove', WatchRemoveParams);

export interface WatchListResult {
  watches: WatchInfo[];
}
export const WatchList = request<WatchListResult>()('watch.list', obj({}, 'an object with no fields'));

// ---------------------------------------------------------------------------------------------------------
// The method table

export const Requests = {
  [Initialize.method]: Initialize,
  [Reconstruct.method]: Reconstruct,
  [JobCancel.method]: JobCancel,
  [JobsList.method]: JobsList,
  [ResultRead.method]: ResultRead,
  [EventsSubscribe.method]: EventsSubscribe,
  [DaemonStatus.method]: DaemonStatus,
  [DaemonShutdown.method]: DaemonShutdown,
  [Ping.method]: Ping,
  [WatchAdd.method]: WatchAdd,
  [WatchRemove.method]: WatchRemove,
  [WatchList.method]: WatchList,
  [PluginsList.method]: PluginsList,
  [CommandsList.method]: CommandsList,
  [CommandsExecute.method]: CommandsExecute,
} as const;

export type RequestName = keyof typeof Requests;
export type RequestParams<N extends RequestName> = (typeof Requests)[N] extends RequestType<string, infer P, unknown> ? P : never;
export type RequestResult<N extends RequestName> = (typeof Requests)[N] extends RequestType<string, unknown, infer R> ? R : never;

export function isRequestName(m: string): m is RequestName {
  return Object.prototype.hasOwnProperty.call(Requests, m);
}
