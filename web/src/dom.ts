// A few lines of DOM building instead of a framework: h('div', {class: 'x'}, child…). Text is always set as
// text (never innerHTML), so file names and messages from the daemon cannot inject markup.
type Attrs = Record<string, string | number | boolean | undefined>;
type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k === 'class') el.className = String(v);
    else if (k === 'text') el.textContent = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from the page`);
  return el as T;
}

export function toast(text: string, level: 'info' | 'warning' | 'error' = 'info', ms = 6000): void {
  const t = h('div', { class: `toast toast-${level}`, role: level === 'error' ? 'alert' : 'status' }, text);
  byId('toasts').append(t);
  setTimeout(() => t.remove(), ms);
}

export function bytes(n: number): string {
  return n >= 1048576 ? `${(n / 1048576).toFixed(1)} MB` : `${Math.max(1, Math.round(n / 1024))} KB`;
}

export function duration(ms: number): string {
  const s = Math.floor(ms / 1000);
  const hrs = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return hrs ? `${hrs} h ${m} min` : m ? `${m} min ${s % 60} s` : `${s} s`;
}
