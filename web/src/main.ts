// The daemon's page: photos in (drop or pick), a card per photo, and the side panels (daemon status, every
// client's jobs with batch and watch progress, plugin commands). Everything goes through the JSON-RPC protocol
// the editors use; files come from /jobs/<id>/… on this origin.
import type { JobInfo, JobState, WatchInfo } from '../../src/rpc/protocol.js';
import { JobCard } from './card.js';
import { byId, bytes, duration, h, toast } from './dom.js';
import { DaemonError, Rpc } from './rpc.js';
import { stageLabel } from './result.js';

const cards = new Map<string, JobCard>();
/** Every known job (all clients), newest last; the list shows the most recent ones. */
const jobs = new Map<string, JobInfo>();
const MAX_LISTED = 30;
let rpc: Rpc;

function setConnection(state: 'connecting' | 'connected' | 'disconnected', text: string): void {
  const el = byId('connection');
  el.dataset.state = state;
  el.textContent = text;
}

function banner(text: string, hint = ''): void {
  const b = byId('banner');
  b.replaceChildren(h('strong', {}, text), hint ? h('span', {}, ` ${hint}`) : '');
  b.hidden = false;
}

// ---------------------------------------------------------------------------------------------------------
// Photos in

function base64(buf: ArrayBuffer): string {
  const b = new Uint8Array(buf);
  let s = '';
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(s);
}

async function submit(file: File): Promise<void> {
  const card = new JobCard(file.name, bytes(file.size));
  byId('cards').prepend(card.el);
  const limit = rpc.initialize.capabilities.limits.maxPayload;
  // base64 grows the bytes by 4/3; the rest of the message is small.
  if (Math.ceil(file.size / 3) * 4 + 1024 > limit) {
    return card.failed({
      code: -32602,
      message: `${file.name} is ${bytes(file.size)}; the daemon takes photos up to about ${bytes(((limit - 1024) * 3) / 4)} from the page`,
      data: { code: 'IMAGE_TOO_LARGE', hint: 'Downscale the photo (a face needs far fewer pixels), or raise the daemon\'s --max-payload.' },
    });
  }
  try {
    const data = base64(await file.arrayBuffer());
    const { jobId } = await rpc.request('recon.reconstruct', { image: { data } });
    card.setJobId(jobId);
    cards.set(jobId, card);
    upsertJob(jobId, { clientId: rpc.initialize.clientId, source: file.name });
    const known = jobs.get(jobId);
    if (known) card.showState(known.state, known.stage, known.fraction);
  } catch (e) {
    const err = e instanceof DaemonError ? e : new DaemonError(String(e), 'ERROR', '');
    await card.failed({ code: -32000, message: err.message, data: { code: err.code, hint: err.hint } });
  }
}

function wireInput(): void {
  const input = byId<HTMLInputElement>('photos');
  input.addEventListener('change', () => {
    for (const f of Array.from(input.files ?? [])) void submit(f);
    input.value = '';
  });
  const drop = byId('drop');
  for (const ev of ['dragenter', 'dragover']) {
    drop.addEventListener(ev, (e) => {
      e.preventDefault();
      drop.classList.add('over');
    });
  }
  for (const ev of ['dragleave', 'drop']) drop.addEventListener(ev, () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    for (const f of Array.from((e as DragEvent).dataTransfer?.files ?? [])) void submit(f);
  });
  // A photo dropped next to the drop zone must not navigate away from the page.
  window.addEventListener('dragover', (e) => e.preventDefault());
  window.addEventListener('drop', (e) => e.preventDefault());
}

// ---------------------------------------------------------------------------------------------------------
// Jobs of every client (events.subscribe), watched folders

function upsertJob(jobId: string, patch: Partial<JobInfo>): void {
  const prev = jobs.get(jobId);
  const next = { jobId, state: 'queued' as JobState, clientId: '', source: 'upload', dir: '', createdAt: new Date().toISOString(), ...prev, ...patch };
  jobs.set(jobId, next);
  scheduleJobsRender();
}

let renderPending = false;
function scheduleJobsRender(): void {
  if (renderPending) return;
  renderPending = true;
  requestAnimationFrame(() => {
    renderPending = false;
    renderJobs();
  });
}

function renderJobs(): void {
  const all = [...jobs.values()];
  const count = (s: JobState) => all.filter((j) => j.state === s).length;
  byId('jobs-summary').textContent = all.length
    ? `${count('running')} running · ${count('queued')} queued · ${count('completed')} done · ${count('failed')} failed${count('cancelled') ? ` · ${count('cancelled')} cancelled` : ''}`
    : '';
  const mine = rpc.initialize.clientId;
  const recent = all.sort((a, b) => b.createdAt.localeCompare(a.createdAt)).slice(0, MAX_LISTED);
  byId('jobs').replaceChildren(
    ...recent.map((j) => {
      const show = h('button', { type: 'button', class: 'link' }, j.source === 'upload' ? j.jobId : j.source);
      show.disabled = j.state !== 'completed' && j.state !== 'failed';
      show.addEventListener('click', () => void openJob(j));
      return h(
        'li',
        { class: `job job-${j.state}`, 'data-list-job-id': j.jobId },
        show,
        h('span', { class: 'job-state' }, j.state === 'running' && j.stage ? `${stageLabel(j.stage)} ${Math.round((j.fraction ?? 0) * 100)} %` : j.state),
        h('span', { class: 'job-client' }, j.clientId === mine ? 'this page' : 'other client'),
      );
    }),
  );
}

/** Show a job from the list (any client's) as a card. */
async function openJob(j: JobInfo): Promise<void> {
  const existing = cards.get(j.jobId);
  if (existing) return existing.el.scrollIntoView({ behavior: 'smooth' });
  const card = new JobCard(j.source === 'upload' ? j.jobId : j.source, 'from the jobs list');
  card.setJobId(j.jobId);
  cards.set(j.jobId, card);
  byId('cards').prepend(card.el);
  if (j.state === 'completed') await card.completed();
  else if (j.error) await card.failed(j.error, j.dir);
}

async function refreshWatches(): Promise<void> {
  const { watches } = await rpc.request('watch.list', {});
  byId('watches').replaceChildren(
    ...watches.map((w: WatchInfo) =>
      h(
        'p',
        { class: 'watch' },
        h('strong', {}, 'Watching '),
        h('code', {}, w.path),
        ` — ${w.counts.completed} done, ${w.counts.failed} failed, ${w.counts.running + w.counts.pending} in progress (${w.counts.seen} seen)`,
      ),
    ),
  );
}

let watchRefresh: ReturnType<typeof setTimeout> | undefined;
function scheduleWatchRefresh(): void {
  watchRefresh ??= setTimeout(() => {
    watchRefresh = undefined;
    void refreshWatches().catch(() => undefined);
  }, 500);
}

function wireNotifications(): void {
  rpc.on('job.progress', (p) => {
    upsertJob(p.jobId, { state: p.stage === 'queued' ? 'queued' : 'running', stage: p.stage, fraction: p.fraction });
    cards.get(p.jobId)?.progress(p.stage, p.fraction);
  });
  rpc.on('job.completed', (p) => {
    upsertJob(p.jobId, { state: 'completed', fraction: 1, dir: p.result.dir });
    void cards.get(p.jobId)?.completed();
    refreshStatusSoon();
  });
  rpc.on('job.failed', (p) => {
    const cancelled = p.error.data.code === 'CANCELLED' || p.error.data.code === 'REQUEST_CANCELLED';
    upsertJob(p.jobId, { state: cancelled ? 'cancelled' : 'failed', error: p.error, ...(p.dir ? { dir: p.dir } : {}) });
    void cards.get(p.jobId)?.failed(p.error, p.dir);
    refreshStatusSoon();
  });
  rpc.on('watch.result', () => scheduleWatchRefresh());
  rpc.on('window.showMessage', (p) => toast(`${p.plugin}: ${p.message}`, p.level));
  rpc.on('daemon.shuttingDown', (p) => banner('The daemon is shutting down', `(${p.reason}).`));
}

// ---------------------------------------------------------------------------------------------------------
// Daemon status, plugin commands

async function refreshStatus(): Promise<void> {
  const s = await rpc.request('daemon.status', {});
  const rows: Array<[string, string]> = [
    ['Version', `${s.version} (protocol ${s.protocolVersion})`],
    ['Up for', duration(s.uptimeMs)],
    ['Workers', `${s.workers.total} (${s.workers.busy} busy)${s.modelsLoaded ? '' : ', loading models'}`],
    ['Queue', `${s.queue.queued} waiting, ${s.queue.running} running (max ${s.queue.max})`],
    ['Jobs', `${s.jobs.completed} completed, ${s.jobs.failed} failed, ${s.jobs.cancelled} cancelled`],
    ['Clients', String(s.clients)],
    ['Memory', bytes(s.rssBytes)],
    ['Output', s.outputRoot],
  ];
  byId('status').replaceChildren(...rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
  byId('status-line').textContent = `${s.workers.total} worker${s.workers.total === 1 ? '' : 's'} · ${s.queue.running} running · ${s.queue.queued} queued`;
}

let statusTimer: ReturnType<typeof setTimeout> | undefined;
function refreshStatusSoon(): void {
  statusTimer ??= setTimeout(() => {
    statusTimer = undefined;
    void refreshStatus().catch(() => undefined);
  }, 300);
}

async function refreshCommands(): Promise<void> {
  const { commands } = await rpc.request('commands.list', {});
  const box = byId('commands');
  if (!commands.length) return box.replaceChildren(h('p', { class: 'hint' }, 'No plugin contributes commands.'));
  box.replaceChildren(
    ...commands.map((c) => {
      const b = h('button', { type: 'button', title: `${c.command} (${c.plugin})` }, c.title ?? c.command);
      b.addEventListener('click', async () => {
        b.disabled = true;
        try {
          const r = await rpc.request('commands.execute', { command: c.command });
          toast(`${c.title ?? c.command}: ${r === null || r === undefined ? 'done' : typeof r === 'string' ? r : JSON.stringify(r)}`);
        } catch (e) {
          const err = e as DaemonError;
          toast(`${c.title ?? c.command} failed: ${err.message}${err.hint ? ` — ${err.hint}` : ''}`, 'error', 10_000);
        } finally {
          b.disabled = false;
        }
      });
      return b;
    }),
  );
}

// ---------------------------------------------------------------------------------------------------------

async function onDisconnected(): Promise<void> {
  setConnection('disconnected', 'disconnected');
  // A 401 on the page itself means the login is gone (daemon restarted); otherwise the daemon is down.
  const r = await fetch('/', { method: 'HEAD', cache: 'no-store' }).catch(() => undefined);
  if (r?.status === 401) banner('Logged out.', 'The daemon was restarted: run `recon-daemon open` for a new login link.');
  else banner('Disconnected from the daemon.', r ? 'Reload the page to reconnect.' : 'It is not running: start it with `recon-daemon open`.');
}

async function main(): Promise<void> {
  wireInput();
  try {
    rpc = await Rpc.connect();
  } catch {
    return onDisconnected();
  }
  rpc.onClose(() => void onDisconnected());
  setConnection('connected', `connected · ${rpc.initialize.serverInfo.name} ${rpc.initialize.serverInfo.version}`);
  wireNotifications();
  await rpc.request('events.subscribe', { events: ['job.progress', 'job.completed', 'job.failed', 'watch.result'] });
  const { jobs: known } = await rpc.request('jobs.list', { all: true });
  for (const j of known) jobs.set(j.jobId, j);
  renderJobs();
  await Promise.all([refreshStatus(), refreshWatches(), refreshCommands()]).catch((e: unknown) => toast(String(e), 'error'));
  setInterval(() => void refreshStatus().catch(() => undefined), 5000);
  document.body.dataset.ready = 'true';
}

void main();
