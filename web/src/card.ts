// One photo's card: live progress, then the verdict with its reasons and hints, the maps side by side, the 3D
// view and the zip. Test hooks: the card has data-job-id and data-job-state (queued|running|completed|failed).
import type { JobState, RpcErrorObject } from '../../src/rpc/protocol.js';
import { h, toast } from './dom.js';
import { backdropOutput, fetchResult, fileUrl, imageOutputs, outputLabel, stageLabel, VERDICT_WORDS, type ResultJson } from './result.js';
import { Viewer } from './viewer.js';

/** The page's four states; a cancelled job shows as failed. */
type CardState = 'queued' | 'running' | 'completed' | 'failed';

export class JobCard {
  readonly el: HTMLElement;
  private readonly bar: HTMLProgressElement;
  private readonly stage: HTMLElement;
  private readonly body: HTMLElement;
  private viewer: Viewer | undefined;
  jobId: string | undefined;

  constructor(title: string, detail = '') {
    this.bar = h('progress', { max: 1, value: 0 });
    this.stage = h('span', { class: 'stage' }, 'Uploading');
    this.body = h('div', { class: 'card-body' });
    this.el = h(
      'article',
      { class: 'card', 'data-job-state': 'queued' },
      h('header', {}, h('h3', { title }, title), h('span', { class: 'detail' }, detail)),
      h('div', { class: 'progress' }, this.bar, this.stage),
      this.body,
    );
  }

  get state(): CardState {
    return this.el.dataset.jobState as CardState;
  }

  setJobId(jobId: string): void {
    this.jobId = jobId;
    this.el.dataset.jobId = jobId;
  }

  private setState(s: CardState): void {
    this.el.dataset.jobState = s;
  }

  progress(stage: string, fraction: number): void {
    if (this.state === 'completed' || this.state === 'failed') return;
    this.setState(stage === 'queued' ? 'queued' : 'running');
    this.bar.value = fraction;
    this.stage.textContent = `${stageLabel(stage)} · ${Math.round(fraction * 100)} %`;
  }

  /** From jobs.list, for a job this page did not start. */
  showState(state: JobState, stage?: string, fraction?: number): void {
    if (state === 'queued' || state === 'running') this.progress(stage ?? state, fraction ?? 0);
  }

  async completed(result?: ResultJson): Promise<void> {
    const id = this.jobId!;
    this.bar.value = 1;
    this.stage.textContent = 'Done';
    const r = result ?? (await fetchResult(id));
    if (!r) return this.failed({ code: -32603, message: 'The job finished but its result.json could not be read', data: { code: 'INTERNAL_ERROR', hint: 'Reload the page.' } });
    this.body.replaceChildren(this.verdict(r), this.maps(id, r), this.view3d(id, r), this.downloads(id, r));
    // The state flips last, so a test that sees "completed" sees the whole result.
    this.setState('completed');
  }

  async failed(error: RpcErrorObject, dir?: string): Promise<void> {
    this.bar.value = 1;
    this.stage.textContent = error.data.code === 'CANCELLED' || error.data.code === 'REQUEST_CANCELLED' ? 'Cancelled' : 'Failed';
    const parts: Node[] = [
      h(
        'div',
        { class: 'verdict verdict-fail', 'data-error-code': error.data.code },
        h('strong', { class: 'message' }, error.message),
        error.data.hint ? h('p', { class: 'hint' }, error.data.hint) : null,
        h('code', { class: 'code' }, error.data.code),
      ),
    ];
    // A quality failure still leaves result.json (and often overlay.png) in the job folder.
    if (dir && this.jobId) {
      const r = await fetchResult(this.jobId).catch(() => undefined);
      if (r) {
        const other = (r.quality?.checks ?? []).filter((c) => c.severity !== 'info' && c.code !== error.data.code);
        if (other.length) parts.push(this.checkList(other));
        parts.push(this.maps(this.jobId, r), this.downloads(this.jobId, r));
      }
    }
    this.body.replaceChildren(...parts);
    this.setState('failed');
  }

  private verdict(r: ResultJson): HTMLElement {
    const q = r.quality;
    const verdict = q?.verdict ?? 'pass';
    const notable = (q?.checks ?? []).filter((c) => c.severity !== 'info');
    const faces = r.faces?.length ?? 0;
    return h(
      'div',
      { class: `verdict verdict-${verdict}`, 'data-verdict': verdict },
      h('strong', { class: 'message' }, VERDICT_WORDS[verdict]),
      h('p', { class: 'facts' }, `${faces} face${faces === 1 ? '' : 's'} found · ${r.image ? `${r.image.width} × ${r.image.height} px` : ''}${r.timings?.total ? ` · ${Math.round(r.timings.total)} ms` : ''}`),
      notable.length ? this.checkList(notable) : null,
      q ? h('details', {}, h('summary', {}, `All ${q.checks.length} checks`), this.checkList(q.checks)) : null,
    );
  }

  private checkList(checks: NonNullable<ResultJson['quality']>['checks']): HTMLElement {
    return h(
      'ul',
      { class: 'checks' },
      ...checks.map((c) =>
        h('li', { class: `check check-${c.severity}`, 'data-code': c.code }, h('span', { class: 'check-message' }, c.message), c.hint ? h('span', { class: 'hint' }, c.hint) : null),
      ),
    );
  }

  private maps(id: string, r: ResultJson): HTMLElement {
    return h(
      'div',
      { class: 'maps' },
      ...imageOutputs(r.outputs).map(([kind, file]) =>
        h(
          'figure',
          { 'data-kind': kind },
          h('a', { href: fileUrl(id, file), target: '_blank', rel: 'noopener' }, h('img', { src: fileUrl(id, file), alt: outputLabel(kind), loading: 'lazy' })),
          h('figcaption', {}, outputLabel(kind)),
        ),
      ),
    );
  }

  private view3d(id: string, r: ResultJson): HTMLElement | string {
    if (!r.outputs.glb) return '';
    const stage = h('div', { class: 'viewer' });
    const turntable = h('button', { type: 'button', 'aria-pressed': 'false' }, 'Turntable');
    const grey = h('button', { type: 'button', 'aria-pressed': 'false' }, 'Grey');
    const backdrop = h('button', { type: 'button', 'aria-pressed': 'true' }, 'Structure backdrop');
    const toggle = (b: HTMLButtonElement, f: (on: boolean) => void) =>
      b.addEventListener('click', () => {
        const on = b.getAttribute('aria-pressed') !== 'true';
        b.setAttribute('aria-pressed', String(on));
        f(on);
      });
    toggle(turntable, (on) => this.viewer?.setTurntable(on));
    toggle(grey, (on) => {
      grey.textContent = on ? 'Texture' : 'Grey';
      this.viewer?.setGrey(on);
    });
    toggle(backdrop, (on) => this.viewer?.setBackdrop(on));
    const start = () => {
      stage.replaceChildren();
      turntable.setAttribute('aria-pressed', 'false');
      grey.setAttribute('aria-pressed', 'false');
      grey.textContent = 'Grey';
      backdrop.setAttribute('aria-pressed', 'true');
      const v = new Viewer(stage);
      this.viewer = v;
      v.onSleep = (snapshot) => {
        const resume = h('button', { type: 'button', class: 'resume' }, 'Show in 3D');
        resume.addEventListener('click', start);
        stage.replaceChildren(snapshot ? h('img', { src: snapshot, alt: '3D view (paused)' }) : '', resume);
      };
      const s = r.alignment;
      const under = backdropOutput(r);
      if (under) stage.dataset.backdrop = under;
      v.load({
        glbUrl: fileUrl(id, r.outputs.glb),
        // The structure map in the mesh's view (front-structure.png under the default head-frame mesh).
        backdrop: under && s ? { url: fileUrl(id, under), size: s.size, metresPerPixel: s.metresPerPixel } : undefined,
      })
        .then(() => {
          if (!v.hasBackdrop) backdrop.hidden = true;
          stage.dataset.ready = 'true';
        })
        .catch((e: unknown) => {
          stage.replaceChildren(h('p', { class: 'hint' }, `The 3D view could not be shown: ${e instanceof Error ? e.message : String(e)}`));
          toast('The 3D view could not be shown (WebGL unavailable?)', 'warning');
        });
    };
    start();
    return h('section', { class: 'view3d' }, stage, h('div', { class: 'buttons' }, turntable, grey, backdrop), h('p', { class: 'hint' }, 'Drag to orbit, scroll to zoom, right-drag to pan.'));
  }

  private downloads(id: string, r: ResultJson): HTMLElement {
    const stem = (r.source || id).replace(/\.[^.]+$/, '').replace(/[^\w.-]+/g, '_') || id;
    return h(
      'div',
      { class: 'downloads' },
      h('a', { class: 'button', href: `/jobs/${encodeURIComponent(id)}.zip`, download: `${stem}-recon.zip` }, 'Download all files (.zip)'),
      h('a', { href: fileUrl(id, 'result.json'), target: '_blank', rel: 'noopener' }, 'result.json'),
    );
  }
}
