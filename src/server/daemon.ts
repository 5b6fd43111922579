// The daemon: an HTTP server that only upgrades to WebSocket (after guard.ts says yes), one Session per
// connection, the dispatcher, the job manager and the worker pool. Job notifications go to the client that
// asked and to subscribers. shutdown() is the single way down: stop taking work, tell clients, let running
// jobs finish within the grace period (then cancel them), close connections, stop the workers.
// The limits that keep one socket or client from taking it down are in limits.ts, applied by connections.ts
// (sockets and slots), session.ts (per-client flow), frame-reader.ts and dispatcher.ts (frames and replies).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { RpcError } from '../rpc/errors.js';
import { DaemonShuttingDown, WindowShowMessage, type SubscribableEvent } from '../rpc/protocol.js';
import { ConfigError, type Settings } from './config.js';
import { Dispatcher } from './dispatcher.js';
import { checkUpgrade, hostAllowed, type GuardOptions } from './guard.js';
import { createWebHandler } from './http.js';
import { WebAuth } from './web-auth.js';
import { pickEvictable, PendingSockets } from './connections.js';
import { FrameReader } from './frame-reader.js';
import { errorItem, type DecodedFrame } from './frames.js';
import { LIMITS } from './limits.js';
import { createHandlers } from './handlers.js';
import { JobManager, type Job, type JobNotification } from './jobs.js';
import type { Logger } from './log.js';
import { WorkerPool } from './pool.js';
import { WatchService } from './watch.js';
import { PluginService } from '../plugins/service.js';
import { builtinPluginsDir, userPluginsDir } from '../plugins/scan.js';
import { daemonPaths } from './paths.js';
import { Session } from './session.js';
import { makeDir } from '../util/fs.js';
import { outputWriteError } from '../recon/errors.js';
import type { DaemonQueueConsumer, DaemonQueueOptions } from '../cluster/daemon-consumer.js';

export interface DaemonOptions {
  settings: Settings;
  token: string;
  version: string;
  log: Logger;
  /** Also take photos from this Redis queue (`start --queue`; docs/cluster.md). */
  queue?: DaemonQueueOptions;
}

function refuse(socket: Duplex, status: number, e: RpcError): void {
  const body = JSON.stringify({ error: e.toObject() });
  const reason = http.STATUS_CODES[status] ?? 'Error';
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

function urlFor(host: string, port: number): string {
  // A daemon bound to every interface is reached locally through loopback.
  const h = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host;
  return `ws://${h}:${port}/`;
}

export class Daemon {
  private readonly sessions = new Map<string, Session>();
  private readonly http: http.Server;
  private readonly wss: WebSocketServer;
  private readonly pool: WorkerPool;
  private readonly jobs: JobManager;
  private readonly watches: WatchService;
  private readonly plugins: PluginService;
  private readonly dispatcher: Dispatcher;
  private queueConsumer: DaemonQueueConsumer | undefined;
  private readonly web: WebAuth;
  private readonly frames = new FrameReader({ ...LIMITS, offThreadBytes: LIMITS.offThreadFrameBytes });
  private readonly pending = new PendingSockets(LIMITS);
  /** Per client, the frame dispatched last: frames are dispatched in arrival order. */
  private readonly dispatchTail = new WeakMap<Session, Promise<void>>();
  private readonly startedAt = Date.now();
  /** Cuts off clients that stopped reading (Session.stalled). */
  private readonly sweep = setInterval(() => {
    for (const s of this.sessions.values()) {
      if (!s.stalled()) continue;
      this.o.log.warn('client stopped reading its replies; disconnecting it', { clientId: s.clientId, unreadBytes: s.unreadBytes });
      s.terminate();
    }
  }, 1000).unref();
  private port = 0;
  private stopping: Promise<void> | undefined;
  private resolveStopped!: () => void;
  /** Resolves once shutdown has finished. */
  readonly stopped = new Promise<void>((r) => (this.resolveStopped = r));

  private constructor(private readonly o: DaemonOptions) {
    const { settings, log } = o;
    this.pool = new WorkerPool(settings.workers, () => this.jobs.pump(), log, 1, LIMITS.cancelGraceMs);
    this.jobs = new JobManager({
      pool: this.pool,
      outputRoot: settings.outputRoot,
      maxQueue: settings.maxQueue,
      maxQueuePerClient: Math.max(1, Math.floor(settings.maxQueue * LIMITS.queueShare)),
      log,
      // Plugin exporters run between a job's end and its job.completed (src/plugins/service.ts).
      notify: (job, n) => this.plugins.onJobNotification(job, n, (m) => this.route(job, m)),
    });
    this.watches = new WatchService({
      jobs: this.jobs,
      outputRoot: settings.outputRoot,
      maxPixels: settings.maxPixels,
      maxInFlight: Math.max(2, settings.workers * 2),
      log,
      publish: (ownerId, method, params) => this.publish(ownerId, method, params),
    });
    this.plugins = new PluginService({
      roots: [
        { dir: builtinPluginsDir(), source: 'builtin' },
        { dir: userPluginsDir(daemonPaths(process.env).configDir), source: 'user' },
        ...settings.pluginDirs.map((dir) => ({ dir, source: 'dir' as const })),
      ],
      timeoutMs: settings.pluginTimeoutMs,
      log,
      watch: true,
      onMessage: (p) => {
        for (const s of this.sessions.values()) if (s.initialized) s.notify(WindowShowMessage.method, p);
      },
    });
    this.dispatcher = new Dispatcher(
      createHandlers({
        settings,
        version: o.version,
        startedAt: this.startedAt,
        url: () => this.url,
        jobs: this.jobs,
        pool: this.pool,
        watches: this.watches,
        plugins: this.plugins,
        sessionCount: () => this.sessions.size,
        isShuttingDown: () => this.stopping !== undefined,
        shutdown: (reason, graceMs) => void this.shutdown(reason, graceMs),
        ...(o.queue ? { queueConsumer: () => this.queueConsumer!.status() } : {}),
      }),
      log,
      {
        limits: LIMITS,
        roomOverall: (bytes) => {
          let held = 0;
          for (const s of this.sessions.values()) held += s.heldBytes;
          return held + bytes <= LIMITS.maxUnreadBytesTotal;
        },
      },
    );
    // Plain HTTP is the daemon's own page (http.ts), behind the browser login (web-auth.ts). Header timeouts
    // are checked every second (Node's default is every 30 s); connections.ts bounds the sockets.
    this.web = new WebAuth(o.token, () => this.port);
    this.http = http.createServer(
      { connectionsCheckingInterval: 1000 },
      createWebHandler({
        auth: this.web,
        log,
        outputRoot: settings.outputRoot,
        hostAllowed: (h) => hostAllowed(h, this.guardOptions()),
      }),
    );
    this.pending.attach(this.http);
    // No compression: loopback does not need it, and inflating client frames is a memory risk.
    this.wss = new WebSocketServer({ noServer: true, maxPayload: settings.maxPayload, perMessageDeflate: false });
    this.http.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
  }

  static async start(o: DaemonOptions): Promise<Daemon> {
    await makeDir(o.settings.outputRoot).catch((e: unknown) => {
      throw outputWriteError(e, o.settings.outputRoot);
    });
    // Loaded only when asked for (BullMQ is not small); a bad URL stops the start here.
    const consumerModule = o.queue ? await import('../cluster/daemon-consumer.js') : undefined;
    const d = new Daemon(o);
    await d.listen();
    d.plugins.start();
    if (o.queue && consumerModule) {
      const s = o.settings;
      d.queueConsumer = consumerModule.DaemonQueueConsumer.start(o.queue, { jobs: d.jobs, workers: s.workers, maxQueue: s.maxQueue, maxPixels: s.maxPixels, log: o.log });
    }
    return d;
  }

  get url(): string {
    return urlFor(this.o.settings.host, this.port);
  }

  get boundPort(): number {
    return this.port;
  }

  private listen(): Promise<void> {
    const { host, port } = this.o.settings;
    return new Promise((resolve, reject) => {
      const onError = (e: NodeJS.ErrnoException) => {
        void this.pool.close();
        if (e.code === 'EADDRINUSE') {
          reject(new ConfigError(`Port ${port} on ${host} is already in use`, 'Stop whatever uses it, or pass --port <n> (0 picks a free port).'));
        } else reject(e);
      };
      this.http.once('error', onError);
      this.http.listen(port, host, () => {
        this.http.off('error', onError);
        this.port = (this.http.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  private onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => undefined);
    // A refused socket stays counted as pending (its timeout still runs) until it has closed.
    if (this.stopping) return refuse(socket, 503, RpcError.of('SHUTTING_DOWN', 'The daemon is shutting down'));
    // The page's cookie (web-auth.ts) when it carries one, else the bearer-token rules.
    const opts = this.guardOptions();
    const verdict = this.web.checkUpgrade(req, (h) => hostAllowed(h, opts)) ?? checkUpgrade(req, opts);
    if (!verdict.ok) {
      this.o.log.warn('connection refused', { code: verdict.error.data.code, remote: req.socket.remoteAddress, origin: req.headers.origin });
      return refuse(socket, verdict.status, verdict.error);
    }
    if (this.sessions.size >= this.o.settings.maxConnections && !this.makeRoom()) {
      return refuse(socket, 503, RpcError.of('SERVER_BUSY', `Too many connections (${this.o.settings.maxConnections})`, { hint: 'Close idle clients or raise maxConnections in config.json.' }));
    }
    this.pending.release(socket);
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws));
  }

  private guardOptions(): GuardOptions {
    return { token: this.o.token, host: this.o.settings.host, port: () => this.port, allowedOrigins: this.o.settings.allowedOrigins };
  }

  /** Every slot is taken: close the connection quiet the longest, if one qualifies (connections.ts). */
  private makeRoom(): boolean {
    const victim = pickEvictable(this.sessions.values(), Date.now(), LIMITS.evictQuietMs, (id) => this.jobs.hasActiveJobs(id));
    if (!victim) return false;
    this.o.log.info('closing the quietest connection to make room', { clientId: victim.clientId, quietMs: Date.now() - victim.lastFrameAt });
    this.sessions.delete(victim.clientId);
    victim.close(1013, 'the daemon is full and this connection was the quietest; reconnect when needed');
    // A peer that does not answer the close handshake is cut off.
    setTimeout(() => victim.terminate(), 1000).unref();
    return true;
  }

  private onConnection(ws: WebSocket): void {
    const session: Session = new Session(ws, LIMITS, (data, isBinary) => this.onMessage(session, data, isBinary));
    this.sessions.set(session.clientId, session);
    this.o.log.debug('client connected', { clientId: session.clientId });
    const initTimer = setTimeout(() => {
      if (!session.initialized) session.close(1008, `initialize was not sent within ${LIMITS.initializeTimeoutMs} ms`);
    }, LIMITS.initializeTimeoutMs);
    ws.on('message', (data: RawData, isBinary: boolean) => session.receive(data, isBinary));
    // Oversized frames (1009) and protocol errors land here; ws closes that socket, others are unaffected.
    ws.on('error', (e) => this.o.log.warn('client connection error', { clientId: session.clientId, error: e.message }));
    ws.on('close', () => {
      clearTimeout(initTimer);
      if (this.sessions.get(session.clientId) === session) this.sessions.delete(session.clientId);
      this.watches.onSessionClosed(session.clientId);
      this.o.log.debug('client disconnected', { clientId: session.clientId });
    });
  }

  /** One frame, handed on by its session's flow control: parsed (off the event loop when big), then dispatched in arrival order. Never throws. */
  private onMessage(session: Session, data: RawData, isBinary: boolean): void {
    let decoded: Promise<DecodedFrame>;
    if (isBinary) {
      decoded = Promise.resolve({ batch: false, items: [errorItem(null, 'INVALID_REQUEST', 'Invalid Request: expected a text frame, received a binary frame')], uploads: new Map() });
    } else {
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
      decoded = this.frames.read(buf);
    }
    const previous = this.dispatchTail.get(session) ?? Promise.resolve();
    const dispatched = Promise.all([decoded, previous]).then(([frame]) => {
      // Not awaited: a slow handler (result.read) does not hold back the client's next frame.
      void this.dispatcher.handle(frame, session).finally(() => session.frameDone());
    });
    this.dispatchTail.set(
      session,
      dispatched.catch((e: unknown) => {
        session.frameDone();
        this.o.log.error('frame could not be dispatched', { clientId: session.clientId, error: e instanceof Error ? e.message : String(e) });
      }),
    );
  }

  /** A job's notification goes to its client and to every other client subscribed to that event. */
  private route(job: Job, n: JobNotification): void {
    const owner = this.sessions.get(job.clientId);
    owner?.send({ jsonrpc: '2.0', method: n.method, params: n.params });
    for (const s of this.sessions.values()) {
      if (s !== owner && s.initialized && s.events.has(n.method)) s.send({ jsonrpc: '2.0', method: n.method, params: n.params });
    }
    this.watches.onJob(job, n);
    this.queueConsumer?.onJob(job, n);
  }

  /** A notification about a client's watch: to that client (when connected) and to subscribers, like route(). */
  private publish(ownerId: string, method: SubscribableEvent, params: unknown): void {
    const owner = this.sessions.get(ownerId);
    owner?.send({ jsonrpc: '2.0', method, params });
    for (const s of this.sessions.values()) {
      if (s !== owner && s.initialized && s.events.has(method)) s.send({ jsonrpc: '2.0', method, params });
    }
  }

  shutdown(reason: string, graceMs = this.o.settings.shutdownGraceMs): Promise<void> {
    this.stopping ??= this.doShutdown(reason, graceMs).then(this.resolveStopped, (e) => {
      this.o.log.error('shutdown failed', { error: (e as Error).message });
      this.resolveStopped();
    });
    return this.stopping;
  }

  private async doShutdown(reason: string, graceMs: number): Promise<void> {
    const { log } = this.o;
    log.info('shutting down', { reason, graceMs });
    clearInterval(this.sweep);
    this.http.close(); // no new connections
    for (const s of this.sessions.values()) if (s.initialized) s.notify(DaemonShuttingDown.method, { reason, graceMs });
    await this.watches.dispose(); // no new photos from watched folders
    // No new photos from the queue; those in progress finish within the grace period, the rest go back to it.
    await this.queueConsumer?.close(graceMs);
    this.jobs.stopAccepting(); // queued jobs end with REQUEST_CANCELLED
    if (!(await this.pool.drain(graceMs))) {
      log.warn('cancelling jobs still running after the grace period');
      this.jobs.cancelRunning();
      await this.pool.drain(5_000);
    }
    await this.plugins.dispose(); // exporters still running finish (time-boxed), then plugins deactivate
    for (const s of this.sessions.values()) s.close(1001, 'daemon shutting down');
    await this.pool.close();
    // Clients that do not answer the close handshake are cut off.
    await new Promise((r) => setTimeout(r, 200));
    for (const s of this.sessions.values()) s.terminate();
    this.wss.close();
    await this.frames.close();
    this.http.closeAllConnections();
    log.info('stopped');
  }
}
