// The parts of result.json (docs/result-format.md) the page reads. Outputs are listed by the file itself, so
// output kinds added later (e.g. front-view maps) show up without a change here.
export interface QualityCheck {
  code: string;
  severity: 'info' | 'warn' | 'fail';
  value: number | null;
  threshold: number | null;
  message: string;
  hint: string;
}

export interface ResultJson {
  schema: string;
  source: string;
  image?: { width: number; height: number; format: string; orientation: number };
  faces?: unknown[];
  alignment?: { size: number; metresPerPixel: number };
  quality?: { verdict: 'pass' | 'warn' | 'fail'; checks: QualityCheck[] };
  /** `view`: the mesh's frame, "front" (the head frame, under front-structure.png) or "camera" (under structure.png). */
  mesh?: { vertices: number; triangles: number; view?: string };
  timings?: Record<string, number>;
  outputs: Record<string, string>;
  error?: { code: string; message: string; hint: string };
}

/** Kinds shown first, in this order; any other PNG output follows in result.json's order. */
const IMAGE_ORDER = [
  'structure',
  'front-structure',
  'crop',
  'depth',
  'normal',
  'overlay',
  'mask',
  'front-depth',
  'front-normal',
  'front-mask',
  'texture',
  'textureNormal',
  'textureVisibility',
];

const LABELS: Record<string, string> = {
  structure: 'Structure map',
  crop: 'Aligned crop',
  depth: 'Depth',
  normal: 'Normals',
  overlay: 'Landmarks on the photo',
  mask: 'Mask',
  texture: 'Texture (UV)',
  'front-structure': 'Structure map, front view',
  'front-depth': 'Depth, front view',
  'front-normal': 'Normals, front view',
  'front-mask': 'Mask, front view',
  textureNormal: 'Detail normal map (UV)',
  textureVisibility: 'Seen by the photo (UV)',
};

/** The structure map that lies under the mesh: the one in the mesh's view (result.json `mesh.view`). */
export function backdropOutput(r: Pick<ResultJson, 'outputs' | 'mesh'>): string | undefined {
  return r.mesh?.view === 'front' && r.outputs['front-structure'] ? r.outputs['front-structure'] : r.mesh?.view === 'front' ? undefined : r.outputs.structure;
}

export function outputLabel(kind: string): string {
  if (LABELS[kind]) return LABELS[kind];
  const words = kind.replace(/[-_:]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** [kind, file] of every image output, in display order. */
export function imageOutputs(outputs: Record<string, string>): Array<[string, string]> {
  const images = Object.entries(outputs).filter(([, f]) => /\.png$/i.test(f));
  const rank = (k: string) => (IMAGE_ORDER.includes(k) ? IMAGE_ORDER.indexOf(k) : IMAGE_ORDER.length);
  return images.map((e, i) => [e, i] as const).sort((a, b) => rank(a[0][0]) - rank(b[0][0]) || a[1] - b[1]).map(([e]) => e);
}

export const VERDICT_WORDS: Record<'pass' | 'warn' | 'fail', string> = {
  pass: 'Good photo: the reconstruction is reliable.',
  warn: 'Usable, with warnings: check the points below.',
  fail: 'Not usable: see why below.',
};

const STAGES: Record<string, string> = {
  queued: 'Waiting for a worker',
  started: 'Starting',
  decode: 'Reading the photo',
  detect: 'Finding faces',
  landmarks: 'Placing landmarks',
  pose: 'Estimating the head pose',
  render: 'Rendering the maps',
  mesh: 'Building the mesh',
  overlay: 'Drawing the overlay',
  outputs: 'Writing the files',
  export: 'Running exporters',
};

export function stageLabel(stage: string): string {
  return STAGES[stage] ?? stage;
}

export function fileUrl(jobId: string, file: string): string {
  return `/jobs/${encodeURIComponent(jobId)}/${file.split('/').map(encodeURIComponent).join('/')}`;
}

export async function fetchResult(jobId: string): Promise<ResultJson | undefined> {
  const r = await fetch(fileUrl(jobId, 'result.json'), { credentials: 'same-origin' });
  return r.ok ? ((await r.json()) as ResultJson) : undefined;
}
