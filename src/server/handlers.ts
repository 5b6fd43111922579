// The method implementations. Params arrive validated (dispatcher.ts); each handler does one thing and
// throws RpcError for anything the client should hear about.
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
import { LIMITS } from './limits.js';
import type { Handlers } from './dispatcher.js';
import type { JobManager } from './jobs.js';
import type { WorkerPool } from './pool.js';
import type { Session } from './session.js';
import type { WatchService } from './watch.js';
import type { PluginService } from '../plugins/service.js';
import type { WorkerInput } from './worker-messages.js';
import { readJobFile } from './result-files.js';

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

    'recon.reconstruct': (p, session, frame) => {
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
      // Bytes in a buffer of their own, so they can be handed to the worker thread without a copy: decoded by
      // the frame thread for big frames (frames.ts), here for small ones.
      const input: WorkerInput =
        p.image.path !== undefined ? { path: p.image.path } : { data: frame.takeUpload(p.image.data!) ?? new Uint8Array(Buffer.from(p.image.data!, 'base64')) };
      const job = ctx.jobs.submit(session.clientId, input, options);
      ctx.plugins.trackJob(job.id, exporters);
      return { jobId: job.id };
    },

    'job.cancel': (p) => ctx.jobs.cancel(p.jobId),

    'jobs.list': (p, session) => ({ jobs: ctx.jobs.list(p.all ? undefined : session.clientId) }),

    'result.read': async (p, session, frame) => {
      const refuse = (refused: 'frame' | 'client' | 'daemon' | 'closed' | undefined, n: number): void => {
        if (refused === 'closed') throw RpcError.of('REQUEST_CANCELLED', 'The connection closed');
        if (refused === 'frame') {
          const what = n ? `${p.path} is ${n} bytes, more than this frame may still return` : 'This frame has returned all it may';
          throw RpcError.of('REQUEST_FAILED', `${what} (result.read returns at most ${LIMITS.maxReadBytesPerFrame} bytes per frame)`, {
            code: 'REPLY_TOO_LARGE',
            hint: 'Read big files one per frame instead of in one batch.',
          });
        }
        if (refused === 'daemon') {
          throw RpcError.of('SERVER_BUSY', 'Clients have too many result.read replies they have not read yet', {
            hint: 'Try again in a moment.',
          });
        }
        if (refused === 'client') {
          throw RpcError.of('SERVER_BUSY', `This connection has ${session.unreadBytes} bytes of replies it has not read yet`, {
            hint: 'Read the replies already sent before asking for more files.',
          });
        }
      };
      const done = await frame.readTurn();
      try {
        // Refused before any file is touched when nothing more could be admitted anyway.
        refuse(frame.mayRead(), 0);
        // Jobs from before a restart are still readable: their folder is the jobId under the output root.
        const { size, bytes } = await readJobFile(ctx.settings.outputRoot, p.jobId, p.path, MAX_READ_BYTES, (n) => refuse(frame.reserveRead(n), n));
        return { jobId: p.jobId, path: p.path, size, data: bytes.toString('base64') };
      } finally {
        done();
      }
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
