// Parsers for the option flags that reconstruct, batch and watch share, with the engine's one wording for
// a bad value ("Expected … for --outputs but received …").
import { invalidOption } from '../recon/errors.js';
import { OUTPUT_KINDS, type OutputKind } from '../recon/outputs/kinds.js';
import { DEFAULT_THRESHOLDS, type QualityThresholds } from '../recon/quality.js';

export function parseOutputs(v: string | undefined): OutputKind[] | undefined {
  if (v === undefined) return undefined;
  const kinds = v.split(',').map((k) => k.trim()).filter(Boolean);
  for (const k of kinds) {
    if (!(OUTPUT_KINDS as ReadonlyArray<string>).includes(k)) throw invalidOption('--outputs', `a comma-separated list of ${OUTPUT_KINDS.join(', ')}`, k);
  }
  return kinds as OutputKind[];
}

export function parseQuality(items: string[] | undefined): Partial<QualityThresholds> | undefined {
  if (!items?.length) return undefined;
  const out: Partial<QualityThresholds> = {};
  for (const item of items) {
    const m = /^([A-Za-z]+)=(-?[\d.]+)$/.exec(item);
    if (!m || !(m[1] in DEFAULT_THRESHOLDS) || !Number.isFinite(Number(m[2]))) {
      throw invalidOption('--quality', `name=number with a name from ${Object.keys(DEFAULT_THRESHOLDS).join(', ')}`, item);
    }
    out[m[1] as keyof QualityThresholds] = Number(m[2]);
  }
  return out;
}
