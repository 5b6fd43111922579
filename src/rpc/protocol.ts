// The daemon's protocol, declared once: every request and notification with its name, params schema, params
// type and result type. The server's handlers, the TS client, docs/protocol.md and the Python/C# clients all
// follow this list (LSP's `XRequest.method` style). No method name appears as a loose string elsewhere.
//
// Params schemas are strict (unknown fields are refused) and carry their own wording: every leaf says what it
// expects ("integer 128–1024"), and validate.ts turns a failure into "Expected integer 128–1024 for
// options.size but received 2000". No transforms or defaults, so what a client sends is what a handler gets.
import { OUTPUT_KINDS } from '../recon/outputs/kinds.js';
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

/** POSIX `/…`, Windows `C:\…` / `C:/…` or UNC `\\…`. Relative paths mean nothing to a daemon with another cwd. */
export function isAbsolutePath(p: string): boolean {
  return p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\');
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
    force: z.boolean(exp('a boolean')).optional(),
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
        .refine(isAbsolutePath, exp('an absolute file path'))
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

export const Notifications = {
  [JobProgress.method]: JobProgress,
  [JobCompleted.method]: JobCompleted,
  [JobFailed.method]: JobFailed,
  [DaemonShuttingDown.method]: DaemonShuttingDown,
} as const;
export type NotificationName = keyof typeof Notifications;
export type NotificationParams<N extends NotificationName> = (typeof Notifications)[N] extends NotificationType<string, infer P> ? P : never;

// ---------------------------------------------------------------------------------------------------------
// events.subscribe

/** Notifications a client can subscribe to for every job (its own jobs' notifications always reach it). */
export const SUBSCRIBABLE_EVENTS = [JobProgress.method, JobCompleted.method, JobFailed.method] as const;
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
} as const;

export type RequestName = keyof typeof Requests;
export type RequestParams<N extends RequestName> = (typeof Requests)[N] extends RequestType<string, infer P, unknown> ? P : never;
export type RequestResult<N extends RequestName> = (typeof Requests)[N] extends RequestType<string, unknown, infer R> ? R : never;

export function isRequestName(m: string): m is RequestName {
  return Object.prototype.hasOwnProperty.call(Requests, m);
}
