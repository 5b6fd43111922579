// The method implementations. Params arrive validated (dispatcher.ts); each handler does one thing and
// throws RpcError for anything the client should hear about.
import fs from 'node:fs/promises';
import path from 'node:path';
import { RpcError } from '../rpc/errors.js';
import {
  Notifications,
  PROTOCOL_VERSION,
  Requests,
  type DaemonStatusResult,
  type InitializeParams,
  type InitializeResult,
  type QueueConsumerStatus,
} from '../rpc/protocol.js';
import { MAX_READ_BYTES, type Settings } from './config.js';
import type { Handlers } from './dispatcher.js';
import type { JobManager } from './jobs.js';
import type { WorkerPool } from './pool.js';
import type { Session } from './session.js';
import type { WatchService } from './watch.js';
import type { PluginService } from '../plugins/service.js';
import type { WorkerInput } from './worker-messages.js';
import { resolveJobFile } from './result-files.js';

export interface HandlerContext {
  settings: Settings;
  version: string;
  startedAt: number;
  url: () => string;
  jobs: JobManager;
  pool: WorkerPool;
  watches: WatchService;
  plugins: PluginService;
  sessionCount: () => number;
  isShuttingDown: () => boolean;
  shutdown: (reason: string, graceMs?: number) => void;
  /** The Redis queue the daemon consumes (`start --queue`; src/cluster), when it does. */
  queueConsumer?: () => QueueConsumerStatus;
}

const major = (v: string): number => Number(v.split('.')[0]);

function initialize(ctx: HandlerContext, p: InitializeParams, session: Session): InitializeResult {
  if (major(p.protocolVersion) !== major(PROTOCOL_VERSION)) {
    throw RpcError.of(
      'UNSUPPORTED_PROTOCOL_VERSION',
      `The client speaks protocol ${p.protocolVersion} but this daemon speaks ${PROTOCOL_VERSION} (major versions must match)`,
      { serverProtocolVersion: PROTOCOL_VERSION },
    );
  }
  session.initialized = true;
  session.clientInfo = p.clientInfo;
  const s = ctx.settings;
  return {
    serverInfo: { name: 'recon-daemon', version: ctx.version },
    protocolVersion: PROTOCOL_VERSION,
    clientId: session.clientId,
    capabilities: {
      methods: Object.keys(Requests),
      notifications: Object.keys(Notifications),
      imageInput: ['path', 'data'],
      limits: { maxPayload: s.maxPayload, maxPixels: s.maxPixels, maxQueue: s.maxQueue, maxReadBytes: MAX_READ_BYTES },
      workers: s.workers,
    },
  };
}

function status(ctx: HandlerContext): DaemonStatusResult {
  const w = ctx.pool.stats();
  const j = ctx.jobs.stats();
  return {
    version: ctx.version,
    protocolVersion: PROTOCOL_VERSION,
    pid: process.pid,
    url: ctx.url(),
    uptimeMs: Math.round(Date.now() - ctx.startedAt),
    outputRoot: ctx.settings.outputRoot,
    workers: w,
    modelsLoaded: w.ready === w.total,
    queue: { queued: j.queued, running: j.running, max: ctx.settings.maxQueue },
    jobs: { completed: j.completed, failed: j.failed, cancelled: j.cancelled },
    clients: ctx.sessionCount(),
    rssBytes: process.memoryUsage.rss(),
    shuttingDown: ctx.isShuttingDown(),
    queueConsumer: ctx.queueConsumer?.() ?? null,
  };
}

export function createHandlers(ctx: HandlerContext): Handlers {
  return {
    initialize: (p, session) => initialize(ctx, p, session),

    'recon.reconstruct': (p, session) => {
      // Exporters are plugins' work after the job, not the engine's: checked now, run by the plugin service.
      const { exporters, ...options } = { ...p.options };
      if (exporters?.length) ctx.plugins.checkExporters(exporters);
      const limit = ctx.settings.maxPixels;
      if (options.maxPixels !== undefined && options.maxPixels > limit) {
        throw RpcError.of('INVALID_PARAMS', `Invalid params for recon.reconstruct: Expected integer 1–${limit} for options.maxPixels but received ${options.maxPixels}`, {
          fields: ['options.maxPixels'],
          hint: `This daemon decodes at most ${limit} pixels per photo (its --max-pixels setting).`,
        });
      }
      options.maxPixels ??= limit;
      // Decoded into a buffer of its own, so it can be handed to the worker thread without a copy.
      const input: WorkerInput = p.image.path !== undefined ? { path: p.image.path } : { data: new Uint8Array(Buffer.from(p.image.data!, 'base64')) };
      const job = ctx.jobs.submit(session.clientId, input, options);
      ctx.plugins.trackJob(job.id, exporters);
      return { jobId: job.id };
    },

    'job.cancel': (p) => ctx.jobs.cancel(p.jobId),

    'jobs.list': (p, session) => ({ jobs: ctx.jobs.list(p.all ? undefined : session.clientId) }),

    'result.read': async (p) => {
      // Jobs from before a restart are still readable: their folder is the jobId under the output root.
      const dir = ctx.jobs.get(p.jobId)?.dir ?? path.join(ctx.settings.outputRoot, p.jobId);
      try {
        await fs.access(dir);
      } catch {
        throw RpcError.of('JOB_NOT_FOUND', `No job with id ${JSON.stringify(p.jobId)}`, { jobId: p.jobId });
      }
      const { file, size } = await resolveJobFile(dir, p.jobId, p.path, MAX_READ_BYTES);
      const bytes = await fs.readFile(file);
      return { jobId: p.jobId, path: p.path, size, data: bytes.toString('base64') };
    },

    'events.subscribe': (p, session) => {
      session.events = new Set(p.events);
      return { events: [...session.events] };
    },

    'daemon.status': () => status(ctx),

    'daemon.shutdown': (p, session) => {
      const who = session.clientInfo ? `${session.clientInfo.name} ${session.clientInfo.version}` : session.clientId;
      // After this turn, so the caller gets its answer before the shutdown notice.
      setImmediate(() => ctx.shutdown(`requested by ${who}`, p.graceMs));
      return { shuttingDown: true };
    },

    ping: () => ({ time: Date.now() }),

    'watch.add': (p, session) => ctx.watches.add(p, session.clientId),

    'watch.remove': async (p) => ({ watchId: p.watchId, removed: await ctx.watches.remove(p.watchId) }),

    'watch.list': () => ({ watches: ctx.watches.list() }),

    'plugins.list': () => ctx.plugins.list(),

    'commands.list': () => ({ commands: ctx.plugins.listCommands() }),

    'commands.execute': (p) => ctx.plugins.executeCommand(p.command, p.args ?? []),
  };
}
