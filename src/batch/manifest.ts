// manifest.jsonl, manifest.csv and summary.json at the top of the output folder. Both manifests are rebuilt
// whole from the records (one per source, sorted by source) and written atomically, so a reader never sees
// a torn or duplicated line, and a rerun simply writes them again.
import path from 'node:path';
import { OUTPUT_KINDS } from '../recon/outputs/kinds.js';
import { writeFileAtomic } from '../util/fs.js';
import { MANIFEST_CSV, MANIFEST_JSONL, SUMMARY_JSON } from './layout.js';
import type { ManifestRecord, Status } from './record.js';

export function sortRecords(records: Iterable<ManifestRecord>): ManifestRecord[] {
  return [...records].sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : 0));
}

export function toJsonl(records: ManifestRecord[]): string {
  return records.map((r) => JSON.stringify(r) + '\n').join('');
}

/** RFC 4180: quote a field holding a comma, quote, CR or LF; double the quotes inside. */
export function csvField(v: unknown): string {
  const s = v === null || v === undefined ? '' : typeof v === 'number' ? String(v) : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const OUTPUT_ORDER = [...OUTPUT_KINDS, 'mtl', 'texture', 'result'];

/**
 * Fixed columns, then one column per output kind present in any record (paths relative to the output
 * folder), then `extra_faces` (the number of other faces reconstructed with --faces all). Lists use ";".
 */
export function toCsv(records: ManifestRecord[]): string {
  const kinds = OUTPUT_ORDER.filter((k) => records.some((r) => r.outputs[k] !== undefined));
  const header = [
    'source', 'sha256', 'status', 'verdict', 'codes', 'faces', 'yaw', 'pitch', 'roll', 'face_width', 'face_height', 'ipd',
    'total_ms', 'batch_ms', 'filtered_by', 'error_code', 'error_message', ...kinds, 'extra_faces',
  ];
  const rows = records.map((r) =>
    [
      r.source,
      r.sha256,
      r.status,
      r.verdict,
      r.codes.join(';'),
      r.faces,
      r.pose?.yaw,
      r.pose?.pitch,
      r.pose?.roll,
      r.faceSize?.width,
      r.faceSize?.height,
      r.faceSize?.ipd,
      r.timings.total,
      r.timings.batch,
      r.filteredBy?.join(';'),
      r.error?.code,
      r.error?.message,
      ...kinds.map((k) => r.outputs[k]),
      r.extraFaces?.length ?? 0,
    ]
      .map(csvField)
      .join(','),
  );
  return [header.join(','), ...rows].join('\r\n') + '\r\n';
}

export async function writeManifests(outDir: string, records: Iterable<ManifestRecord>): Promise<void> {
  const sorted = sortRecords(records);
  await writeFileAtomic(path.join(outDir, MANIFEST_JSONL), toJsonl(sorted));
  await writeFileAtomic(path.join(outDir, MANIFEST_CSV), toCsv(sorted));
}

export interface Summary {
  /** Lines in the manifest (input files handled). */
  photos: number;
  ok: number;
  warned: number;
  failed: number;
  filtered: number;
  /** Per status, how often each code appears (a photo counts once per code). */
  codes: { warned: Record<string, number>; failed: Record<string, number>; filtered: Record<string, number> };
}

export function summarise(records: Iterable<ManifestRecord>): Summary {
  const s: Summary = { photos: 0, ok: 0, warned: 0, failed: 0, filtered: 0, codes: { warned: {}, failed: {}, filtered: {} } };
  const bump = (m: Record<string, number>, k: string) => (m[k] = (m[k] ?? 0) + 1);
  for (const r of records) {
    s.photos++;
    s[r.status]++;
    if (r.status === 'warned' || r.status === 'failed') for (const c of r.codes) bump(s.codes[r.status], c);
    if (r.status === 'filtered') for (const f of r.filteredBy ?? []) bump(s.codes.filtered, f);
  }
  return s;
}

const byCount = (m: Record<string, number>): string =>
  Object.entries(m)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');

/** The human summary: totals, then codes per status. */
export function formatSummary(s: Summary): string {
  const lines = [`${s.photos} photo${s.photos === 1 ? '' : 's'}: ${s.ok} ok, ${s.warned} warned, ${s.failed} failed, ${s.filtered} filtered out`];
  const order: Array<[string, Status & keyof Summary['codes']]> = [['warned', 'warned'], ['failed', 'failed'], ['filtered out', 'filtered']];
  for (const [label, k] of order) if (Object.keys(s.codes[k]).length) lines.push(`  ${label}: ${byCount(s.codes[k])}`);
  return lines.join('\n');
}

export async function writeSummary(outDir: string, summary: unknown): Promise<void> {
  await writeFileAtomic(path.join(outDir, SUMMARY_JSON), JSON.stringify(summary, null, 1) + '\n');
}
